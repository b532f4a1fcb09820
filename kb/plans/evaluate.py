"""District plans: a portfolio of measures stacked on a district's baseline → annual primary-energy balance.

The balance is ``generation − consumption`` in primary energy (MWh_PE/yr) over one year, i.e. minus the sum over
carriers of the district's net final energy times the carrier's primary energy factor (exported PV electricity
counts at the electricity factor). **Positive** means the P50 of the balance is strictly above zero; a balance of
exactly zero is *energy-neutral* and not positive (``status`` says ``neutral``).

Measures are applied in a physical order: demand reduction (retrofit, energy management, green roof), heat
supply on the reduced demand (heat pumps, aquathermal, ATES, thermal networks, heat recovery), generation (PV),
storage, mobility. A measure never displaces more than what is left of its carrier: it is clipped and a warning
says so. Uncertain inputs are sampled by :meth:`kb.replication.simulation.Plan.values` (the same seeded
triangular draws as every other estimate), so a plan's percentiles are reproducible for a seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine

from kb.hourly.ped import CARRIER_WORDS
from kb.i18n import N_, Msg, Num, Param, Said
from kb.plans.hourly import HOURLY_DRAWS, HourlyDraws, HourlyInputs, OffsiteInput, hourly_balance, hourly_ranges
from kb.plans.model import Figure, PlanError, PlanMeasure, PlanSpec, validate
from kb.records.vocab import CARRIERS
from kb.replication.bounds import SAMPLES, SEED, check
from kb.replication.cities import CityProfile, DriverMissing, find_city
from kb.replication.factors import CarrierFactors, Factor, carrier_factors, driver_input
from kb.replication.inputs import (
    Input,
    MeasureType,
    NotAMeasureType,
    ParameterMissing,
    _inputs_from,
    load_factors,
    measure_type_from_record,
)
from kb.replication.models import MODELS, Array
from kb.replication.simulation import Plan, PortfolioItem, finite_or_none, percentiles, prepare
from kb.store import catalog

__all__ = ["PlanContext", "PlanError", "PlanResult", "evaluate_plan", "load_context", "run_plan"]

REFERENCE_ID = "district-baseline"
STAGES: tuple[str, ...] = ("demand reduction", "heat supply", "generation", "storage", "mobility")
STAGE_OF_MODEL: dict[str, str] = {
    "retrofit": "demand reduction", "energy_management": "demand reduction", "green_roof": "demand reduction",
    "heat_pump": "heat supply", "heat_recovery": "heat supply", "pv": "generation", "battery": "storage",
    "ev_charging": "mobility", "car_sharing": "mobility",
}
ZERO_TOLERANCE = 1e-9  # MWh_PE: |P50| below this is exactly zero (energy-neutral)
# Measure types tried to close a shortfall, in the order the combination adds them (type, displaced carrier).
SUGGESTIONS: tuple[tuple[str, str], ...] = (
    ("rooftop-pv", ""), ("air-source-heat-pump", "natural_gas"), ("air-source-heat-pump", "district_heat"),
    ("deep-retrofit", "natural_gas"), ("deep-retrofit", "district_heat"), ("facade-pv", ""))
UNIT = "MWh_PE/yr"

Samples = NDArray[np.float64]  # one value per Monte Carlo draw (a single one for the central run)
Values = Mapping[str, Array]  # input uid -> sampled values (or a scalar for a fixed input)
_Term = Callable[[Values], Array]  # one term of a carrier's baseline (kWh/yr)
_Baseline = Callable[[Values, int], dict[str, Samples]]  # (values, n) -> baseline (kWh/yr) by carrier


@dataclass
class PlanContext:
    """What a plan is evaluated against: the city, the measure types, general factors and reference intensities."""

    city: CityProfile
    types: dict[str, MeasureType]
    general: dict[str, Input]
    reference: dict[str, Input] = field(default_factory=dict)
    solutions: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    type_errors: dict[str, str] = field(default_factory=dict)


def load_context(engine: Engine, city: str | CityProfile) -> PlanContext:
    """The context for a city (id, name or alias, or a profile) from the knowledge base."""
    profile = city if isinstance(city, CityProfile) else find_city(engine, city)
    types: dict[str, MeasureType] = {}
    errors: dict[str, str] = {}
    for rec in catalog.records_of_kind(engine, "measure_type"):
        try:
            types[rec.id] = measure_type_from_record(rec)
        except NotAMeasureType as exc:
            errors[rec.id] = str(exc)
    reference: dict[str, Input] = {}
    try:
        rec = catalog.get_record(engine, REFERENCE_ID)
        reference = {k: replace(v, role="reference") for k, v in _inputs_from(rec, "Parameters", "reference",
                                                                             "").items()}
    except catalog.RecordNotFound:
        pass
    solutions: dict[str, list[tuple[str, str]]] = {}
    for r in catalog.list_records(engine, kind="solution"):
        for mt in r.measure_types:
            solutions.setdefault(mt, []).append((r.id, r.title))
    return PlanContext(profile, types, load_factors(engine), reference, solutions, errors)


# --- resolving the plan -----------------------------------------------------------------------------------------

def _input(fig: Figure, name: str, key: str, role: str = "district") -> Input:
    return Input(name, key, fig.low, fig.mid, fig.high, fig.unit, fig.evidence, fig.source, role=role,
                 note=fig.note)


@dataclass
class _Item:
    index: int  # position in the plan file
    spec: PlanMeasure
    type: MeasureType
    stage: str
    error: str = ""
    plan_index: int = -1  # position in the impact Plan's measures


@dataclass
class _Resolved:
    plan: Plan
    items: list[_Item]
    baseline: _Baseline
    factors: CarrierFactors
    notes: list[str]
    warnings: list[str]
    heat_basis: _HeatBasis | None = None
    heat_inputs: dict[str, Input] | None = None  # the heat-demand overrides that go with heat_basis


HEAT_MODELS = ("retrofit", "heat_pump")  # models with a heat demand per home


@dataclass(frozen=True)
class _HeatBasis:
    """One heat-per-home basis for the baseline and the measures: the district's floor area ÷ homes × the delivered
    heat per m² at the reference HDD (the uids of the sampled inputs, so each draw is the same for both)."""

    area: str
    homes: str
    intensity: str
    reference_hdd: str

    def per_home(self, v: Values) -> Array:
        return v[self.area] / v[self.homes] * v[self.intensity]


def _heat_basis(spec: PlanSpec, ctx: PlanContext) -> tuple[_HeatBasis, dict[str, Input]] | None:
    """When the heat baseline is estimated from floor area and the plan gives its homes, the heat-demand inputs
    that make a heat measure's homes the district's homes (same heat per home as the baseline)."""
    area = spec.floor_area.get("residential")
    if (spec.homes is None or area is None or spec.homes.mid <= 0
            or any(c in spec.baseline for c in ("natural_gas", "district_heat"))):
        return None
    hi, ref = ctx.reference.get("heat_intensity"), ctx.reference.get("reference_hdd")
    if hi is None or ref is None:
        return None
    per_m2 = area.mid / spec.homes.mid
    demand = Input(f"heat demand per home of the district: {area.mid:g} m² ÷ {spec.homes.mid:g} homes × delivered "
                   "heat per m²", "heat_demand", per_m2 * hi.low, per_m2 * hi.mid, per_m2 * hi.high, "kWh/homes/yr",
                   hi.evidence, f"{area.source}; {hi.source}",
                   note="the plan's own heat per home replaces the measure type's heat demand, so the measure and "
                        "the baseline share one basis")
    basis = _HeatBasis(_input(area, "", "floor_area_residential").uid, _input(spec.homes, "", "homes").uid,
                       hi.uid, ref.uid)
    return basis, {"heat_demand": demand, "reference_hdd": ref}


def _ref(ctx: PlanContext, key: str, what: str) -> Input:
    inp = ctx.reference.get(key)
    if inp is None:
        raise PlanError(f"the reference record '{REFERENCE_ID}' has no '{key}' ({what}); enter the figure in the plan")
    return inp


def _baseline(spec: PlanSpec, ctx: PlanContext, inputs: list[Input], notes: list[str],
              warnings: list[str]) -> _Baseline:
    """How the baseline (kWh/yr by carrier) follows from the sampled inputs; adds the inputs it needs."""
    terms: dict[str, list[_Term]] = {c: [] for c in CARRIERS}

    def add(inp: Input) -> str:
        if all(i.uid != inp.uid for i in inputs):
            inputs.append(inp)
        return inp.uid

    def entered(uid: str) -> _Term:  # an entered baseline, MWh/yr -> kWh/yr
        return lambda v: v[uid] * 1e3

    for c, fig in spec.baseline.items():
        uid = add(_input(fig, f"baseline demand, {c.replace('_', ' ')}", f"baseline_{c}"))
        terms[c].append(entered(uid))
        notes.append(Said(Msg(N_("{carrier} baseline entered: {value} MWh/yr ({evidence}; {source})"),
                              {"carrier": Msg(CARRIER_WORDS.get(c, c)), "value": Num(fig.mid),
                               "evidence": Msg(fig.evidence), "source": fig.source}),
                          f"{c} baseline entered: {fig.mid:g} MWh/yr ({fig.evidence}; {fig.source})"))
    homes_uid = add(_input(spec.homes, "homes in the district", "homes")) if spec.homes is not None else None
    if "electricity" not in spec.baseline:
        if homes_uid is None:
            raise PlanError("give district.baseline.electricity (MWh/yr) or district.homes to estimate it")
        eu = add(_ref(ctx, "electricity_use", "household electricity per home"))
        terms["electricity"].append(lambda v: v[homes_uid] * v[eu])
        notes.append(Said(Msg(N_("electricity baseline estimated: homes × household electricity use per home "
                                 "({record})"), {"record": REFERENCE_ID})))
    heat_entered = any(c in spec.baseline for c in ("natural_gas", "district_heat"))
    area = spec.floor_area.get("residential")
    if not heat_entered and area is not None:
        if not spec.heating:
            raise PlanError("say how the district is heated today: [district.heating] shares by carrier "
                            "(natural_gas, district_heat, electricity), adding up to 1")
        hdd = ctx.city.require("hdd", "scaling the reference heat intensity to the city's climate (district plan)")
        hdd_uid = add(driver_input(hdd, f"{hdd.item or 'hdd'}, {ctx.city.name}"))
        a = add(_input(area, "residential floor area", "floor_area_residential"))
        hi = add(_ref(ctx, "heat_intensity", "delivered heat per m²"))
        ref_hdd = add(_ref(ctx, "reference_hdd", "the HDD that goes with the heat intensity"))

        def heat(v: Values) -> Array:
            return v[a] * v[hi] * v[hdd_uid] / v[ref_hdd]

        def supplied(share_uid: str) -> _Term:  # heat supplied directly by a carrier
            return lambda v: heat(v) * v[share_uid]

        def burnt(share_uid: str, eff_uid: str) -> _Term:  # fuel burnt for the heat share, ÷ boiler efficiency
            return lambda v: heat(v) * v[share_uid] / v[eff_uid]

        for c, share in spec.heating.items():
            s = add(_input(share, f"share of heat supplied by {c.replace('_', ' ')}", f"heat_share_{c}"))
            if c == "natural_gas":
                eff = add(_ref(ctx, "boiler_efficiency", "gas boiler efficiency"))
                terms[c].append(burnt(s, eff))
            elif c == "electricity":
                terms[c].append(supplied(s))
                notes.append(Said(Msg(N_("electric heating counted as direct electric heating (1 kWh of electricity "
                                         "per kWh of heat): an assumption"))))
            else:
                terms[c].append(supplied(s))
        notes.append(Said(Msg(N_("heat baseline estimated: residential floor area × delivered heat per m² × city HDD "
                                 "÷ reference HDD ({record}), split by the heating shares; gas ÷ boiler efficiency"),
                              {"record": REFERENCE_ID})))
    elif not heat_entered:
        warnings.append("no heat demand in the baseline: neither district.baseline.natural_gas / district_heat "
                        "nor district.floor_area.residential is given")
    if "non_residential" in spec.floor_area and not spec.baseline:
        warnings.append("non-residential floor area is not counted: no sourced energy intensity for it; enter "
                        "its demand in [district.baseline]")

    def run(values: Values, n: int) -> dict[str, Samples]:
        out: dict[str, Samples] = {}
        for c in CARRIERS:
            total: Array = 0.0
            for t in terms[c]:
                total = total + t(values)
            out[c] = np.broadcast_to(np.asarray(total, dtype=float), (n,)).copy()
        return out

    return run


def _add_plan_factors(cf: CarrierFactors, spec: PlanSpec) -> None:
    groups = {"pef": cf.pef, "co2": cf.co2, "price": cf.price}
    for key, fig in spec.factors.items():
        metric, _, carrier = key.partition("_")
        inp = _input(fig, f"{metric.upper() if metric != 'price' else 'price'} factor, "
                     f"{carrier.replace('_', ' ')} (given in the plan)", key, role="factor")
        groups[metric][carrier] = Factor(inp)


DH_EFFICIENCY = Input.fixed("efficiency of the displaced supply: district heat is bought as delivered heat",
                            "displaced_efficiency", 1.0, "-", "estimate",
                            "definition: delivered district heat is metered at the building, no conversion loss")


def _overrides(mt: MeasureType, heat: dict[str, Input] | None = None) -> dict[str, Input]:
    """District heat displaced by a heat measure is delivered heat: no boiler efficiency in between. A heat measure
    in a district whose heat baseline comes from floor area uses the district's heat per home (``heat``)."""
    out: dict[str, Input] = {}
    if mt.displaces == "district_heat" and mt.model in ("heat_pump", "heat_recovery", "retrofit"):
        out["displaced_efficiency"] = replace(DH_EFFICIENCY, measure=f"{mt.id}@district_heat")
    if heat and mt.model in HEAT_MODELS:
        out.update({k: replace(v, measure=mt.id) for k, v in heat.items()})
    return out


def _portfolio_item(mt: MeasureType, pm: PlanMeasure, heat: dict[str, Input] | None = None) -> PortfolioItem:
    return PortfolioItem(mt, pm.scale.mid, _overrides(mt, heat), pm.scale.evidence, pm.scale.source)


def resolve(spec: PlanSpec, ctx: PlanContext) -> _Resolved:
    if not ctx.city.matches(spec.city):
        raise PlanError(f"the plan is for '{spec.city}' but the context is for '{ctx.city.name}'")
    notes: list[str] = []
    warnings: list[str] = []
    items: list[_Item] = []
    linked = _heat_basis(spec, ctx)
    heat = linked[1] if linked else None
    if linked and any(mt.model in HEAT_MODELS for pm in spec.measures if (mt := ctx.types.get(pm.type))):
        notes.append(Said(Msg(N_("heat measures use the district's heat per home (floor area ÷ homes × delivered heat "
                                 "per m², {record}), the same basis as the heat baseline"), {"record": REFERENCE_ID})))
    for i, pm in enumerate(spec.measures):
        mt = ctx.types.get(pm.type)
        if mt is None:
            why = ctx.type_errors.get(pm.type)
            raise PlanError(f"measures[{i + 1}]: " + (why or f"unknown measure type '{pm.type}' (known: "
                                                           f"{', '.join(sorted(ctx.types))})"))
        if pm.displaces:
            mt = replace(mt, displaces=pm.displaces)
        if sum(1 for other in spec.measures if other.type == pm.type) > 1:
            mt = replace(mt, id=f"{mt.id}#{i + 1}")  # its own scale input; parameters stay shared
        item = _Item(i, pm, mt, STAGE_OF_MODEL.get(mt.model, "mobility"))
        try:
            prepare([_portfolio_item(mt, pm, heat)], ctx.city, ctx.general, spec.tariff)
        except (ParameterMissing, DriverMissing, ValueError) as exc:
            item.error = str(exc)
            english = f"{mt.title} ({mt.id}) left out of the balance: {exc}"
            if isinstance(exc, ParameterMissing):
                item.error = Said(Msg(N_("no source in the knowledge base gives its {name}; the Estimate page asks for "
                                         "a value of your own"), {"name": exc.key.replace("_", " ")}), item.error)
                warnings.append(Said(Msg(N_("{title} left out of the balance: {reason}"),
                                         {"title": mt.title, "reason": item.error}), english))
            else:
                warnings.append(english)
        items.append(item)
    valid = [it for it in items if not it.error]
    district_inputs: list[Input] = []
    baseline = _baseline(spec, ctx, district_inputs, notes, warnings)
    try:
        cf = carrier_factors(ctx.city, ctx.general, set(CARRIERS), spec.tariff)
    except DriverMissing as exc:
        raise PlanError(str(exc)) from None
    _add_plan_factors(cf, spec)
    if valid:
        base_plan = prepare([_portfolio_item(it.type, it.spec, heat) for it in valid],
                            ctx.city, ctx.general, spec.tariff)
        for k, it in enumerate(valid):
            it.plan_index = k
        plan = replace(base_plan, driver_inputs=base_plan.driver_inputs + district_inputs, factors=cf,
                       carriers=list(CARRIERS))
    else:
        plan = Plan(ctx.city, [], {}, district_inputs, cf, list(CARRIERS))
    return _Resolved(plan, items, baseline, cf, notes, warnings, linked[0] if linked else None, heat)


# --- running ----------------------------------------------------------------------------------------------------

def _safe_div(a: Samples, b: Samples) -> Samples:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), 0.0)


@dataclass
class _MeasureRun:
    """One measure in a run: energy deltas by carrier (kWh/yr, after clipping), costs and model extras."""

    deltas: dict[str, Samples]
    wanted: Samples  # energy of the displaced carrier the measure would displace before clipping (kWh/yr)
    clip: Samples  # the share of it that it displaces (1 = not clipped)
    available: Samples  # what remained of the displaced carrier after the earlier measures (kWh/yr)
    capex: Samples
    opex: Samples
    generation: Samples
    shifted: Samples
    primary_energy: Samples  # MWh_PE/yr


@dataclass
class _Run:
    """Every quantity of the balance (kWh/yr for energy by carrier, MWh_PE/yr for the balance, tCO2/yr, EUR)."""

    baseline: dict[str, Samples]
    net: dict[str, Samples]
    measures: dict[int, _MeasureRun]  # by position in the plan file
    pef: dict[str, Array]
    balance: Samples
    baseline_balance: Samples
    generation_pe: Samples
    consumption_pe: Samples
    co2_baseline: Samples
    co2: Samples
    co2_avoided: Samples
    savings: Samples
    capex: Samples
    opex: Samples
    payback: Samples
    co2_carriers: list[str]
    price_carriers: list[str]


def _run(r: _Resolved, values: Values, n: int) -> _Run:
    """Every quantity of the balance as arrays of length ``n`` (kWh for energy, MWh_PE for the balance)."""
    base = r.baseline(values, n)
    remaining = {c: base[c].copy() for c in CARRIERS}
    cf = r.factors

    def factor(group: dict[str, Factor], c: str) -> Array:
        f = group[c]
        return values[f.input.uid] * f.mult

    def total(parts: Iterable[Samples]) -> Samples:
        return sum(parts, np.zeros(n))

    pe = {c: factor(cf.pef, c) for c in CARRIERS if c in cf.pef}
    ratio: dict[str, Samples] = {}
    measures: dict[int, _MeasureRun] = {}
    ordered = sorted((it for it in r.items if not it.error), key=lambda it: (STAGES.index(it.stage), it.index))
    for it in ordered:
        if it.stage == "heat supply" and not ratio:
            ratio = {c: np.where(base[c] > 0, _safe_div(remaining[c], base[c]), 0.0) for c in CARRIERS}
        m = r.plan.measures[it.plan_index]
        p = {key: values[inp.uid] for key, inp in m.params.items()}
        if r.heat_basis is not None and m.type.model in HEAT_MODELS:  # the baseline's own draws, sample by sample
            p["heat_demand"] = r.heat_basis.per_home(values)
            p["reference_hdd"] = values[r.heat_basis.reference_hdd]
        res = MODELS[m.type.model](values[m.scale.uid], p, r.plan.drivers, m.type.displaces)
        deltas = {c: np.broadcast_to(np.asarray(res.deltas.get(c, 0.0), dtype=float), (n,)).copy() for c in CARRIERS}
        d = m.type.displaces
        clip = np.ones(n)
        if it.stage == "heat supply" and m.type.model == "heat_pump":
            deltas = {c: v * ratio[d] for c, v in deltas.items()}
        wanted = -deltas[d]  # after scaling to the demand left by demand reduction: what it would displace here
        available = np.maximum(remaining[d], 0.0)
        if it.stage in ("demand reduction", "heat supply"):
            displaced = -deltas[d]
            avail = np.maximum(remaining[d], 0.0)
            clip = np.where(displaced > avail, _safe_div(avail, displaced), 1.0)
            deltas = {c: v * clip for c, v in deltas.items()}
        elif it.stage == "mobility":
            avail = np.maximum(remaining[d], 0.0)
            new = np.maximum(deltas[d], -avail)
            clip = np.where(deltas[d] < 0, _safe_div(-new, -deltas[d]), 1.0)
            deltas[d] = new
        for c in CARRIERS:
            remaining[c] = remaining[c] + deltas[c]
        measures[it.index] = _MeasureRun(
            deltas, wanted, clip, available,
            capex=np.broadcast_to(np.asarray(res.capex, dtype=float), (n,)),
            opex=np.broadcast_to(np.asarray(res.opex, dtype=float), (n,)),
            generation=np.broadcast_to(np.asarray(res.extra.get("generation", 0.0), dtype=float), (n,)),
            shifted=np.broadcast_to(np.asarray(res.extra.get("shifted", 0.0), dtype=float), (n,)),
            primary_energy=-total(deltas[c] * pe[c] for c in pe) / 1e3)
    missing_pef = [c for c in CARRIERS if c not in pe and (np.any(base[c] != 0) or np.any(remaining[c] != 0))]
    if missing_pef:
        c = missing_pef[0]
        raise PlanError(f"no primary energy factor for {c.replace('_', ' ')}, which the district uses: add "
                        f"[factors] pef_{c} = {{value = ..., evidence = \"...\", source = \"...\"}} to the plan")
    balance = -total(remaining[c] * pe[c] for c in pe) / 1e3
    baseline_balance = -total(base[c] * pe[c] for c in pe) / 1e3
    generation_pe = total(m.generation for m in measures.values()) * pe.get("electricity", 0.0) / 1e3
    co2 = {c: factor(cf.co2, c) for c in CARRIERS if c in cf.co2}
    co2_baseline = total(base[c] * co2[c] for c in co2) / 1e3
    co2_after = total(remaining[c] * co2[c] for c in co2) / 1e3
    price = {c: factor(cf.price, c) for c in CARRIERS if c in cf.price}
    change = {c: remaining[c] - base[c] for c in CARRIERS}
    savings = -total(change[c] * price[c] for c in price)
    capex = total(m.capex for m in measures.values())
    opex = total(m.opex for m in measures.values())
    net = savings - opex
    with np.errstate(divide="ignore", invalid="ignore"):
        payback = np.where(net > 0, capex / np.where(net > 0, net, 1), np.inf)
    return _Run(base, remaining, measures, pe, balance, baseline_balance, generation_pe, generation_pe - balance,
                co2_baseline, co2_after, co2_baseline - co2_after, savings, capex, opex, payback, sorted(co2),
                sorted(price))


# --- the result -------------------------------------------------------------------------------------------------

def _pct(arr: Array, unit: str, central: Array | None = None) -> dict[str, Any]:
    p10, p50, p90 = percentiles(np.asarray(arr, dtype=float))
    d: dict[str, Any] = {"p10": finite_or_none(p10), "p50": finite_or_none(p50), "p90": finite_or_none(p90),
                         "unit": unit}
    if central is not None:
        d["central"] = finite_or_none(float(np.asarray(central).reshape(-1)[0]))
    return d


@dataclass
class PlanResult:
    """The evaluated plan: balance with ranges, by carrier, by measure, warnings, shortfall and suggestions."""

    spec: PlanSpec
    city: CityProfile
    balance: dict[str, Any]
    status: str
    by_carrier: dict[str, Any]
    measures: list[dict[str, Any]]
    metrics: dict[str, Any]
    warnings: list[str]
    notes: list[str]
    not_computed: list[str]
    shortfall: dict[str, Any]
    waterfall: list[dict[str, Any]]
    assumptions: list[dict[str, Any]]
    probability_positive: float
    samples: int
    seed: int
    hourly: dict[str, Any] | None = None
    """The hourly balance of the central estimate (KPIs, PED classification, monthly exchanges) with the ranges of
    its KPIs over a subsample of the draws (``kpi_ranges``, ``ped_share``, ``ranges_note``), or None."""
    hourly_unavailable: str = ""
    """Why ``hourly`` is None (empty when it is there)."""

    @property
    def positive(self) -> bool:
        return self.status == "positive"

    def to_dict(self) -> dict[str, Any]:
        return {"district": self.spec.name, "city": self.city.id, "city_name": self.city.name,
                "balance": self.balance, "positive": self.positive, "status": self.status,
                "probability_positive": self.probability_positive, "by_carrier": self.by_carrier,
                "measures": self.measures, "metrics": self.metrics, "warnings": self.warnings,
                "not_computed": self.not_computed, "notes": self.notes, "shortfall": self.shortfall,
                "waterfall": self.waterfall, "assumptions": self.assumptions, "samples": self.samples,
                "seed": self.seed, "hourly": self.hourly,
                **({"hourly_unavailable": self.hourly_unavailable} if self.hourly is None else {})}


def _status(p50: float) -> str:
    if abs(p50) <= ZERO_TOLERANCE:
        return "neutral"
    return "positive" if p50 > 0 else "short"


def _of_model(model: str, displacing: str | None = None) -> Callable[[_Item], bool]:
    """Whether an item's measure type has this model (and, if given, displaces this carrier)."""
    return lambda it: it.type.model == model and (displacing is None or it.type.displaces == displacing)


def _guards(spec: PlanSpec, items: list[_Item], kwp_per_m2: float | None) -> list[str]:
    """Stacking guards on the scales: homes served twice, retrofit beyond the district, PV beyond the roof."""
    out: list[str] = []
    ok = [it for it in items if not it.error]
    homes = spec.homes.mid if spec.homes is not None else None

    def total(pred: Callable[[_Item], bool]) -> float:
        return sum(it.spec.scale.mid for it in ok if pred(it))

    if homes is not None:
        for model, what in (("retrofit", "retrofit"), ("energy_management", "energy management")):
            t = total(_of_model(model))
            if t > homes:
                out.append(f"{what} covers {t:g} homes but the district has {homes:g}")
        hp = total(lambda it: it.type.model == "heat_pump")
        n_hp = sum(1 for it in ok if it.type.model == "heat_pump")
        if hp > homes:
            out.append(f"heat-supply measures serve {hp:g} homes but the district has {homes:g}"
                       + (": two heating systems for the same homes?" if n_hp > 1 else ""))
        for c, share in spec.heating.items():
            served = total(_of_model("heat_pump", displacing=c))
            if served > homes * share.mid + 1e-9:
                out.append(f"heat-supply measures replace {c.replace('_', ' ')} in {served:g} homes, but only about "
                           f"{homes * share.mid:g} homes ({share.mid:.0%}) are heated by it")
    roof = spec.limits.get("roof_area")
    if roof is not None and kwp_per_m2:
        cap = roof.mid * kwp_per_m2
        pv = total(lambda it: it.type.model == "pv" and "facade" not in it.spec.type)
        green = total(lambda it: it.type.model == "green_roof")
        if pv > cap + 1e-9:
            out.append(f"rooftop PV of {pv:g} kWp exceeds the roof: {roof.mid:g} m² × {kwp_per_m2:g} kWp/m² = "
                       f"{cap:g} kWp")
        elif green and pv / kwp_per_m2 + green > roof.mid + 1e-9:
            out.append(f"PV ({pv / kwp_per_m2:,.0f} m² at {kwp_per_m2:g} kWp/m²) and green roof ({green:g} m²) "
                       f"share a roof of {roof.mid:g} m²")
    facade = spec.limits.get("facade_area")
    if facade is not None and kwp_per_m2:
        fpv = total(lambda it: it.type.model == "pv" and "facade" in it.spec.type)
        if fpv > facade.mid * kwp_per_m2 + 1e-9:
            out.append(f"façade PV of {fpv:g} kWp exceeds the façade: {facade.mid:g} m² × {kwp_per_m2:g} kWp/m²")
    if any(it.type.model == "battery" for it in ok) and not any(it.type.model == "pv" for it in ok):
        out.append("storage without local generation only adds its losses to the balance")
    return out


def _clip_warning(title: str, carrier: str, wanted: float, available: float, clipped: float, stage: str) -> str:
    """The clipping warning: what the measure would displace and what remains of the carrier (central, MWh/yr)."""
    where = Msg(N_("mobility outside the district baseline is not counted") if stage == "mobility" else
                N_("it cannot displace more than what remains"))
    values: dict[str, Param] = {"title": title, "wanted": Num(wanted, ",.0f"),
                                "carrier": Msg(CARRIER_WORDS.get(carrier, carrier)),
                                "available": Num(available, ",.0f"), "share": Num(round(clipped * 100), "d"),
                                "where": where}
    if wanted > available:
        return Said(Msg(N_("{title}: would displace {wanted} MWh/yr of {carrier} but only {available} MWh/yr of it "
                           "remains after earlier measures (central); clipped in {share}% of samples — {where}"),
                        values))
    return Said(Msg(N_("{title}: would displace {wanted} MWh/yr of {carrier} and {available} MWh/yr of it remains "
                       "after earlier measures (central), but in {share}% of samples it would displace more than "
                       "remains and is clipped there — {where}"), values))


@dataclass
class _HourlyFigures:
    """The annual figures the hourly balance needs, one value per draw of a run (kWh/yr, factors per kWh)."""

    electricity: Samples  # remaining electricity without PV, battery losses and heat-pump electricity
    heat_pump: Samples
    generation: Samples
    battery_kwh: Samples
    round_trip: Samples
    other: dict[str, Samples]
    pef: dict[str, Samples]
    co2: dict[str, Samples]
    share: tuple[Samples, str] | None  # space-heating share of the heat-pump measure type, with its source


def _hourly_figures(r: _Resolved, run: _Run, values: Values, n: int) -> _HourlyFigures:
    """A run's annual figures as the hourly balance needs them, per draw (one code path for the central run and the
    Monte Carlo draws)."""
    def each(x: Array) -> Samples:
        return np.broadcast_to(np.asarray(x, dtype=np.float64), (n,)).copy()

    gen, batt_delta, hp_delta, cap = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    rte = np.ones(n)
    share: tuple[Samples, str] | None = None
    for it in r.items:
        if it.error:
            continue
        mr = run.measures[it.index]
        m = r.plan.measures[it.plan_index]
        gen += each(mr.generation)
        if it.type.model == "battery":
            batt_delta += each(mr.deltas["electricity"])
            cap += each(values[m.scale.uid])
            rte = each(values[m.params["round_trip_efficiency"].uid])
        elif it.type.model in ("heat_pump", "heat_recovery"):
            hp_delta += each(mr.deltas["electricity"])
        if share is None and "space_heating_share" in m.params:
            share = (each(values[m.params["space_heating_share"].uid]), f"{it.type.title} measure type")
    co2 = {c: each(values[f.input.uid] * f.mult) for c, f in r.factors.co2.items()}
    pef = {c: each(v) for c, v in run.pef.items()}
    elec = each(run.net["electricity"]) + gen - batt_delta - hp_delta
    other = {c: each(run.net[c]) for c in CARRIERS if c != "electricity"}
    return _HourlyFigures(elec, hp_delta, gen, cap, rte, other, pef, co2, share)


def _hourly_inputs(r: _Resolved, cen: _Run, central: Values, city: CityProfile) -> HourlyInputs:
    """The central run's annual figures as the hourly balance needs them (kWh/yr, factors per kWh)."""
    f = _hourly_figures(r, cen, central, 1)
    kw: dict[str, Any] = {}
    if f.share is not None:
        kw = {"space_heating_share": float(f.share[0][0]), "space_heating_share_source": f.share[1]}
    return HourlyInputs(city, float(f.electricity[0]), float(f.heat_pump[0]), float(f.generation[0]),
                        float(f.battery_kwh[0]), float(f.round_trip[0]), {c: float(v[0]) for c, v in f.other.items()},
                        {c: float(v[0]) for c, v in f.pef.items()}, {c: float(v[0]) for c, v in f.co2.items()}, **kw)


def _hourly_only_inputs(spec: PlanSpec) -> list[Input]:
    """The plan's figures only the hourly balance uses (the services share of the load, the off-site supplies), as
    rows of the assumption table."""
    out: list[Input] = []
    if spec.services_share is not None:
        out.append(_input(spec.services_share, "share of the remaining electricity on the services load profile "
                          "(BDEW G25; the rest household, H25)", "services_share"))
    for i, o in enumerate(spec.offsite, start=1):
        out.append(_input(o.supply, f"off-site {o.carrier} supply: {o.name} (credited by PEDvirtual only)",
                          f"offsite_{i}"))
    return out


def _with_plan_hourly(h: HourlyInputs, spec: PlanSpec) -> HourlyInputs:
    """The central hourly inputs with the plan's services share of the load and its off-site supplies (mid)."""
    share = spec.services_share
    return replace(h, services_share=share.mid if share is not None else 0.0,
                   services_share_source=f"{share.evidence}; {share.source}" if share is not None else "",
                   offsite=tuple(OffsiteInput(o.name, o.supply.mid * 1e3, o.supply.evidence, o.supply.source,
                                              o.carrier) for o in spec.offsite))


HOURLY_ONLY_STREAM = 16
"""The figures only the hourly part uses are drawn from their own seeded stream (seed, this number), so declaring
them leaves every draw of the annual balance as it was."""


def _hourly_draws(r: _Resolved, sims: _Run, values: Values, n: int, spec: PlanSpec, seed: int) -> HourlyDraws:
    """The first ``HOURLY_DRAWS`` draws of the plan's seeded sample (all when it has fewer), for the hourly ranges;
    the services share and the off-site supplies drawn (triangular, seeded) from their own stream."""
    k = min(n, HOURLY_DRAWS)
    f = _hourly_figures(r, sims, values, n)
    rng = np.random.default_rng([seed, HOURLY_ONLY_STREAM])

    def first(m: dict[str, Samples]) -> dict[str, Samples]:
        return {c: v[:k] for c, v in m.items()}

    def drawn(fig: Figure, scale: float = 1.0) -> Samples:
        if fig.high > fig.low:
            return rng.triangular(fig.low, fig.mid, fig.high, k) * scale
        return np.full(k, fig.mid * scale)

    share = drawn(spec.services_share) if spec.services_share is not None else None
    offsite = tuple((o.name, drawn(o.supply, 1e3)) for o in spec.offsite)
    return HourlyDraws(f.electricity[:k], f.heat_pump[:k], f.generation[:k], f.battery_kwh[:k], f.round_trip[:k],
                       first(f.other), first(f.pef), first(f.co2), of=n, services_share=share, offsite=offsite)


def run_plan(spec: PlanSpec, ctx: PlanContext, samples: int | None = None, seed: int | None = None,
             suggest: bool = True, *, with_hourly: bool = True) -> PlanResult:
    """Evaluate a plan in its context: percentiles from ``samples`` seeded draws, central waterfall, suggestions;
    with ``suggest`` also the hourly balance of the central estimate (:mod:`kb.plans.hourly`) and its ranges over
    the first ``HOURLY_DRAWS`` draws, unless ``with_hourly`` is false (the annual model alone)."""
    n = int(check(spec.samples if samples is None else samples, SAMPLES, "samples", PlanError))
    seed = spec.seed if seed is None else int(check(seed, SEED, "seed", PlanError))
    if suggest:  # the plan as given (the shortfall's re-runs add only sized suggestions to it)
        validate(spec, {k: mt.scale_unit for k, mt in ctx.types.items()})
    r = resolve(spec, ctx)
    values = r.plan.values(n, seed)
    central_values = r.plan.central_values()
    sims = _run(r, values, n)
    cen = _run(r, central_values, 1)
    bal = _pct(sims.balance, UNIT, cen.balance)
    status = _status(bal["p50"])
    warnings = list(r.warnings)
    kwp = spec.limits["kwp_per_m2"].mid if "kwp_per_m2" in spec.limits else (
        ctx.reference["kwp_per_m2"].mid if "kwp_per_m2" in ctx.reference else None)
    warnings += _guards(spec, r.items, kwp)
    measures_out: list[dict[str, Any]] = []
    clipped_kinds: set[tuple[str, str]] = set()  # (model, displaced carrier) of the measures already clipped
    for it in r.items:
        mt = it.type
        row: dict[str, Any] = {"index": it.index + 1, "measure_type": it.spec.type, "title": mt.title,
                               "label": it.spec.label, "model": mt.model, "stage": it.stage,
                               "scale": it.spec.scale.mid, "unit": mt.scale_unit,
                               "scale_evidence": it.spec.scale.evidence, "scale_source": it.spec.scale.source,
                               "displaces": mt.displaces, "status": "error" if it.error else "ok"}
        if it.error:
            row["error"] = it.error
            measures_out.append(row)
            continue
        m = sims.measures[it.index]
        mc = cen.measures[it.index]
        row["primary_energy"] = _pct(m.primary_energy, UNIT, mc.primary_energy)
        row["by_carrier"] = {c: _pct(m.deltas[c] / 1e3, "MWh/yr", mc.deltas[c] / 1e3) for c in CARRIERS
                             if np.any(m.deltas[c] != 0)}
        row["capex"] = _pct(m.capex, "EUR", mc.capex)
        row["opex"] = _pct(m.opex, "EUR/yr", mc.opex)
        clipped = float(np.mean(m.clip < 1 - 1e-12))
        row["clipped_share"] = clipped
        if clipped > 0:
            d = mt.displaces
            clipped_kinds.add((mt.model, d))
            warnings.append(_clip_warning(mt.title, d, float(mc.wanted[0]) / 1e3, float(mc.available[0]) / 1e3,
                                          clipped, it.stage))
        if it.stage == "storage":
            row["shifted_mwh"] = _pct(m.shifted / 1e3, "MWh/yr", mc.shifted / 1e3)
        measures_out.append(row)
    by_carrier: dict[str, Any] = {}
    for c in CARRIERS:
        if not (np.any(sims.baseline[c] != 0) or np.any(sims.net[c] != 0)):
            continue
        f = r.factors.pef.get(c)
        by_carrier[c] = {"baseline": _pct(sims.baseline[c] / 1e3, "MWh/yr", cen.baseline[c] / 1e3),
                         "net": _pct(sims.net[c] / 1e3, "MWh/yr", cen.net[c] / 1e3),
                         "primary_energy": _pct(-sims.net[c] * sims.pef[c] / 1e3, UNIT,
                                                -cen.net[c] * cen.pef[c] / 1e3),
                         "pef": f.input.mid if f else None, "pef_source": f.input.name if f else None}
    metrics: dict[str, Any] = {
        "baseline_balance": _pct(sims.baseline_balance, UNIT, cen.baseline_balance),
        "generation": _pct(sims.generation_pe, UNIT, cen.generation_pe),
        "consumption": _pct(sims.consumption_pe, UNIT, cen.consumption_pe),
        "co2_baseline": _pct(sims.co2_baseline, "tCO2/yr", cen.co2_baseline),
        "co2": _pct(sims.co2, "tCO2/yr", cen.co2),
        "co2_avoided": _pct(sims.co2_avoided, "tCO2/yr", cen.co2_avoided),
        "capex": _pct(sims.capex, "EUR", cen.capex),
        "opex": _pct(sims.opex, "EUR/yr", cen.opex),
        "savings": _pct(sims.savings, "EUR/yr", cen.savings),
        "payback": _pct(sims.payback, "yr", cen.payback),
    }
    used = set(by_carrier)
    not_computed: list[str] = [
        Said(Msg(N_("CO₂ leaves out {carrier}: no CO₂ factor"), {"carrier": Msg(CARRIER_WORDS.get(c, c))}),
             f"CO2 leaves out {c.replace('_', ' ')}: no CO2 factor (add [factors] co2_{c})")
        for c in sorted(used) if c not in sims.co2_carriers]
    not_computed += [
        Said(Msg(N_("savings leave out {carrier}: no price"), {"carrier": Msg(CARRIER_WORDS.get(c, c))}),
             f"savings leave out {c.replace('_', ' ')}: no price (add [factors] price_{c})")
        for c in sorted(used) if c not in sims.price_carriers]
    notes = list(r.notes)
    pef_e = r.factors.pef.get("electricity")
    if pef_e is not None and "FALLBACK" in pef_e.input.name:
        notes.append(f"primary energy factor of electricity: EU default {pef_e.input.mid:g} used as a FALLBACK "
                     f"(no national factor for {ctx.city.name})")
    notes.append(Said(Msg(N_("exported PV electricity counts at the electricity primary energy factor; in the annual "
                             "savings PV's self-consumed share is the measure type's (25–30 %, valued at the retail "
                             "price, the rest at the export value) — the hour-by-hour balance below shows the "
                             "district's own self-consumption, which the annual savings do not yet use"))))
    waterfall: list[dict[str, Any]] = [{"step": "baseline", "kind": "baseline",
                                        "value": float(cen.baseline_balance[0])}]
    for it in sorted((it for it in r.items if not it.error), key=lambda it: (STAGES.index(it.stage), it.index)):
        waterfall.append({"step": it.spec.label or it.type.title, "kind": it.stage,
                          "value": float(cen.measures[it.index].primary_energy[0])})
    waterfall.append({"step": "balance", "kind": "balance", "value": float(cen.balance[0])})
    shortfall = _shortfall(spec, ctx, r, cen, bal, n, seed, clipped_kinds) if suggest else {}
    seen: set[str] = set()
    assumptions: list[dict[str, Any]] = []
    for inp in r.plan.inputs:
        if inp.uid not in seen:
            seen.add(inp.uid)
            assumptions.append(inp.to_row())
    assumptions += [inp.to_row() for inp in _hourly_only_inputs(spec)]
    hourly: dict[str, Any] | None = None
    hourly_reason = "not computed for the re-runs that size the suggestions"
    if suggest and not with_hourly:
        hourly_reason = "not computed: the hourly balance was switched off for this evaluation"
    elif suggest:
        h_in = _with_plan_hourly(_hourly_inputs(r, cen, central_values, ctx.city), spec)
        hourly, hourly_reason = hourly_balance(h_in)
        if hourly is None:
            notes.append(hourly_reason)
        else:
            hourly.update(hourly_ranges(h_in, _hourly_draws(r, sims, values, n, spec, seed)))
    return PlanResult(spec, ctx.city, bal, status, by_carrier, measures_out, metrics, warnings, notes, not_computed,
                      shortfall, waterfall, assumptions, float(np.mean(sims.balance > ZERO_TOLERANCE)), n, seed,
                      hourly, hourly_reason)


# --- shortfall and suggestions ----------------------------------------------------------------------------------

def _marginal(mt: MeasureType, r: _Resolved, cen: _Run, ctx: PlanContext) -> dict[str, float] | None:
    """Primary energy, displaced energy and capex of one more unit of a measure type at the plan's central values."""
    try:
        plan = prepare([PortfolioItem(mt, 1.0, _overrides(mt, r.heat_inputs))], ctx.city, ctx.general)
    except (ParameterMissing, DriverMissing, ValueError):
        return None
    m = plan.measures[0]
    p = {k: inp.mid for k, inp in m.params.items()}
    res = MODELS[mt.model](1.0, p, plan.drivers, mt.displaces)
    k = 1.0
    if mt.model == "heat_pump":
        b = float(cen.baseline[mt.displaces][0])
        red = b + sum(float(x.deltas[mt.displaces][0]) for i, x in cen.measures.items()
                      if r.items[i].stage == "demand reduction")
        k = red / b if b > 0 else 0.0
    pef = {c: float(np.asarray(v).reshape(-1)[0]) for c, v in cen.pef.items()}
    pe = -sum(float(np.asarray(v)) * k * pef[c] for c, v in res.deltas.items() if c in pef) / 1e3
    displaced = -float(np.asarray(res.deltas.get(mt.displaces, 0.0))) * k
    return {"pe": pe, "displaced": displaced, "capex": float(np.asarray(res.capex))}


def _shortfall(spec: PlanSpec, ctx: PlanContext, r: _Resolved, cen: _Run, bal: dict[str, Any], n: int,
               seed: int, clipped_kinds: set[tuple[str, str]] | None = None) -> dict[str, Any]:
    """The gap to a zero P50 and the measures that would close it, each sized within the plan's own limits: the roof
    and façade areas (no façade PV without a façade area, none once it is full), the homes heated by a carrier not
    yet covered, and the carrier left after the plan; no more of a heat supply whose planned measures are already
    clipped (they displace everything there is in some draws). ``clipped_kinds``: (model, carrier) of those."""
    p50, p10 = bal["p50"], bal["p10"]
    if p50 is None or p50 >= -ZERO_TOLERANCE:
        return {"mwh_pe": 0.0, "unit": UNIT, "to_p10": max(0.0, -(p10 or 0.0)), "suggestions": [],
                "combination": [], "note": "no shortfall at P50"}
    gap = -p50
    ok = [it for it in r.items if not it.error]
    kwp = spec.limits["kwp_per_m2"].mid if "kwp_per_m2" in spec.limits else (
        ctx.reference["kwp_per_m2"].mid if "kwp_per_m2" in ctx.reference else None)
    homes = spec.homes.mid if spec.homes is not None else None
    remaining = {c: float(cen.net[c][0]) for c in CARRIERS}
    suggestions: list[dict[str, Any]] = []
    for tid, carrier in SUGGESTIONS:
        mt = ctx.types.get(tid)
        if mt is None:
            continue
        if carrier:
            if remaining.get(carrier, 0.0) <= 0:
                continue
            mt = replace(mt, displaces=carrier)
        if (mt.model, mt.displaces) in (clipped_kinds or set()):
            continue  # the plan's own measures of this kind already run out of this carrier in some draws
        mg = _marginal(mt, r, cen, ctx)
        if mg is None or mg["pe"] <= 0:
            continue
        bound, why = math.inf, ""
        existing = sum(it.spec.scale.mid for it in ok if it.spec.type == tid)
        if tid == "rooftop-pv":
            roof = spec.limits.get("roof_area")
            if roof is not None and kwp:
                used = sum(it.spec.scale.mid for it in ok if it.type.model == "pv"
                           and "facade" not in it.spec.type)
                green = sum(it.spec.scale.mid for it in ok if it.type.model == "green_roof")
                bound, why = max(0.0, roof.mid * kwp - used - green * kwp), (
                    f"roof limit: {roof.mid:g} m² × {kwp:g} kWp/m², less PV and green roof already planned")
            else:
                why = "no roof area in the plan: check that it fits"
        elif tid == "facade-pv":
            fac = spec.limits.get("facade_area")
            if fac is not None and kwp:
                bound, why = max(0.0, fac.mid * kwp - existing), f"façade limit: {fac.mid:g} m² × {kwp:g} kWp/m²"
            else:
                continue  # no façade area in the plan: nothing to size façade PV against
        else:
            left = max(remaining.get(mt.displaces, 0.0), 0.0)
            bound = left / mg["displaced"] if mg["displaced"] > 0 else 0.0
            why = f"the {mt.displaces.replace('_', ' ')} still used after the plan"
            share = spec.heating.get(mt.displaces)
            if homes is not None:
                served = sum(it.spec.scale.mid for it in ok if it.type.model == mt.model
                             and it.type.displaces == mt.displaces)
                cap = homes * (share.mid if share is not None else 1.0) - served
                if cap < bound:
                    bound, why = max(0.0, cap), (f"homes heated by {mt.displaces.replace('_', ' ')} not yet covered "
                                                 f"by {mt.model.replace('_', ' ')}")
        needed = gap / mg["pe"]
        scale = min(needed, bound)
        if math.isfinite(scale):  # whole units, never beyond the limit
            scale = math.ceil(scale) if math.ceil(scale) <= bound else math.floor(scale)
        if scale <= 0:
            continue  # the limit is used up: nothing left to suggest
        suggestions.append({
            "measure_type": tid, "title": mt.title, "displaces": carrier or mt.displaces, "unit": mt.scale_unit,
            "per_unit_mwh_pe": mg["pe"], "needed": needed, "bound": None if math.isinf(bound) else bound,
            "bound_reason": why, "scale": scale,
            "closes_mwh_pe": min(scale * mg["pe"], gap) if math.isfinite(scale) else gap,
            "closes_gap_alone": needed <= bound, "capex": scale * mg["capex"] if math.isfinite(scale) else None,
            "solutions": [{"id": i, "title": t} for i, t in ctx.solutions.get(tid, [])][:5],
        })
    out: dict[str, Any] = {"mwh_pe": gap, "unit": UNIT, "to_p10": max(0.0, -(p10 or 0.0)),
                           "suggestions": suggestions, "combination": [],
                           "note": "each suggestion alone, sized at the plan's central values; the combination "
                                   "adds them in order, within the limits, until the P50 of the balance reaches "
                                   "zero (checked by re-running the plan with the same seed)"}
    target = gap
    for _ in range(4):
        combination = _combine(suggestions, target)
        if not combination or combination == out["combination"]:
            break  # nothing to add, or every suggestion already at its limit: a re-run would change nothing
        extra = [PlanMeasure(c["measure_type"], Figure.of(c["scale"], evidence="estimate",
                                                         source="suggested by kb plan to close the shortfall"),
                             c["displaces"] if c["unit"] != "kWp" else "", "suggested: " + c["title"])
                 for c in combination]
        try:
            res = run_plan(replace(spec, measures=[*spec.measures, *extra]), ctx, samples=n, seed=seed,
                           suggest=False)
        except PlanError as exc:
            out["with_combination"] = {"error": str(exc)}
            break
        out["combination"] = combination
        out["with_combination"] = {"balance": res.balance, "status": res.status, "capex": res.metrics["capex"]}
        if res.balance["p50"] is None or res.balance["p50"] >= 0:
            break
        target += -res.balance["p50"] * 1.1 + 1.0  # a small margin: the draws of the added measures vary too
    return out


def _combine(suggestions: list[dict[str, Any]], gap: float) -> list[dict[str, Any]]:
    combination: list[dict[str, Any]] = []
    left = gap
    for s in suggestions:
        if left <= 0 or s["scale"] <= 0:
            continue
        cap = s["bound"] if s["bound"] is not None else math.inf
        take = min(cap, math.ceil(left / s["per_unit_mwh_pe"]))
        take = math.floor(take) if math.isfinite(cap) and take == cap else take
        if take <= 0:
            continue
        combination.append({"measure_type": s["measure_type"], "title": s["title"], "displaces": s["displaces"],
                            "scale": take, "unit": s["unit"], "closes_mwh_pe": take * s["per_unit_mwh_pe"]})
        left -= take * s["per_unit_mwh_pe"]
    return combination


def evaluate_plan(engine: Engine, spec: PlanSpec, samples: int | None = None, seed: int | None = None, *,
                  with_hourly: bool = True) -> PlanResult:
    """Evaluate a plan against the knowledge base; an unknown city raises :class:`PlanError`. ``with_hourly=False``
    leaves out the hourly balance (the annual model alone, e.g. to time it)."""
    from kb.replication.cities import CityNotFound

    try:
        ctx = load_context(engine, spec.city)
    except CityNotFound as exc:
        raise PlanError(str(exc)) from None
    return run_plan(spec, ctx, samples, seed, with_hourly=with_hourly)
