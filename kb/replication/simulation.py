"""Replicated impact: Monte Carlo estimate of a measure, a portfolio or a solution in a city, with its assumptions.

``prepare`` turns measures (type, scale, overrides) and a city into a :class:`Plan`; ``Plan.simulate`` draws
seeded triangular samples of every uncertain input (city drivers included where their sources differ) and
returns every metric as a sample array, life-cycle economics (:mod:`kb.replication.economics`) from the same
draws; ``estimate`` adds percentiles, the global (Sobol) sensitivity of :mod:`kb.replication.sensitivity` and the
assumption table. Every CO2 and PEF factor is taken on one declared basis (:class:`FactorBasis`).
:func:`estimate_solution` reads a solution record: its scale rows, parameter overrides and source-site figures;
only measured or installed carrier flows and capex of the same quantity calibrate (its module docstring).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import numpy as np
from numpy.typing import NDArray

from kb.errors import InvalidInput
from kb.i18n import N_, Msg, joined
from kb.records.vocab import CARRIERS, MODEL_KEYS
from kb.replication import economics
from kb.replication.bounds import DISCOUNT_RATE, MAX_SAMPLES, check, param_bound
from kb.replication.cities import CityProfile
from kb.replication.economics import EconomicInputs, MeasureFlows
from kb.replication.factors import DEFAULT_BASIS, CarrierFactors, Factor, FactorBasis, carrier_factors, driver_input
from kb.replication.hourly import HOURLY_NOTE, District, HourlyModel, hourly_model
from kb.replication.inputs import OPTIONAL_KEYS, Input, MeasureType, ParameterMissing
from kb.replication.models import MODEL_DRIVERS, MODELS, Array, ModelResult
from kb.replication.sensitivity import sensitivity as global_sensitivity

DEFAULT_SAMPLES = 5000
DEFAULT_SEED = 42

METRICS: dict[str, tuple[str, str]] = {
    "electricity": ("MWh/yr", "electricity (negative = saved or generated)"),
    "natural_gas": ("MWh/yr", "natural gas (negative = saved)"),
    "district_heat": ("MWh/yr", "district heat (negative = saved)"),
    "petrol": ("MWh/yr", "petrol (negative = saved)"),
    "co2_avoided": ("tCO2/yr", "CO2 avoided"),
    "primary_energy_saved": ("MWh_PE/yr", "primary energy saved"),
    "nox_avoided": ("kg/yr", "NOx avoided (fuel combustion at the point of use; no factor for grid electricity)"),
    "savings": ("EUR/yr", "energy cost savings"),
    "capex": ("EUR", "investment"),
    "opex": ("EUR/yr", "operation and maintenance"),
    "payback": ("yr", "simple payback = capex / (savings − opex), undiscounted; none when net savings ≤ 0"),
    "cost_per_tco2": ("EUR/tCO2", "GROSS, undiscounted cost per tonne avoided = (capex/lifetime + opex) / CO2 "
                                  "avoided; energy savings not deducted; none when no CO2 is avoided"),
    "npv": ("EUR", "net present value = −capex + Σ (savings − opex)/(1+r)^t over each measure's lifetime, minus "
                   "discounted component replacements; real terms, no residual value"),
    "irr": ("-", "internal rate of return (fraction: 0.05 = 5 %/yr, real); none when the outlay is never "
                 "recovered"),
    "discounted_payback": ("yr", "years until the cumulative discounted net cash flow reaches zero; none when "
                                 "it does not within the lifetime"),
    "lcoe": ("EUR/MWh", "levelised cost of electricity generated = discounted costs / discounted MWh generated"),
    "lcoh": ("EUR/MWh", "levelised cost of heat supplied = discounted costs (electricity bought included) / "
                        "discounted MWh of heat"),
    "net_abatement_cost": ("EUR/tCO2", "net abatement cost = −NPV / discounted tonnes avoided (savings "
                                       "deducted, tonnes discounted at the same rate); negative = saves money"),
}
ECONOMIC_METRICS: tuple[str, ...] = ("npv", "irr", "discounted_payback", "lcoe", "lcoh", "net_abatement_cost")
CALIBRATION_STAGE1 = frozenset({*CARRIERS, "capex"})
ELECTRIC_MODELS = frozenset({"pv", "battery", "heat_pump", "heat_recovery", "ev_charging", "car_sharing"})
SENSITIVITY_METRICS: tuple[str, ...] = ("co2_avoided", "primary_energy_saved", "savings", "payback", "capex")


class ScaleMissing(InvalidInput, ValueError):
    """No scale given and the solution record has no scale figure."""


class PortfolioInvalid(InvalidInput, ValueError):
    """A portfolio or its simulation settings break a rule: no measure, a negative scale, an unknown carrier."""


@dataclass(frozen=True)
class PortfolioItem:
    """One measure of a portfolio: its type, scale (in the type's scale unit) and parameter overrides."""

    measure_type: MeasureType
    scale: float
    overrides: Mapping[str, float | Input] = field(default_factory=dict)
    scale_evidence: str = "design"
    scale_source: str = "chosen by the user"


@dataclass
class _Measure:
    type: MeasureType
    scale: Input
    params: dict[str, Input]


_Run = tuple[_Measure, Mapping[str, Array], ModelResult]
"""One measure's model run: the measure, its parameter values, its result."""


@dataclass
class Plan:
    """Everything needed to simulate: measures with resolved inputs, city drivers, carrier factors, calibration."""

    city: CityProfile
    measures: list[_Measure]
    drivers: dict[str, float]
    driver_inputs: list[Input]
    factors: CarrierFactors
    carriers: list[str]
    calibration: dict[str, float] = field(default_factory=dict)
    economics: EconomicInputs | None = None
    district: District | None = None
    """The reference district of the hourly dispatch (None: annual model only, as district plans use it)."""
    _hourly: tuple[HourlyModel | None, str] | None = field(default=None, repr=False, compare=False)

    @property
    def inputs(self) -> list[Input]:
        rows: list[Input] = []
        for m in self.measures:
            rows.append(m.scale)
            rows.extend(m.params.values())
        return rows + self.driver_inputs + self.factors.inputs() + (self.economics.inputs() if self.economics else [])

    def available(self) -> list[str]:
        names = [c for c in self.carriers]
        for metric in ("co2_avoided", "primary_energy_saved", "nox_avoided", "savings"):
            if metric == "nox_avoided" and not any(c in self.factors.nox for c in self.carriers):
                continue
            if metric not in self.factors.unavailable:
                names.append(metric)
        names += ["capex", "opex"]
        if "savings" in names:
            names.append("payback")
        if "co2_avoided" in names:
            names.append("cost_per_tco2")
        econ = self.economics
        if econ is not None and "savings" in names and econ.discount is not None:
            names += self.economic_metrics("co2_avoided" in names)
        return names

    def economic_metrics(self, co2: bool = True) -> list[str]:
        """The life-cycle metrics that apply to these measures (lcoe where one generates, lcoh where one supplies
        heat, net abatement cost where CO2 is counted), whether or not they can be computed."""
        models = {m.type.model for m in self.measures}
        return ["npv", "irr", "discounted_payback", *(["lcoe"] if models & economics.LCOE_MODELS else []),
                *(["lcoh"] if models & economics.LCOH_MODELS else []), *(["net_abatement_cost"] if co2 else [])]

    def values(self, n: int, seed: int | None) -> dict[str, Array]:
        """Seeded triangular samples of every uncertain input (in a fixed order); fixed inputs as scalars."""
        rng = np.random.default_rng(seed)
        out: dict[str, Array] = {}
        # economic inputs are drawn last: adding them leaves the draws of every other input as they were
        for inp in sorted(self.inputs, key=lambda i: (i.key in economics.LATE_KEYS, i.uid)):
            if inp.uid in out:
                continue
            out[inp.uid] = rng.triangular(inp.low, inp.mid, inp.high, n) if inp.uncertain else inp.mid
        return out

    def central_values(self) -> dict[str, float]:
        return {i.uid: i.mid for i in self.inputs}

    def evaluate(self, values: Mapping[str, Array], n: int = 1, calibrate: bool = True,
                 flows_out: list[MeasureFlows] | None = None, *, life_cycle: bool = True
                 ) -> dict[str, NDArray[np.float64]]:
        """Every available metric as an array of length ``n`` for the given input values (``flows_out`` receives
        each measure's economic flows). ``life_cycle=False`` leaves out the life-cycle metrics (NPV, IRR, …): the
        sensitivity analysis, which ranks the annual metrics only, runs the model many times over."""
        k = self.calibration if calibrate else {}
        f = self.factors
        avail = set(self.available())
        econ = self.economics if life_cycle else None

        def weighted(group: Mapping[str, Factor], flows: Mapping[str, Array]) -> Array:
            return -sum((flows[c] * values[fc.input.uid] * fc.mult for c, fc in group.items() if c in flows), 0.0)

        deltas: dict[str, Array] = dict.fromkeys(self.carriers, 0.0)
        capex: Array = 0.0
        opex: Array = 0.0
        annual_cost: Array = 0.0
        savings: Array = 0.0
        flows: list[MeasureFlows] = []
        runs = self._runs(values)
        hourly = self._dispatch(runs, values, n, k)
        for m, p, r in runs:
            h = hourly.get(m.type.id) if hourly else None
            if h is not None and m.type.model == "pv":
                p = {**p, economics.SELF_CONSUMPTION_KEY: h["direct_share"]}
            if h is not None and m.type.model == "battery":
                # dispatched: energy charged from PV surplus minus energy delivered to the load (the losses),
                # already on the calibrated PV output, so not calibrated again
                r.deltas = {"electricity": (h["charged"] - h["delivered"]) / k.get("electricity", 1.0)}
                r.extra = {**r.extra, "shifted": h["delivered"]}
            md = {c: v * k.get(c, 1.0) for c, v in r.deltas.items()}  # calibrated carrier flows of this measure
            for c, v in md.items():
                deltas[c] = deltas[c] + v
            conv = econ.factors if econ else {}
            mc = r.capex * k.get("capex", 1.0) * conv.get((m.type.id, "capex"), 1.0)  # in the prices' year
            capex = capex + mc
            mo = r.opex * conv.get((m.type.id, "opex"), 1.0)
            opex = opex + mo
            annual_cost = annual_cost + mc / p["lifetime"] + mo
            if "savings" not in avail:
                continue
            ms = (self._battery_value(h, values) if h is not None and m.type.model == "battery"
                  else self._savings(m.type.model, md, p, values)) * k.get("savings", 1.0)
            savings = savings + ms
            if econ is None or econ.discount is None:
                continue
            co2 = weighted(f.co2, md) / 1e3 * k.get("co2_avoided", 1.0) if "co2_avoided" in avail else 0.0
            kind = ""
            output: Array = 0.0
            energy: Array = 0.0
            if m.type.model in economics.LCOE_MODELS:
                kind, output = "lcoe", r.extra["generation"] * k.get("electricity", 1.0) / 1e3
            elif m.type.model in economics.LCOH_MODELS:
                kind, output = "lcoh", r.extra["heat"] * k.get(m.type.displaces, 1.0) / 1e3
                el = f.price.get("electricity")
                energy = md.get("electricity", 0.0) * values[el.input.uid] * el.mult if el else 0.0
            interval = p.get(economics.REPLACEMENT_KEYS[0])
            repl: Array = 0.0
            if interval is not None and economics.REPLACEMENT_KEYS[1] in p:
                repl = (values[m.scale.uid] * p[economics.REPLACEMENT_KEYS[1]]
                        * conv.get((m.type.id, "replacement_capex"), 1.0))
            flows.append(MeasureFlows(mc, mo, ms, co2, p["lifetime"], interval, repl, output, kind, energy))
        out: dict[str, Array] = {}
        for c in self.carriers:
            out[c] = deltas[c] / 1e3

        if "co2_avoided" in avail:
            out["co2_avoided"] = weighted(f.co2, deltas) / 1e3 * k.get("co2_avoided", 1.0)
        if "primary_energy_saved" in avail:
            out["primary_energy_saved"] = weighted(f.pef, deltas) / 1e3 * k.get("primary_energy_saved", 1.0)
        if "nox_avoided" in avail:
            out["nox_avoided"] = weighted(f.nox, deltas) / 1e3 * k.get("nox_avoided", 1.0)
        if "savings" in avail:
            out["savings"] = savings
        out["capex"] = capex
        out["opex"] = opex
        with np.errstate(divide="ignore", invalid="ignore"):
            if "payback" in avail:
                net = np.asarray(out["savings"] - opex, dtype=float)
                out["payback"] = np.where(net > 0, np.asarray(capex, dtype=float) / np.where(net > 0, net, 1),
                                          np.inf)
            if "cost_per_tco2" in avail:
                co2 = np.asarray(out["co2_avoided"], dtype=float)
                out["cost_per_tco2"] = np.where(co2 > 0, np.asarray(annual_cost, dtype=float)
                                                / np.where(co2 > 0, co2, 1), np.inf)
        if flows_out is not None:
            flows_out.extend(flows)
        if "npv" in avail and econ is not None and econ.discount is not None:
            res = economics.evaluate(flows, values[econ.discount.uid], n)
            out.update({name: v for name, v in res.items() if name in avail})
        return {name: np.broadcast_to(np.asarray(v, dtype=float), (n,)) for name, v in out.items()}

    def _runs(self, values: Mapping[str, Array]) -> list[_Run]:
        """Each measure's model run on these input values (parameters and sampled drivers)."""
        runs: list[_Run] = []
        for m in self.measures:
            p = {key: values[inp.uid] for key, inp in m.params.items()}
            # model drivers as sampled where the city record gives their range (driver inputs: uid driver.<key>)
            drv = cast(Mapping[str, float], {key: values.get(f"driver.{key}", v) for key, v in self.drivers.items()})
            runs.append((m, p, MODELS[m.type.model](values[m.scale.uid], p, drv, m.type.displaces)))
        return runs

    def hourly_model(self) -> tuple[HourlyModel | None, str]:
        """The reference district's hourly model, or ``(None, reason)`` (empty without a district or models
        that the hourly dispatch concerns); built once per plan."""
        if self.district is None:
            return None, ""
        if self._hourly is None:
            gen = sum(float(np.asarray(r.extra["generation"])) for m, _p, r in self._runs(self.central_values())
                      if m.type.model == "pv") * self.calibration.get("electricity", 1.0)
            self._hourly = hourly_model(self.city, self.district,
                                        [(m.type.model, m.scale.mid) for m in self.measures], gen)
        return self._hourly

    def _hourly_scalars(self, runs: Sequence[_Run], values: Mapping[str, Array],
                        k: Mapping[str, float]) -> tuple[Array, Array, Array, Array, float]:
        """(PV output, heat-pump electricity, charging electricity, battery round trip, battery kWh) of a draw."""
        kel = k.get("electricity", 1.0)
        pv: Array = 0.0
        hp: Array = 0.0
        ev: Array = 0.0
        cap = 0.0
        rte_w: Array = 0.0
        for m, p, r in runs:
            model = m.type.model
            if model == "pv":
                pv = pv + r.extra["generation"] * kel
            elif model in ("heat_pump", "heat_recovery"):
                hp = hp + r.deltas.get("electricity", 0.0) * kel
            elif model in ("ev_charging", "car_sharing"):
                ev = ev + r.deltas.get("electricity", 0.0) * kel
            elif model == "battery":
                cap += m.scale.mid
                rte_w = rte_w + p["round_trip_efficiency"] * m.scale.mid
        rte: Array = rte_w / cap if cap > 0 else 0.9
        return pv, hp, ev, rte, cap

    def _dispatch(self, runs: Sequence[_Run], values: Mapping[str, Array],
                  n: int, k: Mapping[str, float]) -> dict[str, dict[str, NDArray[np.float64]]] | None:
        """The hourly results by measure type (PV: direct share; battery: its share of charged and delivered)."""
        model, _ = self.hourly_model()
        if model is None:
            return None
        pv, hp, ev, rte, cap = self._hourly_scalars(runs, values, k)
        res = model.adjust(pv, hp, ev, rte, cap, n)
        out: dict[str, dict[str, NDArray[np.float64]]] = {}
        for m, _p, _r in runs:
            if m.type.model == "pv":
                out[m.type.id] = res
            elif m.type.model == "battery" and cap > 0:
                share = m.scale.mid / cap
                out[m.type.id] = {**res, "charged": res["charged"] * share, "delivered": res["delivered"] * share}
        return out

    def _battery_value(self, h: Mapping[str, NDArray[np.float64]], values: Mapping[str, Array]) -> Array:
        """A dispatched battery's energy cost saved (EUR/yr): what it delivers replaces import at the retail price,
        what it charges from PV surplus is no longer exported (at the export value, 0 when none is given)."""
        fc = self.factors.price.get("electricity")
        if fc is None:
            return 0.0
        econ = self.economics
        export: Array = values[econ.export.uid] if econ and econ.export else 0.0
        return h["delivered"] * values[fc.input.uid] * fc.mult - h["charged"] * export

    def hourly_report(self) -> dict[str, Any] | None:
        """The central estimate's hourly picture (:meth:`HourlyModel.report`) with KPI ranges over the draws."""
        model, _ = self.hourly_model()
        if model is None:
            return None
        central = self.central_values()
        runs = self._runs(central)
        pv, hp, ev, rte, cap = self._hourly_scalars(runs, central, self.calibration)
        prices: dict[str, float] = {}
        fc = self.factors.price.get("electricity")
        if fc is not None:
            prices["electricity"] = float(central[fc.input.uid]) * fc.mult
        econ = self.economics
        prices["export"] = float(central[econ.export.uid]) if econ and econ.export else 0.0
        pef = self.factors.pef.get("electricity")
        co2 = self.factors.co2.get("electricity")
        return model.report(float(np.asarray(pv)), float(np.asarray(hp)), float(np.asarray(ev)),
                            float(np.asarray(rte)), cap, prices,
                            float(central[pef.input.uid]) * pef.mult if pef else 0.0,
                            float(central[co2.input.uid]) * co2.mult if co2 else 0.0)

    def _savings(self, model: str, flows: Mapping[str, Array], p: Mapping[str, Array],
                 values: Mapping[str, Array]) -> Array:
        """Energy cost saved by one measure (EUR/yr). PV: the self-consumed share of its output at the retail
        price, the exported rest at the export value (0 when the carrier-factors record gives none)."""
        total: Array = 0.0
        share = p.get(economics.SELF_CONSUMPTION_KEY)
        for c, fc in self.factors.price.items():
            if c not in flows:
                continue
            unit_value: Array = values[fc.input.uid] * fc.mult
            if c == "electricity" and model == "pv" and share is not None:
                econ = self.economics
                export: Array = values[econ.export.uid] if econ and econ.export else 0.0
                unit_value = share * unit_value + (1 - share) * export
            total = total - flows[c] * unit_value
        return total

    def cash_flow_table(self) -> dict[str, Any] | None:
        """The central estimate's portfolio cash flow year by year (None without a discount rate)."""
        econ = self.economics
        if econ is None or econ.discount is None or "npv" not in self.available():
            return None
        flows: list[MeasureFlows] = []
        self.evaluate(self.central_values(), 1, flows_out=flows)
        return economics.cash_flow_table(flows, econ.discount.mid)

    def simulate(self, n: int = DEFAULT_SAMPLES, seed: int | None = DEFAULT_SEED) -> dict[str, NDArray[np.float64]]:
        return self.evaluate(self.values(n, seed), n)

    def hourly_ranges(self, n: int, seed: int | None) -> dict[str, NDArray[np.float64]]:
        """Self-consumption, self-sufficiency and battery cycles of every draw (the same draws as ``simulate``)."""
        model, _ = self.hourly_model()
        if model is None:
            return {}
        values = self.values(n, seed)
        pv, hp, ev, rte, cap = self._hourly_scalars(self._runs(values), values, self.calibration)
        res = model.adjust(pv, hp, ev, rte, cap, n)
        keys = ["self_consumption", "self_sufficiency"] + (["cycles"] if cap > 0 else [])
        return {("battery_cycles" if key == "cycles" else key): res[key] for key in keys}

    def central(self, calibrate: bool = True) -> dict[str, float]:
        return {k: float(v[0]) for k, v in self.evaluate(self.central_values(), 1, calibrate).items()}


def _resolve_params(mt: MeasureType, overrides: Mapping[str, float | Input]) -> dict[str, Input]:
    params: dict[str, Input] = {}
    for key in (*MODEL_KEYS[mt.model], *OPTIONAL_KEYS.get(mt.model, ())):
        ov = overrides.get(key)
        if isinstance(ov, Input):
            params[key] = ov
        elif ov is not None:
            base = mt.params.get(key)
            value = check(ov, param_bound(key), f"parameter '{key}' of {mt.id}", PortfolioInvalid)
            params[key] = Input.fixed(base.name if base else key.replace("_", " "), key, value,
                                      base.unit if base else "",
                                      "estimate", "entered by the user", measure=mt.id)
        elif key in mt.params:
            params[key] = mt.params[key]
        elif key in MODEL_KEYS[mt.model]:
            raise ParameterMissing(mt.id, key)
    return params


def prepare(items: Sequence[PortfolioItem], city: CityProfile, general: dict[str, Input],
            tariff: str = "household", basis: FactorBasis = DEFAULT_BASIS,
            discount_rate: float | None = None, district: District | None = None) -> Plan:
    """Resolve every input of a portfolio in a city, every CO2 and PEF factor on ``basis``; a missing driver
    raises ``DriverMissing``. ``discount_rate`` (real, a fraction) replaces the carrier-factors record's range."""
    if not items:
        raise PortfolioInvalid("a portfolio needs at least one measure")
    measures: list[_Measure] = []
    drivers: dict[str, float] = {}
    driver_rows: dict[str, Input] = {}
    carriers: list[str] = []
    for it in items:
        mt = it.measure_type
        if it.scale < 0 or not math.isfinite(it.scale):
            raise PortfolioInvalid(f"the scale of '{mt.id}' must be a non-negative number, got {it.scale}")
        scale = Input.fixed(f"scale of {mt.id}", "scale", float(it.scale), mt.scale_unit, it.scale_evidence,
                            it.scale_source, role="scale", measure=mt.id)
        measures.append(_Measure(mt, scale, _resolve_params(mt, it.overrides)))
        for key, purpose in MODEL_DRIVERS.get(mt.model, ()):
            d = city.require(key, f"{purpose} ({mt.id})")
            assert d.value is not None  # require() raises for a driver without a value
            drivers[key] = float(d.value)
            driver_rows.setdefault(key, driver_input(d, f"{d.item or key}, {city.name}"))
        if mt.displaces not in CARRIERS:
            raise PortfolioInvalid(f"measure type '{mt.id}' displaces '{mt.displaces}', not a carrier the model "
                                   f"knows ({', '.join(CARRIERS)})")
        touched = {"electricity"} if mt.model in ELECTRIC_MODELS else set()
        if mt.model not in ("pv", "battery"):
            touched.add(mt.displaces)
        carriers += [c for c in CARRIERS if c in touched and c not in carriers]
    cf = carrier_factors(city, general, set(carriers), tariff, basis)
    if discount_rate is not None:
        discount_rate = check(discount_rate, DISCOUNT_RATE, "discount rate", PortfolioInvalid)
    econ = economics.prepare_economics(general, price_year(city, tariff, carriers),
                                       [(m.type.id, m.params) for m in measures], discount_rate)
    return Plan(city, measures, drivers, list(driver_rows.values()), cf, carriers, economics=econ, district=district)


def price_year(city: CityProfile, tariff: str, carriers: Sequence[str]) -> int | None:
    """The year of the city's energy prices the estimate uses (electricity first, then gas); None if unstated."""
    for key in (f"electricity_price_{tariff}", f"gas_price_{tariff}"):
        d = city.drivers.get(key)
        if d is not None and d.value is not None and d.year[:4].isdigit() \
                and (key.startswith("electricity") or "natural_gas" in carriers):
            return int(d.year[:4])
    return None


# --- estimates ---------------------------------------------------------------------------------------------

def finite_or_none(x: float) -> float | None:
    """A figure for JSON: infinite or NaN (e.g. a payback that never comes) becomes None."""
    return float(x) if math.isfinite(x) else None


@dataclass
class Metric:
    """Percentiles and the central value (every input at its mid) of one output."""

    name: str
    unit: str
    label: str
    p10: float
    p50: float
    p90: float
    central: float

    def to_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "label": self.label, "p10": finite_or_none(self.p10),
                "p50": finite_or_none(self.p50), "p90": finite_or_none(self.p90),
                "central": finite_or_none(self.central)}


def percentiles(samples: NDArray[np.float64]) -> tuple[float, float, float]:
    """P10, P50, P90 (order statistics when some samples are infinite, e.g. never paying back)."""
    method: Literal["linear", "inverted_cdf"] = "linear" if np.isfinite(samples).all() else "inverted_cdf"
    p = np.percentile(samples, [10, 50, 90], method=method)
    return float(p[0]), float(p[1]), float(p[2])


@dataclass
class Estimate:
    """The result of an estimate: metrics with ranges, the assumption table, sensitivity, source-site figures."""

    city: CityProfile
    measures: list[dict[str, Any]]
    metrics: dict[str, Metric]
    assumptions: list[dict[str, Any]]
    sensitivity: list[dict[str, Any]]
    most_influential: dict[str, str]
    unavailable: list[dict[str, str]]
    samples: dict[str, NDArray[np.float64]]
    n_samples: int
    seed: int | None
    solution: dict[str, Any] | None = None
    source_site: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    factor_basis: dict[str, Any] = field(default_factory=dict)  # FactorBasis + its fallbacks (CarrierFactors.summary)
    economics: dict[str, Any] | None = None
    hourly: dict[str, Any] | None = None  # the reference district hour by hour (Plan.hourly_report), or None
    hourly_unavailable: str = ""  # why there is no hourly dispatch (empty when there is one or none applies)

    @property
    def scale(self) -> dict[str, Any]:
        m = self.measures[0]
        return {"value": m["scale"], "unit": m["unit"], "measure_type": m["measure_type"]}

    def to_dict(self) -> dict[str, Any]:
        return {
            "solution": self.solution, "city": {"id": self.city.id, "name": self.city.name,
                                                "user_defined": self.city.user_defined},
            "scale": self.scale, "measures": self.measures,
            "metrics": {k: m.to_dict() for k, m in self.metrics.items()},
            "source_site": self.source_site, "assumptions": self.assumptions, "sensitivity": self.sensitivity,
            "most_influential": self.most_influential, "unavailable": self.unavailable,
            "warnings": self.warnings, "samples": self.n_samples, "seed": self.seed,
            "factor_basis": self.factor_basis,
            "economics": self.economics,
            "hourly": self.hourly,
            **({"hourly_unavailable": self.hourly_unavailable} if self.hourly_unavailable else {}),
        }


def sensitivity(plan: Plan, metrics: Sequence[str] = SENSITIVITY_METRICS, seed: int | None = DEFAULT_SEED
                ) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Sobol first-order and total indices with the low/high swing of every uncertain input, ranked, and the
    dominant input by metric where one dominates (:mod:`kb.replication.sensitivity`)."""
    return global_sensitivity(plan, metrics, {k: u for k, (u, _) in METRICS.items()}, seed)


def estimate(plan: Plan, samples: int = DEFAULT_SAMPLES, seed: int | None = DEFAULT_SEED) -> Estimate:
    """Percentiles of every metric, the assumption table and the sensitivity for a prepared plan."""
    if not 1 <= samples <= MAX_SAMPLES:
        raise PortfolioInvalid(f"samples: {samples} is outside the allowed range (from 1 to {MAX_SAMPLES:,})")
    sims = plan.simulate(samples, seed)
    central = plan.central()
    metrics = {name: Metric(name, METRICS[name][0], METRICS[name][1], *percentiles(arr), central[name])
               for name, arr in sims.items()}
    sens, top = sensitivity(plan, seed=seed)
    seen: set[str] = set()
    assumptions: list[dict[str, Any]] = []
    for row in (i.to_row() for i in plan.inputs):  # the first row of each (measure, role, key)
        ident = row["measure"] + row["role"] + row["key"]
        if ident not in seen:
            seen.add(ident)
            assumptions.append(row)
    for metric, k in plan.calibration.items():
        assumptions.append({"name": f"site calibration of {metric}",
                            "name_message": Msg(N_("site calibration of {metric}"),
                                                {"metric": Msg(metric.replace("_", " "))}).to_dict(),
                            "value": k, "low": k, "high": k, "unit": "-",
                            "evidence": "estimate", "source": N_("source-site figure ÷ model at the source site"),
                            "role": "calibration", "measure": "", "key": metric,
                            "note": N_("multiplies the model so that the source city at the source scale gives "
                                       "back the source figure")})
    unavailable = [{"metric": m, "reason": r} for m, r in plan.factors.unavailable.items()]
    econ = plan.economics
    if econ is not None:
        applies = plan.economic_metrics()
        unavailable += [{"metric": m, "reason": r} for m, r in econ.unavailable.items()
                        if m not in plan.factors.unavailable and m in applies]
    measures = [{"measure_type": m.type.id, "title": m.type.title, "model": m.type.model, "scale": m.scale.mid,
                 "unit": m.type.scale_unit, "displaces": m.type.displaces} for m in plan.measures]
    est = Estimate(plan.city, measures, metrics, assumptions, sens, top, unavailable, sims, samples, seed,
                   factor_basis=plan.factors.summary())
    if econ is not None:
        est.economics = {**econ.to_dict(), "cash_flow_central": plan.cash_flow_table()}
    _add_hourly(plan, est)
    return est


REPLACED_BY_DISPATCH: dict[str, str] = {
    "self_consumption_share": N_("not used: the self-consumed share comes out of the hourly dispatch in the "
                                 "reference district"),
    "cycles_per_year": N_("not used: the battery's cycles come out of the hourly dispatch in the reference district"),
}


def _add_hourly(plan: Plan, est: Estimate) -> None:
    """The hourly picture, its KPI ranges over the draws, and the assumption rows it replaces or adds."""
    model, reason = plan.hourly_model()
    est.hourly_unavailable = reason
    if model is None:
        if reason:
            est.warnings.append(reason)
        return
    report = plan.hourly_report()
    assert report is not None
    grid = model.grid
    runs = grid.runs if grid is not None else 1
    report["note"] = HOURLY_NOTE.format(runs=runs)
    report["note_message"] = Msg(HOURLY_NOTE, {"runs": runs}).to_dict()
    ranges = plan.hourly_ranges(est.n_samples, est.seed)
    report["kpi_ranges"] = {k: dict(zip(("p10", "p50", "p90"), percentiles(v), strict=True))
                            for k, v in ranges.items()}
    est.hourly = report
    for row in est.assumptions:
        if row["key"] in REPLACED_BY_DISPATCH and row["role"] == "parameter":
            said = Msg(REPLACED_BY_DISPATCH[row["key"]])
            row["note_message"] = (joined([said, row["note"]], "; ") if row["note"] else said).to_dict()
            row["note"] = REPLACED_BY_DISPATCH[row["key"]] + (f"; {row['note']}" if row["note"] else "")
    d = report["district"]
    est.assumptions.append({"name": "homes in the reference district (hourly dispatch)", "value": d["homes"],
                            "low": d["homes"], "high": d["homes"], "unit": "homes",
                            "evidence": "design" if d["homes_source"] == "entered by the user" else "estimate",
                            "source": d["homes_source"], "role": "district", "measure": "", "key": "homes",
                            "note": "sets the load the PV and the battery serve hour by hour",
                            **({"source_message": d["homes_source_message"]} if "homes_source_message" in d else {})})
    e = model.electricity_per_home
    est.assumptions.append({**e.to_row(), "role": "district"})


def estimate_measure(measure_type: MeasureType, scale: float, city: CityProfile, general: dict[str, Input],
                     overrides: Mapping[str, float | Input] | None = None, samples: int = DEFAULT_SAMPLES,
                     seed: int | None = DEFAULT_SEED, tariff: str = "household",
                     basis: FactorBasis = DEFAULT_BASIS, discount_rate: float | None = None,
                     district: District | None = None) -> Estimate:
    """One measure type at a scale in a city (reference parameters unless overridden)."""
    plan = prepare([PortfolioItem(measure_type, scale, overrides or {})], city, general, tariff, basis,
                   discount_rate, district)
    return estimate(plan, samples, seed)


def estimate_portfolio(items: Sequence[PortfolioItem], city: CityProfile, general: dict[str, Input],
                       samples: int = DEFAULT_SAMPLES, seed: int | None = DEFAULT_SEED,
                       tariff: str = "household", basis: FactorBasis = DEFAULT_BASIS,
                       discount_rate: float | None = None, district: District | None = None) -> Estimate:
    """Several measures summed sample by sample (the same draws of shared factors for every measure)."""
    return estimate(prepare(items, city, general, tariff, basis, discount_rate, district), samples, seed)

