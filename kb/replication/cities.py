"""City profiles: drivers with sources from city records, user-defined cities, lookup and side-by-side comparison."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine

from kb.errors import InvalidInput, NotFound
from kb.i18n import N_
from kb.records.vocab import DRIVER_KEYS
from kb.replication.bounds import check, driver_bound
from kb.store import catalog
from kb.store.readmodel import StoredRecord
from kb.text import fold

DRIVER_LABELS: dict[str, str] = {
    "population": N_("population"), "area": N_("area"), "latitude": N_("latitude"), "longitude": N_("longitude"),
    "hdd": N_("heating degree-days (Eurostat country mean 2018-2022)"), "cdd": N_("cooling degree-days (country)"),
    "hdd_local": N_("heating degree-days (local station)"), "cdd_local": N_("cooling degree-days (local station)"),
    "ghi": N_("global horizontal irradiation"), "pv_yield": N_("PV specific yield, optimal tilt"),
    "grid_co2": N_("grid CO2 intensity (life cycle, production)"),
    "grid_co2_consumption": N_("grid CO2 intensity (consumption-based)"),
    "pef_electricity": N_("primary energy factor, electricity (national)"),
    "pef_natural_gas": N_("primary energy factor, natural gas (national)"),
    "grid_co2_direct": N_("grid CO2 intensity (direct, combustion only)"),
    "pef_electricity_nren": N_("primary energy factor, electricity (national, non-renewable)"),
    "pef_electricity_total": N_("primary energy factor, electricity (national, total)"),
    "pef_natural_gas_nren": N_("primary energy factor, natural gas (national, non-renewable)"),
    "pef_natural_gas_total": N_("primary energy factor, natural gas (national, total)"),
    "co2_district_heat": N_("district heat CO2 intensity (operator)"),
    "pef_district_heat_nren": N_("primary energy factor, district heat (non-renewable)"),
    "pef_district_heat_total": N_("primary energy factor, district heat (total)"),
    "district_heat_price": N_("district heat price (operator tariff)"),
    "electricity_price_household": N_("electricity price, households"),
    "electricity_price_non_household": N_("electricity price, non-households"),
    "gas_price_household": N_("gas price, households"), "gas_price_non_household": N_("gas price, non-households"),
    "district_heating_share": N_("district heating share (country)"),
    "district_heating_share_city": N_("district heating share (city)"),
    "gdp_per_capita_index": N_("GDP per capita index (PPS)"),
}


class CityNotFound(NotFound, LookupError):
    """No city record matches the name, id or alias."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"no city '{name}' (known: {', '.join(known) or 'none'}); "
                         "or define your own city in the app (My city) or in a city record file")
        self.name = name
        self.known = known


class DriverMissing(NotFound, LookupError):
    """A city lacks a driver the estimate needs: :attr:`problem` says which, :attr:`remedy` how to supply it."""

    def __init__(self, city: str, key: str, purpose: str) -> None:
        unit = DRIVER_KEYS.get(key, "")
        self.city = city
        self.key = key
        self.purpose = purpose
        self.problem = (f"city '{city}' has no value for driver '{key}' ({DRIVER_LABELS.get(key, key)}, {unit}), "
                        f"needed for {purpose}")
        self.remedy = (f"Supply it: add a row with key '{key}' to the city's record (## Drivers), give "
                       f"'--driver {key}=VALUE' on the command line, or fill it in on the My city page")
        super().__init__(f"{self.problem}. {self.remedy}")


class CityInvalid(InvalidInput, ValueError):
    """A city given by the user (a city file, a user-defined city, a driver value) breaks a rule."""


class CityFileNotFound(NotFound, LookupError):
    """The city record file given by the user (``--city FILE.md``) does not exist."""


MAX_CITY_FILE_BYTES = 1_000_000  # a city record is a few kB; a larger file is not a city record


@dataclass(frozen=True)
class Driver:
    """One city driver: value (the mid of a range where sources differ) with unit, year, evidence level and a
    human-readable source; ``low`` / ``high`` when the record gives the range of the sources (else None)."""

    key: str
    value: float | None
    unit: str
    year: str = ""
    evidence: str = ""
    source: str = ""
    item: str = ""
    note: str = ""
    low: float | None = None
    high: float | None = None

    @property
    def missing(self) -> bool:
        return self.value is None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"key": self.key, "label": DRIVER_LABELS.get(self.key, self.key), "value": self.value,
                             "unit": self.unit, "year": self.year, "evidence": self.evidence, "source": self.source,
                             "note": self.note}
        if self.low is not None or self.high is not None:
            d.update(low=self.low, high=self.high)
        return d


@dataclass(frozen=True)
class CityProfile:
    """A city's drivers by key; ``user_defined`` when entered by a user rather than read from a record."""

    id: str
    name: str
    country: str = ""
    aliases: tuple[str, ...] = ()
    role: str = "other"
    drivers: dict[str, Driver] = field(default_factory=dict)
    user_defined: bool = False

    @property
    def missing(self) -> list[str]:
        """Driver keys without a value (absent or marked missing), in the order of the record format."""
        return [k for k in DRIVER_KEYS if k not in self.drivers or self.drivers[k].missing]

    def value(self, key: str) -> float | None:
        d = self.drivers.get(key)
        return None if d is None else d.value

    def require(self, key: str, purpose: str) -> Driver:
        """The driver, or :class:`DriverMissing` naming it and how to supply it."""
        d = self.drivers.get(key)
        if d is None or d.value is None:
            raise DriverMissing(self.name, key, purpose)
        return d

    def with_drivers(self, values: dict[str, float], source: str = "entered by the user") -> CityProfile:
        """A user-defined copy with some drivers set (evidence ``estimate``, source as given)."""
        drivers = dict(self.drivers)
        for key, v in values.items():
            _check_key(key)
            drivers[key] = Driver(key, _number(key, v), DRIVER_KEYS[key], evidence="estimate", source=source,
                                  item=DRIVER_LABELS.get(key, key))
        return replace(self, drivers=drivers, user_defined=True)

    def matches(self, name: str) -> bool:
        want = fold(name)
        return want in {fold(x) for x in (self.id, self.name, *self.aliases)}

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "country": self.country, "aliases": list(self.aliases),
                "role": self.role, "user_defined": self.user_defined,
                "drivers": {k: d.to_dict() for k, d in self.drivers.items() if not d.missing},
                "missing": self.missing}


def _check_key(key: str) -> None:
    if key not in DRIVER_KEYS:
        raise CityInvalid(f"unknown driver '{key}' (known: {', '.join(DRIVER_KEYS)})")


def source_label(record_id: str, ids: str, titles: dict[str, str]) -> str:
    """``krakow S8: Ember Yearly Electricity Data…`` from a record id and a ``S1; S3`` source cell."""
    parts = [p.strip() for p in re.split(r"[;,]", ids or "") if p.strip() and p.strip() != "—"]
    if not parts:
        return record_id
    return "; ".join(f"{record_id} {p}: {titles.get(p, '(source not declared)')}" for p in parts)


def profile_from_record(rec: StoredRecord) -> CityProfile:
    """A profile from a city record as returned by :func:`kb.store.catalog.get_record`; a keyed driver outside its
    physical range (or a range not ordered low ≤ mid ≤ high) raises :class:`CityInvalid` naming the record and key."""
    front = rec.front
    titles = {s.id: s.title for s in rec.sources}
    drivers: dict[str, Driver] = {}
    for q in rec.numbers_in("Drivers"):
        key = q.key
        if not key or key in drivers:
            continue
        value = None if q.missing else q.value
        low = high = None
        if value is not None and key in DRIVER_KEYS:
            what = f"city record '{rec.id}', driver '{key}'"
            value = check(value, driver_bound(key), what, CityInvalid)
            if q.ranged:
                low, high = _range(key, q.low, value, q.high, what)
        drivers[key] = Driver(key, value, q.unit, q.year or "", q.evidence,
                              source_label(rec.id, q.source, titles) if value is not None else "",
                              q.item, q.note or "", low, high)
    return CityProfile(id=rec.id, name=rec.name, country=str(front.get("country", "")),
                       aliases=tuple(str(a) for a in front.get("aliases") or ()), role=str(front.get("role", "other")),
                       drivers=drivers)


def list_cities(engine: Engine) -> list[CityProfile]:
    """Every city record as a profile, sorted by id."""
    return [profile_from_record(rec) for rec in catalog.records_of_kind(engine, "city")]


def find_city(engine: Engine, name: str) -> CityProfile:
    """A city by id, name or alias, case- and accent-insensitively (``krakow``, ``Kraków``, ``Cracow``)."""
    ident = fold(name)
    if re.fullmatch(r"[a-z0-9-]+", ident):
        try:
            rec: StoredRecord | None = catalog.get_record(engine, ident)
        except catalog.RecordNotFound:
            rec = None
        if rec is not None and rec.kind == "city":
            return profile_from_record(rec)
    cities = list_cities(engine)
    for c in cities:
        if c.matches(name):
            return c
    raise CityNotFound(name, [c.id for c in cities])


def city_from_dict(data: dict[str, Any]) -> CityProfile:
    """A user-defined city: ``{"name", "country"?, "id"?, "drivers": {key: value | {"value", "unit", ...}}}``."""
    name = str(data.get("name") or data.get("id") or "").strip()
    if not name:
        raise CityInvalid("a user-defined city needs a name")
    cid = str(data.get("id") or re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-") or "my-city")
    drivers: dict[str, Driver] = {}
    for key, raw in (data.get("drivers") or {}).items():
        _check_key(key)
        if isinstance(raw, dict):
            v = raw.get("value", raw.get("mid"))
            value = None if v in _EMPTY else _number(key, v)
            lo, hi = (None, None) if value is None else _range(key, raw.get("low"), value, raw.get("high"),
                                                               f"driver '{key}' ({DRIVER_LABELS.get(key, key)})")
            drivers[key] = Driver(key, value, str(raw.get("unit") or DRIVER_KEYS[key]), str(raw.get("year") or ""),
                                  str(raw.get("evidence") or "estimate"),
                                  str(raw.get("source") or "entered by the user"), DRIVER_LABELS.get(key, key),
                                  low=lo, high=hi)
        elif raw not in (None, ""):
            drivers[key] = Driver(key, _number(key, raw), DRIVER_KEYS[key], evidence="estimate",
                                  source="entered by the user", item=DRIVER_LABELS.get(key, key))
    return CityProfile(id=cid, name=name, country=str(data.get("country", "")), role="other",
                       drivers=drivers, user_defined=True)


def _number(key: str, raw: Any) -> float:
    """A driver value entered by the user: a finite number within the driver's physical range."""
    return check(raw, driver_bound(key), f"driver '{key}' ({DRIVER_LABELS.get(key, key)})", CityInvalid)


_EMPTY = (None, "", "missing", "—", "–", "-")


def _range(key: str, low: Any, mid: float, high: Any, what: str) -> tuple[float | None, float | None]:
    """The low and high of a driver (each within the driver's bound, low ≤ mid ≤ high), None where not given."""
    bound = driver_bound(key)
    lo = None if low in _EMPTY else check(low, bound, f"{what} (low)", CityInvalid)
    hi = None if high in _EMPTY else check(high, bound, f"{what} (high)", CityInvalid)
    if (lo is not None and lo > mid) or (hi is not None and hi < mid):
        raise CityInvalid(f"{what}: low, mid and high must be in increasing order (got {lo}, {mid}, {hi})")
    return lo, hi


_SPLIT_ROW = re.compile(r"(?<!\\)\|")


def city_from_file(path: Path | str) -> CityProfile:
    """A user-defined city from a file in the city record format (front matter + ``## Drivers`` table).

    A missing file raises :class:`CityFileNotFound`; a file that is too large, not UTF-8, or whose front matter is
    not plain YAML (aliases are refused: they can expand without bound) raises :class:`CityInvalid`."""
    front, body = _read_city_file(Path(path))
    sources = front.get("sources") or []
    aliases = front.get("aliases") or []
    if not isinstance(sources, list) or not isinstance(aliases, list):
        raise CityInvalid(f"{Path(path).name}: 'sources' and 'aliases' in the front matter must be lists")
    titles = {str(s.get("id")): str(s.get("title", "")) for s in sources if isinstance(s, dict)}
    cid = str(front.get("id") or Path(path).stem)
    drivers: dict[str, dict[str, Any]] = {}
    header: list[str] = []
    in_drivers = False
    for line in body.split("\n"):
        if line.startswith("## "):
            in_drivers = line[3:].strip() == "Drivers"
            header = []
            continue
        if not in_drivers or not line.strip().startswith("|"):
            header = [] if line.strip() else header  # a paragraph between two tables: the next one has a header
            continue
        cells = [c.strip() for c in _SPLIT_ROW.split(line.strip().strip("|"))]
        if not header:
            header = [c.lower() for c in cells]
            continue
        if all(set(c) <= set("-: ") for c in cells):
            continue
        row = dict(zip(header, cells, strict=False))
        key = row.get("key", "")
        if key in DRIVER_KEYS and key not in drivers:
            drivers[key] = {"value": row.get("value", row.get("mid")), "low": row.get("low"),
                            "high": row.get("high"), "unit": row.get("unit"), "year": row.get("year"),
                            "evidence": row.get("evidence"),
                            "source": source_label(cid, row.get("source", ""), titles)}
    prof = city_from_dict({"id": cid, "name": front.get("name") or front.get("title") or cid,
                           "country": front.get("country", ""), "drivers": drivers})
    return replace(prof, aliases=tuple(str(a) for a in aliases))


def _read_city_file(p: Path) -> tuple[dict[str, Any], str]:
    """The front matter (a mapping) and the body of a city file, every way of failing as a KbError sentence."""
    name = p.name
    try:
        if p.stat().st_size > MAX_CITY_FILE_BYTES:
            raise CityInvalid(f"{name}: the city file is larger than {MAX_CITY_FILE_BYTES:,} bytes")
        data = p.read_bytes()
    except FileNotFoundError:
        raise CityFileNotFound(f"no city file {name} (give a city id or name, or the path of a city record "
                               "file .md)") from None
    except OSError as exc:
        raise CityInvalid(f"{name}: the city file cannot be read ({exc.strerror or 'not a readable file'})") from None
    try:
        text = data.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        raise CityInvalid(f"{name}: the city file is not UTF-8 text") from None
    if not text.startswith("---\n") or "\n---" not in text[4:]:
        raise CityInvalid(f"{name}: a city file starts with YAML front matter between two '---' lines")
    end = text.index("\n---", 4)
    head = text[4:end]
    try:
        if any(isinstance(t, yaml.AliasToken | yaml.AnchorToken) for t in yaml.scan(head)):
            raise CityInvalid(f"{name}: the front matter uses YAML anchors or aliases (& / *); write the values out")
        front = yaml.safe_load(head) or {}
    except RecursionError:
        raise CityInvalid(f"{name}: the front matter is nested too deeply") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 2}" if where is not None else ""
        raise CityInvalid(f"{name}: the front matter is not valid YAML{line}") from None
    if not isinstance(front, dict):
        raise CityInvalid(f"{name}: front matter must be a mapping")
    return front, text[end + 4:]


def compare(a: CityProfile, b: CityProfile) -> list[dict[str, Any]]:
    """Side-by-side drivers of two cities: ``[{"key", "label", "unit", "a", "b", "ratio"}]`` (ratio b/a)."""
    rows = []
    for key, unit in DRIVER_KEYS.items():
        va, vb = a.value(key), b.value(key)
        if va is None and vb is None:
            continue
        ratio = vb / va if va not in (None, 0) and vb is not None else None
        rows.append({"key": key, "label": DRIVER_LABELS.get(key, key), "unit": unit, "a": va, "b": vb,
                     "ratio": ratio})
    return rows
