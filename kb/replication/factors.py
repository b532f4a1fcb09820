"""Per-carrier factors for a city on one declared basis (CO2 life-cycle or direct, PEF non-renewable or total).

Every CO2 and primary-energy factor of an estimate is taken on the :class:`FactorBasis` the user chose (default:
life-cycle CO2, non-renewable primary energy). A factor is never mixed in silently; where a carrier has no factor
on the chosen basis the choice per case is:

- **Grid electricity CO2, direct basis**: no source gives a direct (combustion-only) grid factor for these
  countries, so unless the city has a ``grid_co2_direct`` driver the life-cycle ``grid_co2`` is used and the row
  says ``FALLBACK: direct factor for electricity not found; ...``. (Dropping electricity would make CO2 of every
  heat pump and PV estimate unavailable; the fallback overstates the direct grid emissions by the upstream share.)
- **Natural gas and petrol CO2, life-cycle basis**: combustion (``co2_<fuel>``) plus upstream (well-to-tank) in
  ``co2_<fuel>_lifecycle`` of the carrier-factors record; where that row is absent the combustion factor is used,
  labelled ``FALLBACK``.
- **Primary energy factors**: the national factor of the chosen type from the city record (``pef_<carrier>_nren`` or
  ``pef_<carrier>_total``); else a national factor whose type the record or the user does not state (``pef_<carrier>``,
  taken on the chosen type and its row says so); else the national factor of the other type, labelled ``FALLBACK``;
  else for electricity the EU default (Delegated Regulation (EU) 2023/807) and for natural gas the general factor of
  the carrier-factors record (Spain's RITE 2014), labelled ``FALLBACK``.
- **Petrol primary energy** (no sourced petrol PEF): the metric is computed over the carriers that have a factor and
  :attr:`CarrierFactors.notes` says what is excluded (a petrol-saving measure then shows only the primary energy of
  the electricity it adds). One petrol measure no longer makes primary energy unavailable for a whole portfolio.
- **District heat**: read from the city drivers ``co2_district_heat``, ``pef_district_heat_nren`` /
  ``pef_district_heat_total`` and ``district_heat_price`` where the operator publishes them; a missing one makes that
  metric unavailable with the reason, never a default. The published CO2 figures do not state a basis, so they
  carry a ``FALLBACK`` label on either basis.
- **Gross vs net calorific value**: the models count gas in kWh of net calorific value (boiler efficiencies on NCV);
  Eurostat household and non-household gas prices are per kWh of gross calorific value. The price is divided by the
  NCV/GCV ratio ``ncv_gcv_natural_gas`` of the carrier-factors record (the row says so); without that row the price
  is applied as published and a note says the bases differ. The CO2 factors used (IPCC, DESNZ well-to-tank) are per
  kWh NCV already.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from kb.errors import InvalidInput
from kb.i18n import N_, Msg, Said
from kb.replication.cities import CityProfile, Driver
from kb.replication.inputs import Input

CO2_BASES: tuple[str, ...] = ("life-cycle", "direct")
PEF_BASES: tuple[str, ...] = ("non-renewable", "total")
_PEF_SUFFIX = {"non-renewable": "nren", "total": "total"}
_PEF_OTHER = {"non-renewable": "total", "total": "non-renewable"}


class FactorBasisInvalid(InvalidInput, ValueError):
    """A factor basis that is not one of the declared ones."""


@dataclass(frozen=True)
class FactorBasis:
    """The basis of every CO2 and primary-energy factor of one estimate."""

    co2: str = "life-cycle"
    pef: str = "non-renewable"

    def __post_init__(self) -> None:
        if self.co2 not in CO2_BASES:
            raise FactorBasisInvalid(f"CO2 basis: '{self.co2}' is not one of {', '.join(CO2_BASES)}")
        if self.pef not in PEF_BASES:
            raise FactorBasisInvalid(f"primary energy basis: '{self.pef}' is not one of {', '.join(PEF_BASES)}")

    def to_dict(self) -> dict[str, str]:
        return {"co2": self.co2, "pef": self.pef}

    def describe(self) -> str:
        return f"CO2 {self.co2}, primary energy {self.pef}"

    def said(self) -> Msg:
        """:meth:`describe` as a message (translated by the app)."""
        return Msg(N_("CO2 {co2}, primary energy {pef}"), {"co2": Msg(_BASIS_WORDS[self.co2]),
                                                            "pef": Msg(_BASIS_WORDS[self.pef])})


_BASIS_WORDS = {"life-cycle": N_("life-cycle"), "direct": N_("direct (combustion only)"),
                "non-renewable": N_("non-renewable"), "total": N_("total")}


DEFAULT_BASIS = FactorBasis()


@dataclass(frozen=True)
class Factor:
    """A factor as an Input, and the multiplier that turns its unit into per-kWh units of the metric."""

    input: Input
    mult: float = 1.0


@dataclass
class CarrierFactors:
    """Factors by metric and carrier; ``unavailable`` says which metric lacks a factor for which carrier, and why;
    ``notes`` lists every fallback and exclusion (the labels of the assumption rows, in one list)."""

    co2: dict[str, Factor] = field(default_factory=dict)  # kg CO2/kWh
    pef: dict[str, Factor] = field(default_factory=dict)  # kWh_PE/kWh
    nox: dict[str, Factor] = field(default_factory=dict)  # g NOx/kWh
    price: dict[str, Factor] = field(default_factory=dict)  # EUR/kWh
    unavailable: dict[str, str] = field(default_factory=dict)  # metric -> reason
    basis: FactorBasis = DEFAULT_BASIS
    notes: list[str] = field(default_factory=list)

    def inputs(self) -> list[Input]:
        seen: dict[str, Input] = {}
        for group in (self.co2, self.pef, self.nox, self.price):
            for f in group.values():
                seen.setdefault(f.input.uid, f.input)
        return list(seen.values())

    def summary(self) -> dict[str, Any]:
        """The declared basis and every fallback or exclusion, for ``Estimate.factor_basis``."""
        return {**self.basis.to_dict(), "label": self.basis.describe(), "label_message": self.basis.said().to_dict(),
                "notes": list(self.notes)}


WORDS = (N_("electricity"), N_("natural gas"), N_("petrol"), N_("district heat"), N_("household"),
         N_("non-household"), N_("non-renewable"), N_("total"))
"""Words that go into the factor names below (carriers, tariffs, primary-energy bases): translated by the app."""


def driver_input(d: Driver, name: str | Msg) -> Input:
    """A city driver as an Input: its low / mid / high where the record gives a range, else a fixed value; a
    :class:`~kb.i18n.Msg` name is kept for the app to translate."""
    mid = float(d.value or 0.0)
    low = mid if d.low is None else float(d.low)
    high = mid if d.high is None else float(d.high)
    return Input(str(name), d.key, low, mid, high, d.unit, d.evidence, d.source, role="driver", note=d.note,
                 name_said=name if isinstance(name, Msg) else None)


def _gap(cf: CarrierFactors, metric: str, reason: str) -> None:
    cf.unavailable.setdefault(metric, reason)


def _labelled(inp: Input, name: str | Msg, note: str, key: str | None = None, scale: float = 1.0) -> Input:
    """``inp`` renamed (a :class:`~kb.i18n.Msg` name is kept for the app to translate) and annotated (``note``
    first), its range scaled by ``scale``; role factor unless a driver."""
    old = f"; {inp.note}" if inp.note else ""
    return replace(inp, name=str(name), name_said=name if isinstance(name, Msg) else None, key=key or inp.key,
                   low=inp.low * scale, mid=inp.mid * scale, high=inp.high * scale, note=f"{note}{old}")


def _fallback(cf: CarrierFactors, basis: str, carrier: str, used: str) -> str:
    note = f"FALLBACK: {basis} factor for {carrier} not found; {used}"
    cf.notes.append(note)
    return note


def _driver(city: CityProfile, key: str) -> Driver | None:
    d = city.drivers.get(key)
    return d if d is not None and d.value is not None else None


def carrier_factors(city: CityProfile, general: dict[str, Input], carriers: set[str],
                    tariff: str = "household", basis: FactorBasis = DEFAULT_BASIS) -> CarrierFactors:
    """Factors for the carriers an estimate touches, on ``basis``. A missing city driver the estimate cannot do
    without raises ``DriverMissing``; a missing factor is a labelled fallback or an unavailable metric (module
    docstring), never a silent default."""
    cf = CarrierFactors(basis=basis)
    if "electricity" in carriers:
        _electricity(cf, city, general, tariff)
    for fuel, label in (("natural_gas", "natural gas"), ("petrol", "petrol")):
        if fuel in carriers:
            _fuel(cf, city, general, fuel, label, tariff)
    if "district_heat" in carriers:
        _district_heat(cf, city)
    if tariff == "household":
        _household_below_business(cf, city, carriers)
    return cf


def _household_below_business(cf: CarrierFactors, city: CityProfile, carriers: set[str]) -> None:
    """A household price below the non-household one (households normally pay more: taxes, small volumes) hints at
    a regulated or subsidised tariff that a district investment may not get: say so, and name the other tariff."""
    for carrier, key in (("electricity", "electricity_price"), ("natural_gas", "gas_price")):
        hh, biz = city.value(f"{key}_household"), city.value(f"{key}_non_household")
        if carrier in carriers and hh is not None and biz is not None and 0 < hh < biz:
            cf.notes.append(f"the household {carrier.replace('_', ' ')} price of {city.name} ({hh:g} EUR/kWh) is "
                            f"below its non-household price ({biz:g} EUR/kWh), which suggests a regulated household "
                            "tariff; savings are valued at the household price — choose the non-household tariff for "
                            "an investment that would not get it")


def _electricity(cf: CarrierFactors, city: CityProfile, general: dict[str, Input], tariff: str) -> None:
    basis = cf.basis
    direct = _driver(city, "grid_co2_direct") if basis.co2 == "direct" else None
    if direct is not None:
        name = Msg(N_("grid CO2 intensity (direct), {city}"), {"city": city.name})
        cf.co2["electricity"] = Factor(_labelled(driver_input(direct, ""), name, "basis: direct", key="grid_co2"),
                                       1e-3)
    else:
        g = city.require("grid_co2", "the CO2 of grid electricity")
        row = driver_input(g, "")
        if basis.co2 == "life-cycle":
            name = Msg(N_("grid CO2 intensity (life-cycle), {city}"), {"city": city.name})
            cf.co2["electricity"] = Factor(_labelled(row, name, "basis: life-cycle"), 1e-3)
        else:
            note = _fallback(cf, "direct", "electricity", f"the life-cycle grid factor of {city.name} was used "
                             "(no direct grid factor in the sources read; it includes upstream emissions)")
            cf.co2["electricity"] = Factor(_labelled(row, f"grid CO2 intensity — {note}", note), 1e-3)
    pef = _pef_driver(cf, city, "electricity", "electricity")
    if pef is not None:
        cf.pef["electricity"] = Factor(pef)
    elif "pef_electricity_fallback" in general:
        fb = general["pef_electricity_fallback"]
        note = _fallback(cf, basis.pef, "electricity", f"no national factor for {city.name}; the EU default of "
                         "Delegated Regulation (EU) 2023/807 was used (not split into renewable / non-renewable)")
        cf.pef["electricity"] = Factor(replace(_labelled(fb, f"primary energy factor, electricity — {note}", note),
                                               evidence=f"{fb.evidence} (fallback)", role="factor"))
    else:
        _gap(cf, "primary_energy_saved", "no national PEF for electricity and no EU fallback factor in "
                                         "carrier-factors")
    price = city.require(f"electricity_price_{tariff}", "the value of electricity saved or generated")
    row = driver_input(price, Msg(N_("electricity price ({tariff}), {city}"),
                                  {"tariff": Msg(tariff), "city": city.name}))
    cf.price["electricity"] = Factor(replace(row, note="a kWh saved, or generated and used on site, is valued at this "
                                                        "price; PV output beyond the self-consumption share is valued "
                                                        "at the export value (its own row)"))


def _pef_driver(cf: CarrierFactors, city: CityProfile, carrier: str, label: str) -> Input | None:
    """The national PEF of ``carrier`` on the chosen type, else of the other or an undeclared type (labelled)."""
    want = cf.basis.pef
    d = _driver(city, f"pef_{carrier}_{_PEF_SUFFIX[want]}")
    if d is not None:
        return _labelled(driver_input(d, ""), Msg(N_("primary energy factor ({basis}), {carrier}, {city}"),
                             {"basis": Msg(want), "carrier": Msg(label), "city": city.name}),
                         f"basis: {want}")
    d = _driver(city, f"pef_{carrier}")  # a national factor whose type the city (or the user) does not state
    if d is not None:
        return _labelled(driver_input(d, ""), Msg(N_("primary energy factor, {carrier} (national), {city}"),
                             {"carrier": Msg(label), "city": city.name}),
                         f"basis: {want} (taken as such: the city record or the user does not state whether this "
                         "national factor is non-renewable or total)")
    other = _PEF_OTHER[want]
    d = _driver(city, f"pef_{carrier}_{_PEF_SUFFIX[other]}")
    if d is not None:
        note = _fallback(cf, want, label, f"the national {other} factor of {city.name} was used")
        return _labelled(driver_input(d, ""), f"primary energy factor, {label} — {note}", note)
    return None


def _fuel(cf: CarrierFactors, city: CityProfile, general: dict[str, Input], fuel: str, label: str,
          tariff: str) -> None:
    basis = cf.basis
    direct = general.get(f"co2_{fuel}")
    life = general.get(f"co2_{fuel}_lifecycle")
    if basis.co2 == "life-cycle" and life is not None:
        cf.co2[fuel] = Factor(_labelled(_factor(life), Msg(N_("CO2 factor, {carrier} (life-cycle)"),
                                                           {"carrier": Msg(label)}), "basis: life-cycle"))
    elif direct is not None:
        if basis.co2 == "direct":
            cf.co2[fuel] = Factor(_labelled(_factor(direct), Msg(N_("CO2 factor, {carrier} (direct)"),
                                                                 {"carrier": Msg(label)}), "basis: direct"))
        else:
            note = _fallback(cf, "life-cycle", label, "the combustion-only (direct) factor was used")
            cf.co2[fuel] = Factor(_labelled(_factor(direct), f"CO2 factor, {label} — {note}", note))
    else:
        _gap(cf, "co2_avoided", f"no sourced 'co2_{fuel}' in the carrier-factors record (add it to compute this)")
    pef = _pef_driver(cf, city, fuel, label)
    if pef is not None:
        cf.pef[fuel] = Factor(pef)
    else:
        key = f"pef_{fuel}" if basis.pef == "non-renewable" else f"pef_{fuel}_total"
        g = general.get(key)
        if g is not None:
            note = _fallback(cf, basis.pef, label, f"no national factor for {city.name}; the general factor of the "
                             f"carrier-factors record was used ({g.source or 'source not stated'})")
            cf.pef[fuel] = Factor(_labelled(_factor(g), f"primary energy factor, {label} — {note}", note))
        else:
            cf.notes.append(f"primary energy saved leaves out {label}: no sourced {basis.pef} primary energy factor "
                            f"for {label} (a measure that saves {label} shows only the primary energy of the other "
                            "carriers it uses)")
    nox = general.get(f"nox_{fuel}")
    if nox is not None:  # NOx is shown only where a sourced factor exists
        cf.nox[fuel] = Factor(replace(_factor(nox), name=f"NOx factor, {label}"))
    if fuel == "natural_gas":
        price = city.require(f"gas_price_{tariff}", "the value of natural gas saved")
        row = driver_input(price, Msg(N_("gas price ({tariff}), {city}"), {"tariff": Msg(tariff),
                                                                           "city": city.name}))
        ratio = general.get("ncv_gcv_natural_gas")
        if ratio is not None and ratio.mid > 0:
            row = _labelled(row, Msg(N_("gas price ({tariff}) per kWh net calorific value, {city}"),
                                {"tariff": Msg(tariff), "city": city.name}),
                            f"the published price per kWh gross calorific value ({row.mid:g} EUR/kWh) divided by the "
                            f"NCV/GCV ratio {ratio.mid:g} ({ratio.source}), because the models count gas in kWh of "
                            f"net calorific value", scale=1 / ratio.mid)
        else:
            cf.notes.append("gas price applied per kWh as published (Eurostat: gross calorific value) to kWh of net "
                            "calorific value: no NCV/GCV ratio in carrier-factors")
        cf.price[fuel] = Factor(row)
    elif "price_petrol" in general:
        cf.price[fuel] = Factor(replace(_factor(general["price_petrol"]), name="petrol price"))
    else:
        _gap(cf, "savings", "no sourced 'price_petrol' in the carrier-factors record (add it to compute this)")


def _district_heat(cf: CarrierFactors, city: CityProfile) -> None:
    co2 = _driver(city, "co2_district_heat")
    if co2 is not None:
        note = _fallback(cf, cf.basis.co2, "district heat", f"the operator's published figure for {city.name} was "
                         "used (its basis is not stated by the source)")
        cf.co2["district_heat"] = Factor(_labelled(driver_input(co2, ""), f"district heat CO2 — {note}", note), 1e-3)
    else:
        _gap(cf, "co2_avoided", Said(Msg(N_("no district-heat CO₂ factor for {city}"), {"city": city.name}),
                                     f"no district-heat CO2 factor for {city.name} (city driver 'co2_district_heat')"))
    pef = _pef_driver(cf, city, "district_heat", "district heat")
    if pef is not None:
        cf.pef["district_heat"] = Factor(pef)
    else:
        _gap(cf, "primary_energy_saved", Said(
            Msg(N_("no district-heat primary energy factor for {city}"), {"city": city.name}),
            f"no district-heat primary energy factor for {city.name} (city driver 'pef_district_heat_nren' or "
            "'pef_district_heat_total')"))
    price = _driver(city, "district_heat_price")
    if price is not None:
        cf.price["district_heat"] = Factor(driver_input(price, f"district heat price, {city.name}"))
    else:
        _gap(cf, "savings", Said(Msg(N_("no district-heat price for {city}"), {"city": city.name}),
                                 f"no district-heat price for {city.name} (city driver 'district_heat_price')"))


def _factor(f: Input) -> Input:
    """A general factor of the carrier-factors record as an estimate input (role factor)."""
    return replace(f, role="factor", measure="")
