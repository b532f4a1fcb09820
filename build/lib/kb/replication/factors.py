"""Per-carrier factors for a city: CO2, primary energy, NOx and price, each an Input with its provenance."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from kb.replication.cities import CityProfile, Driver
from kb.replication.inputs import Input


@dataclass(frozen=True)
class Factor:
    """A factor as an Input, and the multiplier that turns its unit into per-kWh units of the metric."""

    input: Input
    mult: float = 1.0


@dataclass
class CarrierFactors:
    """Factors by metric and carrier; ``unavailable`` says which metric lacks a factor for which carrier, and why."""

    co2: dict[str, Factor] = field(default_factory=dict)  # kg CO2/kWh
    pef: dict[str, Factor] = field(default_factory=dict)  # kWh_PE/kWh
    nox: dict[str, Factor] = field(default_factory=dict)  # g NOx/kWh
    price: dict[str, Factor] = field(default_factory=dict)  # EUR/kWh
    unavailable: dict[str, str] = field(default_factory=dict)  # metric -> reason

    def inputs(self) -> list[Input]:
        seen: dict[str, Input] = {}
        for group in (self.co2, self.pef, self.nox, self.price):
            for f in group.values():
                seen.setdefault(f.input.uid, f.input)
        return list(seen.values())


def driver_input(d: Driver, name: str) -> Input:
    return Input.fixed(name, d.key, float(d.value or 0.0), d.unit, d.evidence, d.source, role="driver", note=d.note)


def _gap(cf: CarrierFactors, metric: str, reason: str) -> None:
    cf.unavailable.setdefault(metric, reason)


def carrier_factors(city: CityProfile, general: dict[str, Input], carriers: set[str],
                    tariff: str = "household") -> CarrierFactors:
    """Factors for the carriers an estimate touches. A missing city driver raises ``DriverMissing``; a missing
    general factor makes the metric unavailable (with the reason), never a silent default."""
    cf = CarrierFactors()
    if "electricity" in carriers:
        g = city.require("grid_co2", "the CO2 of grid electricity")
        cf.co2["electricity"] = Factor(driver_input(g, f"grid CO2 intensity, {city.name}"), 1e-3)
        pef = city.drivers.get("pef_electricity")
        if pef is not None and pef.value is not None:
            cf.pef["electricity"] = Factor(driver_input(pef, f"primary energy factor, electricity, {city.name}"))
        elif "pef_electricity_fallback" in general:
            fb = general["pef_electricity_fallback"]
            cf.pef["electricity"] = Factor(Input(
                f"primary energy factor, electricity — FALLBACK: EU default, no national factor for {city.name}",
                fb.key, fb.low, fb.mid, fb.high, fb.unit, f"{fb.evidence} (fallback)", fb.source, role="factor",
                note="FALLBACK: used because the city record has no national pef_electricity"))
        else:
            _gap(cf, "primary_energy_saved", "no national pef_electricity and no EU fallback factor in carrier-factors")
        price = city.require(f"electricity_price_{tariff}", "the value of electricity saved or generated")
        row = driver_input(price, f"electricity price ({tariff}), {city.name}")
        cf.price["electricity"] = Factor(replace(row, note="every kWh saved or generated is valued at this price "
                                                            "(full self-consumption; no export tariff modelled)"))
    for fuel, label in (("natural_gas", "natural gas"), ("petrol", "petrol")):
        if fuel not in carriers:
            continue
        _general(cf, general, f"co2_{fuel}", cf.co2, fuel, "co2_avoided", f"CO2 factor, {label}")
        nat = city.drivers.get(f"pef_{fuel}")
        if nat is not None and nat.value is not None:
            cf.pef[fuel] = Factor(driver_input(nat, f"primary energy factor, {label}, {city.name}"))
        else:
            _general(cf, general, f"pef_{fuel}", cf.pef, fuel, "primary_energy_saved",
                     f"primary energy factor, {label} (general)")
        _general(cf, general, f"nox_{fuel}", cf.nox, fuel, "nox_avoided", f"NOx factor, {label}")
        if fuel == "natural_gas":
            price = city.require(f"gas_price_{tariff}", "the value of natural gas saved")
            cf.price[fuel] = Factor(driver_input(price, f"gas price ({tariff}), {city.name}"))
        else:
            _general(cf, general, "price_petrol", cf.price, fuel, "savings", "petrol price")
    if "district_heat" in carriers:
        for metric in ("co2_avoided", "primary_energy_saved", "savings"):
            _gap(cf, metric, "no district-heat factor (CO2, PEF, price) in the city record or carrier-factors")
    return cf


def _general(cf: CarrierFactors, general: dict[str, Input], key: str, group: dict[str, Factor], carrier: str,
             metric: str, name: str) -> None:
    f = general.get(key)
    if f is None:
        if metric != "nox_avoided":  # NOx is shown only where a sourced factor exists
            _gap(cf, metric, f"no sourced '{key}' in the carrier-factors record (add it to compute this)")
        return
    group[carrier] = Factor(Input(name, f.key, f.low, f.mid, f.high, f.unit, f.evidence, f.source, role="factor",
                                  note=f.note))
