"""Estimating a solution record in a city: its scale rows, site parameter overrides and source-site calibration.

Calibration rules (also in solutions/README.md, section 6):

1. Only a site figure of the same physical quantity as a model output calibrates: a carrier flow (``electricity``,
   ``natural_gas``, ``district_heat``, ``petrol``, in energy units) or the capex of the modelled energy works
   (``capex_total``, in EUR). Per-unit parameters (``capex`` per home, ``scop``, …) are overrides, not calibration.
2. Only a figure whose evidence is ``measured`` or ``installed`` calibrates. A ``target``, ``design``, ``estimate`` or
   ``reference`` figure never does, whatever its key; it is shown beside the model with its evidence.
3. A total that includes non-energy works (structural works, lifts, paving, a whole programme) is not the model's
   capex and never calibrates: it is keyed ``investment_total_incl_non_energy`` (or has no key).
4. A derived metric is never calibrated on its own: CO2, primary energy, NOx and savings figures (``co2``,
   ``primary_energy``, ``nox``, ``savings``) and budgets (``capex_budget``) are shown beside the model as "reported
   at the source" and never scale anything; derived metrics follow the calibrated carrier flows.
5. The factor is the site figure ÷ the uncalibrated central model at the source city and scale (magnitudes, since
   carrier flows are signed in the model), so the source city at the source scale gives the figure back.
6. Every calibrated output says on which figure (``source_site["calibrated_on"]``: factor, item, value, unit,
   evidence, source); every keyed output figure that does not calibrate is listed with the reason
   (``source_site["not_used"]`` and the warnings).

Record validation (``kb.records.validate.calibration_key_error``) refuses a solution row that carries a
calibrating key without measured or installed evidence, so the records cannot ask for a forbidden calibration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Engine

from kb.errors import InvalidInput, NotFound
from kb.i18n import N_, OR, Msg, Param, Said, joined
from kb.records.vocab import (
    CALIBRATING_OUTPUT_KEYS,
    CALIBRATION_EVIDENCE,
    CARRIERS,
    MODEL_KEYS,
    NON_ENERGY_TOTAL_KEY,
    REPORTED_OUTPUT_KEYS,
)
from kb.replication.bounds import check, param_bound, scale_bound
from kb.replication.cities import CityProfile, DriverMissing, find_city
from kb.replication.factors import DEFAULT_BASIS, FactorBasis
from kb.replication.hourly import District
from kb.replication.inputs import (
    OPTIONAL_KEYS,
    OUTPUT_KEYS,
    Input,
    MeasureType,
    NotAMeasureType,
    SiteFigure,
    convert,
    load_factors,
    load_measure_type,
    norm_unit,
    reference_inputs,
    site_figures,
)
from kb.replication.simulation import (
    DEFAULT_SAMPLES,
    DEFAULT_SEED,
    METRICS,
    Estimate,
    PortfolioItem,
    ScaleMissing,
    estimate,
    prepare,
)
from kb.store import catalog
from kb.store.readmodel import StoredRecord


class NoImpactModel(NotFound, LookupError):
    """The solution has no measure type with an impact model."""


class EstimateInvalid(InvalidInput, ValueError):
    """The scales or parameter values given for an estimate do not fit the solution's measure types."""


CALIBRATED_METRICS = frozenset({*CARRIERS, "capex"})
"""The model outputs a site figure may calibrate: carrier flows and capex (rule 1)."""


def _metric(metric: str) -> Msg:
    return Msg(metric.replace("_", " "))


def calibration_refusal(metric: str, fig: SiteFigure) -> str:
    """Why a source-site figure for ``metric`` may not calibrate the estimate ('' when it may)."""
    if fig.key == NON_ENERGY_TOTAL_KEY:
        return Said(Msg(N_("a total that includes non-energy works is not the capex of the modelled energy works")))
    if fig.key in REPORTED_OUTPUT_KEYS or metric not in CALIBRATED_METRICS:
        return Said(Msg(N_("{metric} is reported at the source and shown beside the model; a derived metric or a "
                           "budget never scales the estimate"), {"metric": _metric(metric)}, capital=False))
    if fig.key not in CALIBRATING_OUTPUT_KEYS:
        return f"key '{fig.key}' is not a model output"
    if fig.evidence not in CALIBRATION_EVIDENCE:
        return Said(Msg(N_("its evidence is '{evidence}': only a {allowed} figure calibrates"),
                        {"evidence": Msg(fig.evidence or "none"),
                         "allowed": joined([Msg(e) for e in CALIBRATION_EVIDENCE], ", ", Msg(OR))}))
    return ""


def _not_used(fig: SiteFigure, reason: str) -> dict[str, object]:
    return {"item": fig.item, "key": fig.key, "value": fig.value, "unit": fig.unit, "evidence": fig.evidence,
            "source": fig.source, "reason": reason}


@dataclass
class SolutionInputs:
    """What a solution record says: its measure types, their source scales, overrides and output figures."""

    record: StoredRecord
    types: list[MeasureType]
    source_scales: dict[str, SiteFigure]
    overrides: dict[str, dict[str, Input]]
    outputs: dict[str, tuple[float, SiteFigure]]  # metric -> (value in the metric's unit, figure) that may calibrate
    figures: list[SiteFigure]
    warnings: list[str]
    reported: dict[str, tuple[float, SiteFigure]] = field(default_factory=dict)  # shown, never scale anything
    not_used: list[dict[str, object]] = field(default_factory=list)  # keyed output figures refused, with the reason

    def source_scale(self, measure_id: str) -> float:
        """The scale of a measure type at the source site (only figures with a value become source scales)."""
        value = self.source_scales[measure_id].value
        assert value is not None, "source scales are read from figures with a value"
        return float(value)


def read_solution(engine: Engine, solution_id: str) -> SolutionInputs:
    """Measure types with models, scale rows, parameter overrides and output figures of a solution record."""

    rec = catalog.get_record(engine, solution_id)
    if rec.kind != "solution":
        raise NoImpactModel(f"'{solution_id}' is a {rec.kind} record, not a solution")
    types: dict[str, MeasureType] = {}
    for mid in rec.measure_types:
        try:
            types[mid] = load_measure_type(engine, mid)
        except (NotAMeasureType, catalog.RecordNotFound):
            continue
    return solution_inputs(rec, types)


def solution_inputs(rec: StoredRecord, measure_types: Mapping[str, MeasureType]) -> SolutionInputs:
    """:func:`read_solution` for a solution record already read, with the measure types (with a model) by id."""
    solution_id = rec.id
    if rec.kind != "solution":
        raise NoImpactModel(f"'{solution_id}' is a {rec.kind} record, not a solution")
    types = [measure_types[mid] for mid in rec.measure_types if mid in measure_types]
    if not types:
        raise NoImpactModel(f"solution '{solution_id}' has no measure type with an impact model "
                            f"(measure types: {', '.join(rec.measure_types) or 'none'}); nothing to estimate")
    single = len(types) == 1
    figures = site_figures(rec)
    warnings: list[str] = []
    scales: dict[str, SiteFigure] = {}
    overrides: dict[str, dict[str, Input]] = {mt.id: {} for mt in types}
    outputs: dict[str, tuple[float, SiteFigure]] = {}
    reported: dict[str, tuple[float, SiteFigure]] = {}
    not_used: list[dict[str, object]] = []
    for fig in figures:
        if fig.value is None:
            continue
        targets = [mt for mt in types if fig.measure == mt.id or (not fig.measure and single)]
        for mt in targets:
            if fig.key == "scale":
                if norm_unit(fig.unit) != norm_unit(mt.scale_unit):
                    warnings.append(Said(Msg(N_("scale row '{item}' is in {unit}, not {scale_unit}: ignored"),
                                             {"item": fig.item, "unit": fig.unit, "scale_unit": mt.scale_unit})))
                elif mt.id not in scales:
                    scales[mt.id] = fig
            elif fig.key in (*MODEL_KEYS[mt.model], *OPTIONAL_KEYS.get(mt.model, ())):
                ref = mt.params.get(fig.key)
                if ref is not None and norm_unit(ref.unit) != norm_unit(fig.unit):
                    warnings.append(Said(Msg(N_("site figure '{item}' ({unit}) does not match the unit of {name} "
                                                "({ref_unit}): not used"),
                                             {"item": fig.item, "unit": fig.unit, "name": ref.name,
                                              "ref_unit": ref.unit})))
                    continue
                overrides[mt.id][fig.key] = Input.fixed(
                    f"{ref.name if ref else fig.key} — site figure: {fig.item}", fig.key, float(fig.value),
                    fig.unit, fig.evidence, fig.source, measure=mt.id, note=f"site figure of {rec.id}",
                    note_said=Msg(N_("site figure of {record}"), {"record": rec.id}))
        if fig.key == NON_ENERGY_TOTAL_KEY:
            not_used.append(_not_used(fig, calibration_refusal("capex", fig)))
        elif fig.key in OUTPUT_KEYS:
            if fig.measure and not single:
                not_used.append(_not_used(fig, Said(Msg(N_("a figure of one measure type ({measure}) cannot be "
                                                            "compared with the model of the whole solution"),
                                                         {"measure": fig.measure}))))
                continue
            metric = OUTPUT_KEYS[fig.key]
            value = convert(float(fig.value), fig.unit, METRICS[metric][0])
            reason = calibration_refusal(metric, fig)
            if value is None:
                values: dict[str, Param] = {"item": fig.item, "unit": fig.unit, "target": METRICS[metric][0]}
                warnings.append(Said(Msg(N_("site figure '{item}' in {unit} cannot be converted to {target}: shown, "
                                            "not used"), values)))
                not_used.append(_not_used(fig, Said(Msg(N_("its unit {unit} cannot be converted to {target}"),
                                                        values))))
            elif metric in outputs or metric in reported:
                first = (outputs.get(metric) or reported[metric])[1]
                two: dict[str, Param] = {"metric": _metric(metric), "item": first.item}
                warnings.append(Said(Msg(N_("two site figures for {metric}: the first ('{item}') is used"), two)))
                not_used.append(_not_used(fig, Said(Msg(N_("a second figure for {metric}; the first ('{item}') is "
                                                           "used"), two))))
            elif reason:
                reported[metric] = (value, fig)
                not_used.append(_not_used(fig, reason))
            else:
                outputs[metric] = (value, fig)
    return SolutionInputs(rec, types, scales, overrides, outputs, figures, warnings, reported, not_used)


def solution_items(si: SolutionInputs, scale: float | Mapping[str, float] | None,
                   params: Mapping[str, float] | None = None) -> list[PortfolioItem]:
    """Portfolio items for the solution at the given scale (a number for the first measure type, the others
    in proportion; or a scale per measure type), else at the source scales. ``params`` are parameter values
    entered by the user (``key`` for every measure type, ``TYPE.key`` for one); they win over the record."""

    given = user_params(si, params or {})

    sol = si.record.id
    primary = si.types[0]
    chosen: dict[str, float] = {}
    units = {mt.id: mt.scale_unit for mt in si.types}
    if isinstance(scale, Mapping):
        unknown = set(scale) - set(units)
        if unknown:
            raise EstimateInvalid(f"solution '{sol}' has no measure type {', '.join(sorted(unknown))} "
                             f"(it has {', '.join(mt.id for mt in si.types)})")
        chosen = {k: check(v, scale_bound(units[k]), f"scale of {k}", EstimateInvalid) for k, v in scale.items()}
    elif scale is not None:
        chosen[primary.id] = check(scale, scale_bound(primary.scale_unit), f"scale of {primary.id}", EstimateInvalid)
    items = []
    for mt in si.types:
        src = si.source_scales.get(mt.id)
        if mt.id in chosen:
            value, evidence, source = chosen[mt.id], "design", "chosen by the user"
        elif scale is not None and not isinstance(scale, Mapping) and src is not None \
                and primary.id in si.source_scales and si.source_scales[primary.id].value:
            ratio = float(scale) / si.source_scale(primary.id)
            value, evidence, source = si.source_scale(mt.id) * ratio, "estimate", \
                f"{src.source}, scaled with {primary.id} ({ratio:.3g} × the source scale)"
        elif src is not None:
            value, evidence, source = si.source_scale(mt.id), src.evidence, src.source
        else:
            hint = f"--scale Q ({mt.scale_unit})" if mt is primary and len(si.types) == 1 \
                else f"--scale {mt.id}=Q ({mt.scale_unit})"
            raise ScaleMissing(f"solution '{sol}' has no scale figure for measure type '{mt.id}' (its record has no "
                               f"value in a row with key 'scale'); give the scale: {hint}")
        items.append(PortfolioItem(mt, value, {**si.overrides.get(mt.id, {}), **given.get(mt.id, {})},
                                   evidence, source))
    return items


def user_params(si: SolutionInputs, params: Mapping[str, float]) -> dict[str, dict[str, float]]:
    """Parameter values typed by a user, checked and split by measure type; ``kb.replication.simulation`` labels
    plain-number overrides ``estimate`` / ``entered by the user``."""
    out: dict[str, dict[str, float]] = {mt.id: {} for mt in si.types}
    for raw_key, value in params.items():
        mt_id, _, key = raw_key.rpartition(".")
        targets = [mt for mt in si.types if (not mt_id or mt.id == mt_id)
                   and key in (*MODEL_KEYS[mt.model], *OPTIONAL_KEYS.get(mt.model, ()))]
        if mt_id and mt_id not in {mt.id for mt in si.types}:
            raise EstimateInvalid(f"parameter '{raw_key}': the solution has no measure type '{mt_id}'")
        if not targets:
            raise EstimateInvalid(f"parameter '{raw_key}': no measure type of this solution uses '{key}'")
        v = check(value, param_bound(key), f"parameter '{raw_key}'", EstimateInvalid)
        for mt in targets:
            out[mt.id][key] = v
    return out


def missing_params(si: SolutionInputs) -> list[tuple[str, str]]:
    """(measure type id, parameter key) pairs the model needs and neither the type nor the solution gives."""
    return [(mt.id, k) for mt in si.types for k in MODEL_KEYS[mt.model]
            if k not in mt.params and k not in si.overrides.get(mt.id, {})]


def calibrate(si: SolutionInputs, source_city: CityProfile, general: dict[str, Input], tariff: str,
              basis: FactorBasis = DEFAULT_BASIS) -> tuple[dict[str, float], dict[str, float], list[str]]:
    """Calibration factors (site figure ÷ central model at the source) and the uncalibrated model there.

    Only figures that pass :func:`calibration_refusal` count (the rules in the module docstring); any other
    figure handed in is refused with a warning, so a target, a design total or a CO2 figure never scales anything.
    """

    usable = {m: (v, f) for m, (v, f) in si.outputs.items() if not calibration_refusal(m, f)}
    warnings: list[str] = [Said(Msg(N_("site figure '{item}' not used for calibration: {reason}"),
                                    {"item": f.item, "reason": calibration_refusal(m, f)}))
                           for m, (_v, f) in si.outputs.items() if m not in usable]
    if not usable:
        return {}, {}, warnings
    unsized = [mt.id for mt in si.types if mt.id not in si.source_scales]
    if unsized:
        return {}, {}, warnings + [f"source-site figures ({', '.join(usable)}) shown but not used for calibration: "
                                   f"the record gives no source scale for {', '.join(unsized)}"]
    try:
        plan = prepare(solution_items(si, None), source_city, general, tariff, basis)
    except (DriverMissing, ValueError, LookupError) as exc:
        return {}, {}, warnings + [f"not calibrated on the source-site figures: {exc}"]
    model = plan.central(calibrate=False)
    k: dict[str, float] = {}
    for metric, (value, _fig) in usable.items():
        if metric not in model:
            warnings.append(Said(Msg(N_("the site figure for {metric} has no model counterpart here: shown, not used"),
                                     {"metric": _metric(metric)})))
        elif model[metric] == 0:
            warnings.append(Said(Msg(N_("the model gives 0 for {metric} at the source: site figure not used"),
                                     {"metric": _metric(metric)})))
        else:  # carrier flows are signed in the model (saved or generated < 0); figures are magnitudes
            k[metric] = abs(value) / abs(model[metric])
    return k, model, warnings


def calibrated_on(si: SolutionInputs, k: Mapping[str, float]) -> dict[str, dict[str, object]]:
    """For every calibrated output: its factor and the site figure it rests on (item, value, evidence, source)."""
    out: dict[str, dict[str, object]] = {}
    for metric, factor in k.items():
        _v, f = si.outputs[metric]
        out[metric] = {"factor": factor, "figure": {"item": f.item, "key": f.key, "value": f.value, "unit": f.unit,
                                                   "evidence": f.evidence, "source": f.source, "year": f.year}}
    return out


def estimate_solution(engine: Engine, solution_id: str, city: CityProfile | str,
                      scale: float | Mapping[str, float] | None = None, samples: int | None = None,
                      seed: int | None = None, tariff: str = "household",
                      general: dict[str, Input] | None = None, params: Mapping[str, float] | None = None,
                      basis: FactorBasis = DEFAULT_BASIS, discount_rate: float | None = None,
                      homes: float | None = None, hourly: bool = True) -> Estimate:
    """A solution replicated in a city: site overrides used, central estimate calibrated on source figures.

    With ``hourly`` (the default) PV, batteries, heat pumps and EV charging are dispatched hour by hour in a
    reference district of ``homes`` (None: sized from the estimate, :func:`kb.replication.hourly.hourly_model`)."""

    si = read_solution(engine, solution_id)
    general = load_factors(engine) if general is None else general
    target = find_city(engine, city) if isinstance(city, str) else city
    items = solution_items(si, scale, params)
    try:
        source_city: CityProfile | None = find_city(engine, si.record.city)
    except LookupError:
        source_city = None
    k, model_at_source, cal_warnings = (calibrate(si, source_city, general, tariff, basis) if source_city
                                        else ({}, {}, []))
    per_home = reference_inputs(engine).get("electricity_use") if hourly else None
    district = District(per_home, homes) if per_home is not None else None
    plan = prepare(items, target, general, tariff, basis, discount_rate, district)
    plan.calibration = k
    on_figures = calibrated_on(si, k)
    est = estimate(plan, samples or DEFAULT_SAMPLES, DEFAULT_SEED if seed is None else seed)
    rec = si.record
    est.solution = {"id": rec.id, "title": rec.title, "city": rec.city, "scope": rec.scope, "status": rec.status}
    est.source_site = {
        "city": rec.city, "city_name": source_city.name if source_city else rec.city,
        "site": rec.front.get("site") or rec.front.get("district") or "",
        "scale": [{"measure_type": mt.id, "value": si.source_scales[mt.id].value if mt.id in si.source_scales
                   else None, "unit": mt.scale_unit,
                   "evidence": si.source_scales[mt.id].evidence if mt.id in si.source_scales else None}
                  for mt in si.types],
        "figures": {**{m: _figure(m, v, f, "reported at the source, not used to scale the model")
                       for m, (v, f) in si.reported.items()},
                    **{m: _figure(m, v, f, "calibrates the model" if m in k else "not used (see warnings)")
                       for m, (v, f) in si.outputs.items()}},
        "keyed_rows": [f.to_dict() for f in si.figures],
        "model_at_source": model_at_source, "calibration": k, "calibrated_on": on_figures, "not_used": si.not_used,
    }
    for row in est.assumptions:  # the calibration rows of the assumption table name their figure
        on = on_figures.get(row["key"]) if row["role"] == "calibration" else None
        if on is not None:
            fig = on["figure"]
            assert isinstance(fig, dict)
            row["source"] = (f"site figure '{fig['item']}' {fig['value']:g} {fig['unit']} ({fig['evidence']}; "
                             f"{fig['source']}) ÷ model at the source site")
    est.warnings = si.warnings + cal_warnings + [
        Said(Msg(N_("site figure '{item}' not used to scale the model: {reason}"),
                 {"item": str(n["item"]), "reason": str(n["reason"]) if not isinstance(n["reason"], Said)
                  else n["reason"]}))
        for n in si.not_used] + est.warnings
    return est


def _figure(metric: str, value: float, f: SiteFigure, use: str) -> dict[str, object]:
    return {"value": value, "unit": METRICS[metric][0], "item": f.item, "evidence": f.evidence, "source": f.source,
            "year": f.year, "key": f.key, "use": use}
