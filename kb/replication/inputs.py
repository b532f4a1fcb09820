"""Inputs of the impact model: measure types with low/mid/high parameters, general carrier factors, site figures."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Engine

from kb.errors import NotFound
from kb.i18n import Msg
from kb.records.vocab import MODEL_KEYS
from kb.replication.cities import source_label
from kb.store import catalog
from kb.store.readmodel import Number, StoredRecord

OPTIONAL_KEYS: dict[str, tuple[str, ...]] = {"pv": ("degradation", "self_consumption_share"), "retrofit": ("opex",),
                                             "battery": ("replacement_interval", "replacement_capex")}
FACTOR_KEYS: tuple[str, ...] = ("co2_natural_gas", "co2_petrol", "pef_natural_gas", "pef_petrol", "nox_natural_gas",
                                "nox_petrol", "pef_electricity_fallback", "price_petrol")
ECONOMIC_KEYS: tuple[str, ...] = ("discount_rate", "price_electricity_export")  # and every price_index_YYYY
FACTORS_ID = "carrier-factors"


class ParameterMissing(NotFound, LookupError):
    """A measure type lacks a parameter its model needs."""

    def __init__(self, measure: str, key: str) -> None:
        super().__init__(f"measure type '{measure}' has no value for parameter '{key}'; add a row with key "
                         f"'{key}' (low / mid / high, unit, evidence, source) to its ## Parameters table, or give a "
                         f"value of your own (kb estimate --param {key}=VALUE; the Estimate page asks for it)")
        self.measure = measure
        self.key = key


class NotAMeasureType(NotFound, LookupError):
    """The id is not a measure type with an impact model."""


@dataclass(frozen=True)
class Input:
    """One input of an estimate with its range and provenance (one row of the assumption table)."""

    name: str
    key: str
    low: float
    mid: float
    high: float
    unit: str
    evidence: str
    source: str
    role: str = "parameter"  # parameter | driver | factor | scale | calibration
    measure: str = ""
    note: str = ""
    note_said: Msg | None = field(default=None, compare=False)
    """The note as a structured message (translated by the app) where the library wrote it."""
    name_said: Msg | None = field(default=None, compare=False)
    """The name as a structured message where the library made it (``grid CO2 intensity (life-cycle), Kraków``);
    used only while its English is the name (a later rename without a new message shows the plain name)."""

    @property
    def uid(self) -> str:
        return f"{self.measure or self.role}.{self.key}"

    @property
    def uncertain(self) -> bool:
        return self.high > self.low

    @classmethod
    def fixed(cls, name: str, key: str, value: float, unit: str, evidence: str, source: str, **kw: Any) -> Input:
        return cls(name, key, value, value, value, unit, evidence, source, **kw)

    def to_row(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.mid, "low": self.low, "high": self.high, "unit": self.unit,
                "evidence": self.evidence, "source": self.source, "role": self.role, "measure": self.measure,
                "key": self.key, "note": self.note,
                **({"note_message": self.note_said.to_dict()} if self.note_said is not None else {}),
                **({"name_message": self.name_said.to_dict()}
                   if self.name_said is not None and str(self.name_said) == self.name else {})}


@dataclass(frozen=True)
class MeasureType:
    """A measure type with its model, scale unit, displaced carrier, parameters and preconditions."""

    id: str
    title: str
    model: str
    scale_unit: str
    displaces: str
    params: dict[str, Input] = field(default_factory=dict)
    preconditions: tuple[str, ...] = ()



def _range(q: Number) -> tuple[float, float, float] | None:
    if q.missing:
        return None
    if not q.ranged:
        v = q.value
        return None if v is None else (float(v), float(v), float(v))
    lo, mi, hi = q.low, q.mid, q.high
    vals = [v for v in (lo, mi, hi) if v is not None]
    if not vals:
        return None
    if mi is None:
        mi = (min(vals) + max(vals)) / 2
    return (float(lo if lo is not None else mi), float(mi), float(hi if hi is not None else mi))


def _inputs_from(rec: StoredRecord, section: str, role: str, measure: str) -> dict[str, Input]:
    titles = {s.id: s.title for s in rec.sources}
    out: dict[str, Input] = {}
    for q in rec.numbers_in(section):
        key = q.key
        if not key or key in out:
            continue
        rng = _range(q)
        if rng is None:
            continue
        note = q.note or ""
        if q.ranged and q.mid is None and q.low != q.high:
            note = (note + "; " if note else "") + "mid taken as the midpoint of low and high"
        out[key] = Input(q.item, key, *rng, unit=q.unit, evidence=q.evidence,
                         source=source_label(rec.id, q.source, titles), role=role, measure=measure, note=note)
    return out


def _bullets(text: str) -> tuple[str, ...]:
    return tuple(ln.strip()[2:].strip() for ln in text.split("\n") if ln.strip().startswith(("- ", "* ")))


def measure_type_from_record(rec: StoredRecord) -> MeasureType:
    if rec.kind != "measure_type":
        raise NotAMeasureType(f"'{rec.id}' is a {rec.kind} record, not a measure type")
    front = rec.front
    model = str(front.get("model", ""))
    if model not in MODEL_KEYS or model == "factors":
        raise NotAMeasureType(f"measure type '{rec.id}' has no impact model (model: {model or '-'})")
    pre = rec.section("Preconditions")
    return MeasureType(rec.id, rec.title, model, str(front.get("scale_unit", "")),
                       str(front.get("displaces") or _default_displaced(model)),
                       _inputs_from(rec, "Parameters", "parameter", rec.id), _bullets(pre.text if pre else ""))


def _default_displaced(model: str) -> str:
    return {"pv": "electricity", "battery": "electricity", "energy_management": "electricity",
            "ev_charging": "petrol", "car_sharing": "petrol"}.get(model, "natural_gas")


def load_measure_type(engine: Engine, measure_id: str) -> MeasureType:
    return measure_type_from_record(catalog.get_record(engine, measure_id))


def measure_types(engine: Engine) -> dict[str, MeasureType]:
    """Every measure type with an impact model, by id (read in bulk)."""
    out: dict[str, MeasureType] = {}
    for rec in catalog.records_of_kind(engine, "measure_type"):
        try:
            out[rec.id] = measure_type_from_record(rec)
        except NotAMeasureType:
            continue
    return out


REFERENCE_ID = "district-baseline"
"""The record of reference intensities per home and per m² (district plans and the estimates' reference district)."""


def reference_inputs(engine: Engine) -> dict[str, Input]:
    """The district-baseline record's parameters by key (role ``reference``); empty when the record is absent."""
    try:
        rec = catalog.get_record(engine, REFERENCE_ID)
    except catalog.RecordNotFound:
        return {}
    return {k: replace(v, role="reference") for k, v in _inputs_from(rec, "Parameters", "reference", "").items()}


# Keys of the declared factor basis (kb.replication.factors): life-cycle CO2 of the fuels (combustion + upstream),
# the total-type general gas PEF and the NCV/GCV ratio of natural gas (prices per GCV, model kWh per NCV).
BASIS_FACTOR_KEYS: tuple[str, ...] = ("co2_natural_gas_lifecycle", "co2_petrol_lifecycle", "pef_natural_gas_total",
                                      "pef_petrol_total", "ncv_gcv_natural_gas")


def load_factors(engine: Engine) -> dict[str, Input]:
    """The general per-carrier factors of the ``carrier-factors`` record (absent keys stay absent)."""
    try:
        rec = catalog.get_record(engine, FACTORS_ID)
    except catalog.RecordNotFound:
        return {}
    return {k: v for k, v in _inputs_from(rec, "Parameters", "factor", "").items()
            if k in FACTOR_KEYS or k in BASIS_FACTOR_KEYS or k in ECONOMIC_KEYS or k.startswith("price_index_")}


# --- solution records: scale rows, parameter overrides and source-site output figures ----------------------

OUTPUT_KEYS: dict[str, str] = {
    "electricity": "electricity", "natural_gas": "natural_gas", "district_heat": "district_heat",
    "petrol": "petrol", "co2": "co2_avoided", "primary_energy": "primary_energy_saved", "nox": "nox_avoided",
    "savings": "savings", "capex_total": "capex", "capex_budget": "capex",
}
"""Keys of source-site figures shown beside the model, by metric. Which of them may calibrate is decided by the
calibration rules (``kb.replication.solution``): only carrier flows and ``capex_total`` with measured or installed
evidence; the rest are reported at the source. ``investment_total_incl_non_energy`` is deliberately absent."""


@dataclass(frozen=True)
class SiteFigure:
    """A number the source site reported, keyed in its record."""

    key: str
    measure: str  # measure type id for a qualified key, else ""
    value: float | None
    unit: str
    evidence: str
    source: str
    item: str
    year: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "measure": self.measure or None, "item": self.item, "value": self.value,
                "unit": self.unit, "year": self.year, "evidence": self.evidence, "source": self.source}


def site_figures(rec: StoredRecord) -> list[SiteFigure]:
    """Every keyed number of a solution record (``scale``, overrides, outputs), qualified keys split."""
    titles = {s.id: s.title for s in rec.sources}
    out = []
    for q in rec.all_numbers():
        if not q.key:
            continue
        measure, _, bare = q.key.rpartition(".")
        value = None if q.missing else q.value
        out.append(SiteFigure(bare, measure, value, q.unit, q.evidence,
                              source_label(rec.id, q.source, titles) if value is not None else "",
                              q.item, q.year or ""))
    return out


_EUR_YEAR = re.compile(r"EUR(19|20)\d\d")


def norm_unit(unit: str) -> str:
    """Comparable form of a unit: ``EUR2015/homes/yr`` → ``eur/homes/yr``."""
    u = _EUR_YEAR.sub("EUR", unit.replace("€", "EUR").replace(" ", "").replace("·", "/"))
    return u.lower().replace("year", "yr").replace("households", "homes").replace("dwellings", "homes")


_ENERGY = {"wh": 1e-3, "kwh": 1.0, "mwh": 1e3, "gwh": 1e6, "twh": 1e9, "gj": 277.777778, "tj": 277777.778}
_MASS_T = {"g": 1e-6, "kg": 1e-3, "t": 1.0, "kt": 1e3, "mt": 1e6}
_MONEY = {"eur": 1.0, "keur": 1e3, "meur": 1e6}


def convert(value: float, unit: str, metric_unit: str) -> float | None:
    """A site figure in the unit of a metric (``MWh/yr``, ``tCO2/yr``, ``EUR``), or None when not convertible."""
    u = norm_unit(unit).removesuffix("/yr")
    u = re.sub(r"_(el|th|pe)$", "", u)
    target = norm_unit(metric_unit).removesuffix("/yr")
    if target in ("mwh", "mwh_pe"):
        return value * _ENERGY[u] / 1e3 if u in _ENERGY else None
    if target in ("tco2", "kg"):
        u = u.replace("co2e", "").replace("co2", "").replace("nox", "") or "t"
        if u not in _MASS_T:
            return None
        t = value * _MASS_T[u]
        return t if target == "tco2" else t * 1e3
    if target == "eur":
        return value * _MONEY[u] if u in _MONEY else None
    return None
