"""District plans as data: the district, its figures with provenance, the measures; read from and written to TOML.

A figure in a plan is a number or a table ``{value = 1000, evidence = "design", source = "..."}`` (or ``low`` /
``mid`` / ``high`` instead of ``value``). Evidence is one of the record format's levels or ``assumption`` (a
labelled choice where no source gives the figure). Parsing checks the structure and the signs; the city and the
measure types are checked when the plan is evaluated against the knowledge base. ``[[district.offsite]]`` names
off-site renewable supplies the district owns or contracts (counted by PEDvirtual only); ``[district.load_profile]``
``services_share`` says how much of the remaining electricity follows the services load profile.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import tomli_w

from kb.errors import InvalidInput
from kb.records.vocab import CARRIERS, EVIDENCE_LEVELS
from kb.replication.bounds import SAMPLES, SEED, Bound, check, scale_bound

PLAN_EVIDENCE: tuple[str, ...] = (*EVIDENCE_LEVELS, "assumption", "entered")
FLOOR_USES: tuple[str, ...] = ("residential", "non_residential")
PLAN_FACTOR_KEYS: tuple[str, ...] = tuple(
    f"{m}_{c}" for m in ("pef", "co2", "price") for c in ("district_heat", "petrol", "natural_gas"))
FACTOR_UNITS = {"pef": "kWh/kWh", "co2": "kg/kWh", "price": "EUR/kWh"}
LIMIT_KEYS: dict[str, str] = {"roof_area": "m2", "facade_area": "m2", "kwp_per_m2": "kWp/m2"}
SETTINGS = ("samples", "seed", "tariff")
DISTRICT_KEYS: tuple[str, ...] = ("name", "city", "description", "homes", "floor_area", "baseline", "heating",
                                  "limits", "offsite", "load_profile")
OFFSITE_KEYS: tuple[str, ...] = ("name", "carrier", "supply")
OFFSITE_CARRIERS: tuple[str, ...] = ("electricity",)
LOAD_PROFILE_KEYS: tuple[str, ...] = ("services_share",)
MAX_OFFSITE = 100  # off-site supplies in one plan: a few contracts or shares, not a registry

# Reading a plan file, possibly uploaded by an anonymous visitor: a plan is a few kB with tables two or three
# levels deep. Larger or deeper input is refused before it is parsed (tomllib recurses once per level).
MAX_PLAN_BYTES = 1_000_000
MAX_TOML_DEPTH = 32
# The figures of a plan: generous physical ranges (a district of ten million homes, a thousand km2 of floor).
MAX_AREA_M2 = 1e9
BOUNDS: dict[str, Bound] = {
    "homes": Bound(0.0, 1e7, "homes"),
    "floor_area": Bound(0.0, MAX_AREA_M2, "m2"),
    "baseline": Bound(0.0, 1e9, "MWh/yr"),  # 1,000 TWh a year: the demand of a large country
    "heating": Bound(0.0, 1.0, "-"),
    "roof_area": Bound(0.0, MAX_AREA_M2, "m2"), "facade_area": Bound(0.0, MAX_AREA_M2, "m2"),
    "kwp_per_m2": Bound(0.0, 1.0, "kWp/m2", low_open=True),  # a divisor; 1 kWp/m2 would be 100 % efficient
    "pef": Bound(0.0, 10.0, "kWh/kWh"), "co2": Bound(0.0, 5.0, "kg/kWh"), "price": Bound(0.0, 10.0, "EUR/kWh"),
    "offsite_supply": Bound(0.0, 1e9, "MWh/yr"),  # as the baseline: the output of a large country's wind fleet
    "services_share": Bound(0.0, 1.0, "-"),
}


class PlanError(InvalidInput, ValueError):
    """A plan that cannot be read or evaluated; the message says where and how to fix it."""


@dataclass(frozen=True)
class Figure:
    """One number of a plan with its range and provenance."""

    low: float
    mid: float
    high: float
    unit: str = ""
    evidence: str = "entered"
    source: str = "entered by the user"
    note: str = ""

    @classmethod
    def of(cls, value: float, unit: str = "", evidence: str = "entered", source: str = "entered by the user",
           note: str = "") -> Figure:
        return cls(float(value), float(value), float(value), unit, evidence, source, note)

    @property
    def value(self) -> float:
        return self.mid

    def to_toml(self) -> dict[str, Any]:
        d: dict[str, Any] = ({"value": self.mid} if self.low == self.mid == self.high
                             else {"low": self.low, "mid": self.mid, "high": self.high})
        for k in ("unit", "evidence", "source", "note"):
            v = getattr(self, k)
            if v:
                d[k] = v
        return d


@dataclass(frozen=True)
class PlanMeasure:
    """A measure of the portfolio: a measure type id, its scale (in the type's unit) and where the scale comes from."""

    type: str
    scale: Figure
    displaces: str = ""
    label: str = ""

    def to_toml(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.type, "scale": self.scale.to_toml()}
        if self.displaces:
            d["displaces"] = self.displaces
        if self.label:
            d["label"] = self.label
        return d


@dataclass(frozen=True)
class OffsiteSupply:
    """A named off-site renewable supply the district owns or contracts (a share in a wind park, a PV park): its
    annual supply (MWh/yr) with provenance. Counted only by the PEDvirtual definition, never in the annual balance
    within the district's boundary."""

    name: str
    supply: Figure
    carrier: str = "electricity"

    def to_toml(self) -> dict[str, Any]:
        return {"name": self.name, "carrier": self.carrier, "supply": self.supply.to_toml()}


@dataclass
class PlanSpec:
    """A district and its portfolio, as read from a plan file or built in the app."""

    name: str
    city: str
    homes: Figure | None = None
    floor_area: dict[str, Figure] = field(default_factory=dict)
    baseline: dict[str, Figure] = field(default_factory=dict)  # MWh/yr by carrier, entered
    heating: dict[str, Figure] = field(default_factory=dict)  # share of heat demand by carrier (0-1)
    limits: dict[str, Figure] = field(default_factory=dict)
    factors: dict[str, Figure] = field(default_factory=dict)
    measures: list[PlanMeasure] = field(default_factory=list)
    description: str = ""
    samples: int = 2000
    seed: int = 42
    tariff: str = "household"
    offsite: list[OffsiteSupply] = field(default_factory=list)
    services_share: Figure | None = None
    """Share (0–1) of the remaining electricity that follows the services load profile (BDEW G25) instead of the
    household one (H25); None: all household, a model assumption."""

    def to_toml_dict(self) -> dict[str, Any]:
        district: dict[str, Any] = {"name": self.name, "city": self.city}
        if self.description:
            district["description"] = self.description
        if self.homes is not None:
            district["homes"] = self.homes.to_toml()
        for key, group in (("floor_area", self.floor_area), ("baseline", self.baseline),
                           ("heating", self.heating), ("limits", self.limits)):
            if group:
                district[key] = {k: f.to_toml() for k, f in group.items()}
        if self.services_share is not None:
            district["load_profile"] = {"services_share": self.services_share.to_toml()}
        if self.offsite:
            district["offsite"] = [o.to_toml() for o in self.offsite]
        out: dict[str, Any] = {"district": district}
        if self.factors:
            out["factors"] = {k: f.to_toml() for k, f in self.factors.items()}
        out["settings"] = {"samples": self.samples, "seed": self.seed, "tariff": self.tariff}
        out["measures"] = [m.to_toml() for m in self.measures]
        return out


def to_toml(spec: PlanSpec) -> str:
    """The plan as TOML text (round-trips through :func:`parse_plan`)."""
    return ("# District plan written by the ATELIER PED knowledge base (kb plan FILE to evaluate it)\n"
            + tomli_w.dumps(spec.to_toml_dict()))


# --- reading ------------------------------------------------------------------------------------------------

def _num(raw: Any, where: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise PlanError(f"{where}: expected a number, got {raw!r}")
    try:
        v = float(raw)
    except OverflowError:
        raise PlanError(f"{where}: {str(raw)[:20]}... is too large a number") from None
    if not math.isfinite(v):
        raise PlanError(f"{where}: expected a finite number, got {raw!r}")
    return v


def figure(raw: Any, where: str, unit: str = "", non_negative: bool = True) -> Figure:
    """A number or a ``{value | low, mid, high, unit, evidence, source, note}`` table as a :class:`Figure`."""
    if isinstance(raw, dict):
        unknown = set(raw) - {"value", "low", "mid", "high", "unit", "evidence", "source", "note"}
        if unknown:
            raise PlanError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        if "value" in raw:
            lo = mi = hi = _num(raw["value"], f"{where}.value")
        elif any(k in raw for k in ("low", "mid", "high")):
            vals = {k: _num(raw[k], f"{where}.{k}") for k in ("low", "mid", "high") if k in raw}
            mi = vals.get("mid", (min(vals.values()) + max(vals.values())) / 2)
            lo, hi = vals.get("low", mi), vals.get("high", mi)
            if not lo <= mi <= hi:
                raise PlanError(f"{where}: low ≤ mid ≤ high is required, got {lo:g} / {mi:g} / {hi:g}")
        else:
            raise PlanError(f"{where}: give 'value' (or 'low' / 'mid' / 'high')")
        evidence = str(raw.get("evidence") or "entered")
        if evidence not in PLAN_EVIDENCE:
            raise PlanError(f"{where}: evidence '{evidence}' must be one of {', '.join(PLAN_EVIDENCE)}")
        fig = Figure(lo, mi, hi, str(raw.get("unit") or unit), evidence,
                     str(raw.get("source") or "entered by the user"), str(raw.get("note") or ""))
    else:
        fig = Figure.of(_num(raw, where), unit)
    if non_negative and fig.low < 0:
        raise PlanError(f"{where}: must not be negative, got {fig.low:g}")
    return fig


_LINE = re.compile(r"at line (\d+)")
# What the depth scan stops at: string openers, comments, brackets and braces (everything else is skipped).
_TOML_TOKEN = re.compile(r"\"\"\"|'''|[\"'#\[\]{}]")
_STRING_END = {
    '"""': re.compile(r'(?:[^"\\]|\\.|"(?!""))*"""', re.DOTALL),
    "'''": re.compile(r"(?:[^']|'(?!''))*'''", re.DOTALL),
    '"': re.compile(r'(?:[^"\\\n]|\\.)*"'),
    "'": re.compile(r"[^'\n]*'"),
}


def toml_depth(text: str, limit: int = MAX_TOML_DEPTH) -> int:
    """The deepest nesting of ``[`` / ``{`` outside strings and comments, scanning no further than ``limit + 1``
    levels (linear in the text, never recursive). An unterminated string ends the scan of its line."""
    depth = deepest = 0
    pos = 0
    while (m := _TOML_TOKEN.search(text, pos)) is not None:
        tok = m.group()
        pos = m.end()
        if tok in ("[", "{"):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
        elif tok in ("]", "}"):
            depth = max(0, depth - 1)
        elif tok == "#":
            nl = text.find("\n", pos)
            pos = len(text) if nl < 0 else nl
        else:
            end = _STRING_END[tok].match(text, pos)
            if end is not None:
                pos = end.end()
            else:
                nl = text.find("\n", pos)
                pos = len(text) if nl < 0 else nl
    return deepest


def parse_plan(text: str, name: str = "plan") -> PlanSpec:
    """A plan from TOML text; malformed TOML and invalid figures raise :class:`PlanError` naming the place.

    Text longer than :data:`MAX_PLAN_BYTES` or nested deeper than :data:`MAX_TOML_DEPTH` is refused before it is
    parsed."""
    if len(text) > MAX_PLAN_BYTES:
        raise PlanError(f"{name}: the plan file is larger than {MAX_PLAN_BYTES:,} bytes")
    if toml_depth(text) > MAX_TOML_DEPTH:
        raise PlanError(f"{name}: the plan is nested more than {MAX_TOML_DEPTH} levels deep (arrays or inline "
                        "tables within each other); a plan needs two or three")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _LINE.search(str(exc))
        line = f" at line {m.group(1)}" if m else ""
        raise PlanError(f"{name}: malformed TOML{line}: {exc}") from None
    except RecursionError:  # the depth scan refuses this first: a belt
        raise PlanError(f"{name}: the plan is nested too deeply to be read") from None
    except ValueError as exc:  # not a TOMLDecodeError, e.g. an integer of more than 4,300 digits
        raise PlanError(f"{name}: malformed TOML: {exc}") from None
    return plan_from_dict(data, name)


def parse_plan_bytes(data: bytes, name: str = "plan") -> PlanSpec:
    """A plan from the bytes of a file or an upload: at most :data:`MAX_PLAN_BYTES`, UTF-8 (a BOM is allowed)."""
    if len(data) > MAX_PLAN_BYTES:
        raise PlanError(f"{name}: the plan file is larger than {MAX_PLAN_BYTES:,} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PlanError(f"{name}: the plan file is not UTF-8 text (save it as UTF-8)") from None
    return parse_plan(text, name)


def read_plan(path: Any) -> PlanSpec:
    """A plan from a file; a missing, unreadable, oversized, non-UTF-8 or invalid file raises :class:`PlanError`."""
    from pathlib import Path

    p = Path(path)
    try:
        if p.stat().st_size > MAX_PLAN_BYTES:
            raise PlanError(f"{p.name}: the plan file is larger than {MAX_PLAN_BYTES:,} bytes")
        data = p.read_bytes()
    except FileNotFoundError:
        raise PlanError(f"no plan file {p}") from None
    except OSError as exc:
        raise PlanError(f"cannot read plan file {p}: {exc.strerror or 'not a readable file'}") from None
    return parse_plan_bytes(data, p.name)


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    v = data.get(key, {})
    if not isinstance(v, dict):
        raise PlanError(f"{where}.{key}: expected a table")
    return v


def plan_from_dict(data: dict[str, Any], name: str = "plan") -> PlanSpec:
    unknown = set(data) - {"district", "factors", "settings", "measures"}
    if unknown:
        raise PlanError(f"{name}: unknown section(s) {', '.join(sorted(unknown))} "
                        "(expected [district], [factors], [settings], [[measures]])")
    d = data.get("district")
    if not isinstance(d, dict):
        raise PlanError(f"{name}: missing [district] table (name, city, homes, floor_area, baseline, limits)")
    unknown = set(d) - set(DISTRICT_KEYS)
    if unknown:
        raise PlanError(f"district: unknown field(s) {', '.join(sorted(unknown))} (one of {', '.join(DISTRICT_KEYS)})")
    for req in ("name", "city"):
        if not isinstance(d.get(req), str) or not d[req].strip():
            raise PlanError(f"{name}: missing field district.{req}")
    spec = PlanSpec(name=d["name"].strip(), city=d["city"].strip(), description=str(d.get("description") or ""))
    if "homes" in d:
        spec.homes = figure(d["homes"], "district.homes", "homes")
    for use, raw in _table(d, "floor_area", "district").items():
        if use not in FLOOR_USES:
            raise PlanError(f"district.floor_area.{use}: unknown use (one of {', '.join(FLOOR_USES)})")
        spec.floor_area[use] = figure(raw, f"district.floor_area.{use}", "m2")
    for c, raw in _table(d, "baseline", "district").items():
        if c not in CARRIERS:
            raise PlanError(f"district.baseline.{c}: unknown carrier (one of {', '.join(CARRIERS)})")
        spec.baseline[c] = figure(raw, f"district.baseline.{c}", "MWh/yr")
    for c, raw in _table(d, "heating", "district").items():
        if c not in ("natural_gas", "district_heat", "electricity"):
            raise PlanError(f"district.heating.{c}: unknown heating carrier (natural_gas, district_heat, electricity)")
        f = figure(raw, f"district.heating.{c}", "-")
        if f.high > 1:
            raise PlanError(f"district.heating.{c}: a share between 0 and 1, got {f.high:g}")
        spec.heating[c] = f
    if spec.heating and abs(sum(f.mid for f in spec.heating.values()) - 1) > 1e-6:
        raise PlanError("district.heating: the shares must add up to 1 (mid values), got "
                        + _share_sum({c: f.mid for c, f in spec.heating.items()}))
    for k, raw in _table(d, "limits", "district").items():
        if k not in LIMIT_KEYS:
            raise PlanError(f"district.limits.{k}: unknown limit (one of {', '.join(LIMIT_KEYS)})")
        spec.limits[k] = figure(raw, f"district.limits.{k}", LIMIT_KEYS[k])
    lp = _table(d, "load_profile", "district")
    for k in lp:
        if k not in LOAD_PROFILE_KEYS:
            raise PlanError(f"district.load_profile.{k}: unknown field (one of {', '.join(LOAD_PROFILE_KEYS)})")
    if "services_share" in lp:
        spec.services_share = figure(lp["services_share"], "district.load_profile.services_share", "-")
    spec.offsite = _offsite(d.get("offsite", []))
    for k, raw in _table(data, "factors", name).items():
        if k not in PLAN_FACTOR_KEYS:
            raise PlanError(f"factors.{k}: unknown factor (one of {', '.join(PLAN_FACTOR_KEYS)})")
        spec.factors[k] = figure(raw, f"factors.{k}", FACTOR_UNITS[k.split('_')[0]])
    settings = _table(data, "settings", name)
    for k in settings:
        if k not in SETTINGS:
            raise PlanError(f"settings.{k}: unknown setting (one of {', '.join(SETTINGS)})")
    if "samples" in settings:
        spec.samples = int(check(settings["samples"], SAMPLES, "settings.samples", PlanError))
    if "seed" in settings:
        spec.seed = int(check(settings["seed"], SEED, "settings.seed", PlanError))
    if "tariff" in settings:
        if settings["tariff"] not in ("household", "non_household"):
            raise PlanError("settings.tariff: 'household' or 'non_household'")
        spec.tariff = settings["tariff"]
    measures = data.get("measures", [])
    if not isinstance(measures, list):
        raise PlanError(f"{name}: measures must be an array of tables ([[measures]])")
    for i, m in enumerate(measures, start=1):
        where = f"measures[{i}]"
        if not isinstance(m, dict):
            raise PlanError(f"{where}: expected a table")
        unknown = set(m) - {"type", "scale", "displaces", "label"}
        if unknown:
            raise PlanError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        if not isinstance(m.get("type"), str) or not m["type"].strip():
            raise PlanError(f"{where}: missing field 'type' (a measure type id such as rooftop-pv)")
        if "scale" not in m:
            raise PlanError(f"{where} ({m['type']}): missing field 'scale'")
        disp = str(m.get("displaces") or "")
        if disp and disp not in CARRIERS:
            raise PlanError(f"{where}: displaces '{disp}' is not a carrier ({', '.join(CARRIERS)})")
        spec.measures.append(PlanMeasure(m["type"].strip(), figure(m["scale"], f"{where}.scale"), disp,
                                         str(m.get("label") or "")))
    validate(spec)
    return spec


def _offsite(raw: Any) -> list[OffsiteSupply]:
    """The ``[[district.offsite]]`` entries: a name, the carrier (electricity) and the annual supply, a figure."""
    if not isinstance(raw, list):
        raise PlanError("district.offsite: expected an array of tables ([[district.offsite]])")
    if len(raw) > MAX_OFFSITE:
        raise PlanError(f"district.offsite: at most {MAX_OFFSITE} off-site supplies, got {len(raw)}")
    out: list[OffsiteSupply] = []
    for i, o in enumerate(raw, start=1):
        where = f"district.offsite[{i}]"
        if not isinstance(o, dict):
            raise PlanError(f"{where}: expected a table with name, carrier and supply")
        unknown = set(o) - set(OFFSITE_KEYS)
        if unknown:
            raise PlanError(f"{where}: unknown field(s) {', '.join(sorted(unknown))} "
                            f"(one of {', '.join(OFFSITE_KEYS)})")
        if not isinstance(o.get("name"), str) or not o["name"].strip():
            raise PlanError(f"{where}.name: missing; name the supply (e.g. \"Share in a wind park (contract)\")")
        carrier = o.get("carrier", "electricity")
        if carrier not in OFFSITE_CARRIERS:
            raise PlanError(f"{where}.carrier: {carrier!r} is not supported; only electricity off-site supplies "
                            "are counted for now")
        if "supply" not in o:
            raise PlanError(f"{where}.supply: missing; give the annual supply in MWh/yr with its evidence and source")
        out.append(OffsiteSupply(o["name"].strip(), figure(o["supply"], f"{where}.supply", "MWh/yr"), carrier))
    return out


def _share_sum(shares: Mapping[str, float]) -> str:
    """``natural_gas 0.9 + district_heat 0.9 = 1.8``: the shares named, and their sum."""
    terms = " + ".join(f"{k} {v:g}" for k, v in shares.items())
    return f"{terms} = {sum(shares.values()):g}" if len(shares) > 1 else terms


def share_sum_error(shares: Mapping[str, float]) -> str:
    """Why heat shares (fractions by carrier) cannot be, when they add up to more than all of the heat ('' when
    they do not): ``Shares of heat: gas 90 % + district heat 90 % = 180 %, more than 100 % ...``."""
    total = sum(shares.values())
    if total <= 1 + 1e-9:
        return ""
    terms = " + ".join(f"{k} {v * 100:.4g} %" for k, v in shares.items())
    return (f"Shares of heat: {terms} = {total * 100:.4g} %, more than 100 % of the heat; lower one of them "
            "(electricity heats the rest).")


def _check_figure(fig: Figure, bound: Bound, where: str) -> None:
    if fig.low == fig.mid == fig.high:
        check(fig.mid, bound, where, PlanError)
        return
    for part, v in (("low", fig.low), ("mid", fig.mid), ("high", fig.high)):
        check(v, bound, f"{where}.{part}", PlanError)


def validate(spec: PlanSpec, measure_units: Mapping[str, str] | None = None) -> None:
    """Every figure of a plan finite and within its range (:data:`BOUNDS`; a measure's scale more than 0 and at
    most ``MAX_SCALE`` in its type's unit) and the settings within theirs, else :class:`PlanError` naming the
    figure, its value and the range. Run on every plan read and before every evaluation (plans built in the app)."""
    units = measure_units or {}
    if spec.homes is not None:
        _check_figure(spec.homes, BOUNDS["homes"], "district.homes")
    for group, figs in (("floor_area", spec.floor_area), ("baseline", spec.baseline), ("heating", spec.heating)):
        for k, f in figs.items():
            _check_figure(f, BOUNDS[group], f"district.{group}.{k}")
    shares = {c: f.mid for c, f in spec.heating.items()}
    if sum(shares.values()) > 1 + 1e-6:
        raise PlanError(f"district.heating: the shares add up to more than all of the heat: {_share_sum(shares)}; "
                        "lower one of them")
    for k, f in spec.limits.items():
        _check_figure(f, BOUNDS.get(k, BOUNDS["floor_area"]), f"district.limits.{k}")
    for k, f in spec.factors.items():
        _check_figure(f, BOUNDS[k.partition("_")[0]], f"factors.{k}")
    if spec.services_share is not None:
        _check_figure(spec.services_share, BOUNDS["services_share"], "district.load_profile.services_share")
    if len(spec.offsite) > MAX_OFFSITE:
        raise PlanError(f"district.offsite: at most {MAX_OFFSITE} off-site supplies, got {len(spec.offsite)}")
    for i, o in enumerate(spec.offsite, start=1):
        if not o.name.strip():
            raise PlanError(f"district.offsite[{i}].name: missing; name the supply")
        if o.carrier not in OFFSITE_CARRIERS:
            raise PlanError(f"district.offsite[{i}].carrier: {o.carrier!r} is not supported; only electricity "
                            "off-site supplies are counted for now")
        _check_figure(o.supply, BOUNDS["offsite_supply"], f"district.offsite[{i}].supply")
    for i, m in enumerate(spec.measures, start=1):
        unit = units.get(m.type) or m.scale.unit
        _check_figure(m.scale, scale_bound(unit), f"measures[{i}].scale ({m.type})")
    check(spec.samples, SAMPLES, "settings.samples", PlanError)
    check(spec.seed, SEED, "settings.seed", PlanError)


def keep_or_enter(fig: Figure | None, value: float | None, unit: str = "") -> Figure | None:
    """The loaded figure (with its provenance) while the value is unchanged; else the value as entered by the user."""
    if value is None:
        return None
    if fig is not None and math.isclose(fig.mid, value, rel_tol=0, abs_tol=1e-12):
        return fig
    return Figure.of(value, unit or (fig.unit if fig else ""))
