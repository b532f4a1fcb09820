"""PED classification of a district's exchanges across its boundary, against named definitions, with margins.

Definitions (names and documents as found; each result says which one it tests):

- ``annual_primary_energy`` — JPI Urban Europe, programme "Positive Energy Districts and Neighbourhoods for
  Sustainable Urban Development" (contributing to SET-Plan Action 3.2; https://jpi-urbaneurope.eu/ped-pen): a PED
  is "an urban neighbourhood with annual net zero energy import and net zero CO2 emissions working towards a
  surplus production of renewable energy". Tested here as the annual primary-energy balance of the exchanges,
  Σ export × PEF − Σ import × PEF ≥ 0 (MWh_PE/yr), over every carrier.
- ``annual_net_zero_co2`` — the CO2 half of the same JPI Urban Europe sentence: Σ export × CO2 factor − Σ import ×
  CO2 factor ≥ 0 (tCO2/yr).
- ``dynamic``, ``autonomous``, ``virtual`` — the PED ambition levels PEDautonomous, PEDdynamic and PEDvirtual of
  "The Sense and Non-Sense of PEDs — Feeding Back Practical Experiences of Positive Energy District Demonstrators
  into the European PED Framework Definition Development Process", Energies 2022, 15(12), 4491,
  https://doi.org/10.3390/en15124491 (NTNU and VITO/EnergyVille, from the +CityxChange project). Tested here as:
  *dynamic* — the annual primary-energy balance within the geographical boundary is ≥ 0 while energy is exchanged
  with the grids hour by hour (imports in some hours are allowed); *autonomous* — no hour with net import
  (primary-energy-weighted imports exceed exports) and no carrier imported at all that is known only as an annual
  figure; *virtual* — the balance is ≥ 0 only once named off-site renewables owned or contracted by the district
  are credited.

Not cited, because the text could not be read to name it precisely: the JPI Urban Europe White Paper on the PED
Reference Framework (2020), IEA EBC Annex 83 and Cities4PEDs. The boundary is the one of the exchanges passed in:
``BOUNDARY`` below, restated in every result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from kb.errors import InvalidInput
from kb.i18n import N_, Msg, Num, Param, joined

__all__ = ["CarrierExchange", "OffsiteRenewable", "DefinitionResult", "PedStatus", "PedInvalid", "classify",
           "BOUNDARY", "DEFINITIONS"]

FloatArray = NDArray[np.float64]
Series = float | FloatArray
"""An annual figure (kWh/yr, or a factor), or an hourly array over the year."""

BOUNDARY = ("geographical boundary of the district: energy counted where it crosses the district's grid "
            "connections (import and export per carrier); on-site generation used on site is not counted twice")

DEFINITIONS: dict[str, tuple[str, str]] = {
    "annual_primary_energy": ("Annual net-positive primary energy",
                              "JPI Urban Europe PED programme (SET-Plan Action 3.2)"),
    "annual_net_zero_co2": ("Annual net-zero CO2", "JPI Urban Europe PED programme (SET-Plan Action 3.2)"),
    "dynamic": ("PEDdynamic", "Energies 2022, 15(12), 4491 (+CityxChange)"),
    "autonomous": ("PEDautonomous", "Energies 2022, 15(12), 4491 (+CityxChange)"),
    "virtual": ("PEDvirtual", "Energies 2022, 15(12), 4491 (+CityxChange)"),
}
"""key → (name, source) of each definition ``classify`` tests."""

_EPS = 1e-9
CARRIER_WORDS: dict[str, str] = {"electricity": N_("electricity"), "natural_gas": N_("natural gas"),
                                 "district_heat": N_("district heat"), "petrol": N_("petrol and diesel")}
"""The carriers in words, inside a sentence."""


class PedInvalid(InvalidInput, ValueError):
    """Exchanges, factors or off-site supplies the classification cannot use; ``str(exc)`` says which."""


@dataclass(frozen=True)
class CarrierExchange:
    """What one carrier brings across the boundary: import and export in kWh, hourly (shape ``(hours,)``) or as
    annual figures; primary-energy factors (kWh_PE/kWh) and CO2 factors (kg/kWh) as numbers or hourly arrays, always
    given (no default: they come from the city's sourced factors). Export factors default to the import factors
    (the exported energy displaces the same supply)."""

    carrier: str
    import_kwh: Series
    pef: Series
    co2_kg_per_kwh: Series
    export_kwh: Series = 0.0
    pef_export: Series | None = None
    co2_export_kg_per_kwh: Series | None = None

    @property
    def hourly(self) -> bool:
        return np.ndim(self.import_kwh) == 1 or np.ndim(self.export_kwh) == 1


@dataclass(frozen=True)
class OffsiteRenewable:
    """A named off-site renewable supply the district owns or contracts (a share of a wind farm, a PV park):
    annual kWh and the primary-energy and CO2 factors of the supply it displaces."""

    name: str
    kwh_per_year: float
    pef: float
    co2_kg_per_kwh: float = 0.0


@dataclass(frozen=True)
class DefinitionResult:
    """One definition tested: met or not, the margin (positive = surplus) in ``unit``, and one sentence."""

    key: str
    name: str
    source: str
    met: bool
    margin: float
    unit: str
    explanation: str
    message: Msg | None = field(default=None, compare=False)
    """The explanation as a structured message (translated by the app); ``explanation`` is its English."""

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"key": self.key, "name": self.name, "source": self.source, "met": self.met,
                                  "margin": self.margin, "unit": self.unit, "explanation": self.explanation}
        if self.message is not None:
            out["message"] = self.message.to_dict()
        return out


@dataclass(frozen=True)
class PedStatus:
    """The classification: the boundary, the balances and one ``DefinitionResult`` per definition."""

    boundary: str
    primary_energy_balance_mwh: float
    co2_balance_t: float
    hours_with_net_import: int
    offsite_credit_mwh: float
    results: tuple[DefinitionResult, ...] = field(default_factory=tuple)

    def get(self, key: str) -> DefinitionResult:
        for r in self.results:
            if r.key == key:
                return r
        raise KeyError(key)

    @property
    def met(self) -> tuple[str, ...]:
        return tuple(r.key for r in self.results if r.met)

    def to_dict(self) -> dict[str, object]:
        return {"boundary": self.boundary, "primary_energy_balance_mwh": self.primary_energy_balance_mwh,
                "co2_balance_t": self.co2_balance_t, "hours_with_net_import": self.hours_with_net_import,
                "offsite_credit_mwh": self.offsite_credit_mwh, "definitions": [r.to_dict() for r in self.results]}


def _series(value: Series, what: str, hours: int | None) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim > 1 or (arr.ndim == 1 and hours is not None and arr.shape[0] != hours):
        raise PedInvalid(f"The {what} must be one number or one value per hour ({hours} hours).")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise PedInvalid(f"The {what} must be finite and not negative.")
    return arr


def classify(exchanges: list[CarrierExchange], offsite: list[OffsiteRenewable] | None = None) -> PedStatus:
    """Classify a district by its exchanges across the boundary (one entry per carrier, electricity hourly).

    Balances are export minus import, weighted by the factors, summed over the year; a positive margin is a
    surplus. Autonomy is judged hour by hour over the hourly carriers; an annual-only carrier with any import
    rules it out (its hours are unknown).
    """
    if not exchanges:
        raise PedInvalid("Give at least one carrier's import and export to classify the district.")
    names = [e.carrier for e in exchanges]
    if len(set(names)) != len(names):
        raise PedInvalid("Each carrier may appear only once in the exchanges.")
    lengths = {int(np.shape(a)[0]) for e in exchanges for a in (e.import_kwh, e.export_kwh) if np.ndim(a) == 1}
    if len(lengths) > 1:
        raise PedInvalid("The hourly exchanges must all cover the same hours.")
    hours = lengths.pop() if lengths else None
    pe_balance = 0.0
    co2_balance = 0.0
    hourly_net_pe = np.zeros(hours or 0)
    annual_only_imports: list[str] = []
    for e in exchanges:
        imp = _series(e.import_kwh, f"{e.carrier} import", hours)
        exp = _series(e.export_kwh, f"{e.carrier} export", hours)
        pef = _series(e.pef, f"{e.carrier} primary-energy factor", hours)
        pef_x = pef if e.pef_export is None else _series(e.pef_export, f"{e.carrier} export primary-energy factor",
                                                         hours)
        co2 = _series(e.co2_kg_per_kwh, f"{e.carrier} CO2 factor", hours)
        co2_x = co2 if e.co2_export_kg_per_kwh is None else _series(e.co2_export_kg_per_kwh,
                                                                    f"{e.carrier} export CO2 factor", hours)
        if imp.ndim == 0 and exp.ndim == 0 and (pef.ndim == 1 or co2.ndim == 1 or pef_x.ndim == 1 or co2_x.ndim == 1):
            raise PedInvalid(f"Hourly factors for {e.carrier} need hourly import and export.")
        if imp.ndim != exp.ndim and float(imp.sum() if imp.ndim == 0 else exp.sum()) > 0:
            raise PedInvalid(f"Give {e.carrier} import and export both hourly or both as annual figures.")
        net_pe = exp * pef_x - imp * pef
        pe_balance += float(np.sum(net_pe))
        co2_balance += float(np.sum(exp * co2_x - imp * co2))
        if e.hourly and hours is not None:
            hourly_net_pe = hourly_net_pe + np.broadcast_to(net_pe, (hours,))
        elif float(np.sum(imp)) > _EPS:
            annual_only_imports.append(e.carrier)
    credit_pe = 0.0
    credit_co2 = 0.0
    offsite_names: list[str] = []
    for o in offsite or []:
        if not o.name.strip():
            raise PedInvalid("Each off-site renewable supply needs a name.")
        for what, v in (("kWh per year", o.kwh_per_year), ("primary-energy factor", o.pef),
                        ("CO2 factor", o.co2_kg_per_kwh)):
            if not (math.isfinite(v) and v >= 0):
                raise PedInvalid(f"The {what} of the off-site supply {o.name!r} must be a number, at least 0.")
        credit_pe += o.kwh_per_year * o.pef
        credit_co2 += o.kwh_per_year * o.co2_kg_per_kwh
        offsite_names.append(o.name)
    net_hours = int(np.count_nonzero(hourly_net_pe < -_EPS)) if hours is not None else 0
    pe_mwh = pe_balance / 1000.0
    co2_t = co2_balance / 1000.0
    credit_mwh = credit_pe / 1000.0
    results = (
        _annual(pe_mwh),
        _co2(co2_t),
        _dynamic(pe_mwh, hours, net_hours),
        _autonomous(hours, net_hours, annual_only_imports),
        _virtual(pe_mwh, credit_mwh, offsite_names),
    )
    return PedStatus(boundary=BOUNDARY, primary_energy_balance_mwh=pe_mwh, co2_balance_t=co2_t,
                     hours_with_net_import=net_hours, offsite_credit_mwh=credit_mwh, results=results)


def _result(key: str, met: bool, margin: float, unit: str, message: Msg) -> DefinitionResult:
    name, source = DEFINITIONS[key]
    return DefinitionResult(key=key, name=name, source=source, met=met, margin=margin, unit=unit,
                            explanation=str(message), message=message)


def _mwh(x: float) -> Num:
    return Num(abs(x), ",.1f")


def _annual(pe: float) -> DefinitionResult:
    if pe >= 0:
        text = Msg(N_("Over the year the district exports {amount} MWh primary energy/yr more primary energy than it "
                      "imports."), {"amount": _mwh(pe)})
    else:
        text = Msg(N_("Over the year the district imports {amount} MWh primary energy/yr more primary energy than it "
                      "exports."), {"amount": _mwh(pe)})
    return _result("annual_primary_energy", pe >= 0, pe, "MWh_PE/yr", text)


def _co2(co2: float) -> DefinitionResult:
    template = (N_("Its exchanges across the boundary avoid a net {amount} t CO₂/yr.") if co2 >= 0 else
                N_("Its exchanges across the boundary cause a net {amount} t CO₂/yr."))
    return _result("annual_net_zero_co2", co2 >= 0, co2, "tCO2/yr",
                   Msg(template, {"amount": Num(abs(co2), ",.1f")}))


def _dynamic(pe: float, hours: int | None, net_hours: int) -> DefinitionResult:
    if hours is None:
        return _result("dynamic", False, pe, "MWh_PE/yr",
                       Msg(N_("Without hourly exchanges it cannot be shown how the balance holds across the "
                              "boundary.")))
    if pe >= 0:
        text = Msg(N_("The annual balance is positive by {amount} MWh primary energy/yr while the district imports in "
                      "{net_hours} of {hours} hours and exports in others."),
                   {"amount": _mwh(pe), "net_hours": net_hours, "hours": hours})
    else:
        text = Msg(N_("Trading with the grids hour by hour, the district still falls {amount} MWh primary energy/yr "
                      "short over the year."), {"amount": _mwh(pe)})
    return _result("dynamic", pe >= 0, pe, "MWh_PE/yr", text)


def _autonomous(hours: int | None, net_hours: int, annual_only: list[str]) -> DefinitionResult:
    if annual_only:
        carriers = joined([Msg(CARRIER_WORDS.get(c, c)) for c in annual_only])
        text = Msg(N_("It imports {carriers}, known only as an annual figure, so it is not self-sufficient in every "
                      "hour ({net_hours} hours with net import among the hourly carriers)."),
                   {"carriers": carriers, "net_hours": net_hours})
        return _result("autonomous", False, float(net_hours), "hours with net import", text)
    if hours is None:
        return _result("autonomous", False, 0.0, "hours with net import",
                       Msg(N_("Without hourly exchanges autonomy in every hour cannot be shown.")))
    if net_hours == 0:
        text = Msg(N_("It meets its own demand in every one of the {hours} hours without net import."),
                   {"hours": hours})
    else:
        text = Msg(N_("It needs net import in {net_hours} of {hours} hours, so it is not self-sufficient at every "
                      "hour."), {"net_hours": net_hours, "hours": hours})
    return _result("autonomous", net_hours == 0, float(net_hours), "hours with net import", text)


def _virtual(pe: float, credit: float, names: list[str]) -> DefinitionResult:
    total = pe + credit
    if not names:
        return _result("virtual", False, total, "MWh_PE/yr",
                       Msg(N_("No named off-site renewable supply is counted, so a virtual balance does not apply.")))
    values: dict[str, Param] = {"supplies": ", ".join(names), "credit": _mwh(credit), "shortfall": _mwh(pe),
                                "total": _mwh(total)}
    if pe >= 0:
        template = N_("It is positive without off-site supply; counting {supplies} adds {credit} MWh primary "
                      "energy/yr.")
    elif total >= 0:
        template = N_("Counting {supplies} ({credit} MWh primary energy/yr) turns a shortfall of {shortfall} MWh "
                      "primary energy/yr into a surplus of {total} MWh primary energy/yr.")
    else:
        template = N_("Even counting {supplies} ({credit} MWh primary energy/yr) it falls {total} MWh primary "
                      "energy/yr short over the year.")
    return _result("virtual", total >= 0, total, "MWh_PE/yr", Msg(template, values))
