"""Replication sub-commands: cities, match (transfer fit) and estimate (replicated impact with ranges)."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import Engine

from kb.cli.common import CliError, add_db, print_json, settings
from kb.records.vocab import CARRIERS
from kb.replication.bounds import (
    BUDGET,
    DISCOUNT_RATE,
    DISTRICT_HOMES,
    MAX_SAMPLES,
    SAMPLES,
    SEED,
    Bound,
    check,
    param_bound,
)
from kb.replication.cities import CityProfile, city_from_file, compare, find_city, list_cities
from kb.replication.factors import CO2_BASES, DEFAULT_BASIS, PEF_BASES, FactorBasis
from kb.replication.macc import MACC_SAMPLES
from kb.replication.sensitivity import summary
from kb.replication.words import direction_of, generates, oriented, word
from kb.store import database


def _engine(args: argparse.Namespace) -> Engine:
    return database.get_engine(settings(args).db_path, create=False)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("cities", help="city profiles: drivers with sources, and what is missing")
    add_db(p)
    p.add_argument("--compare", nargs=2, metavar=("CITY_A", "CITY_B"), help="drivers of two cities side by side")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_cities)

    p = sub.add_parser("match", help="rank lighthouse solutions by transfer fit for a city")
    add_db(p)
    _city_args(p)
    p.add_argument("--needs", help="what the city needs, in words (semantic relevance)")
    p.add_argument("--budget", type=float, help="budget in EUR")
    p.add_argument("--limit", type=int)
    p.add_argument("--lessons", action="store_true",
                   help="with --json: the dropped schemes (lessons, not ranked) instead of the ranking")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_match)

    p = sub.add_parser("estimate", help="what a solution would deliver in a city, with ranges and sources")
    add_db(p)
    p.add_argument("solution")
    p.add_argument("--city", required=True, help="city id, name or alias, or a city record file (.md)")
    p.add_argument("--driver", action="append", default=[], metavar="KEY=VALUE",
                   help="supply or replace a city driver (e.g. pv_yield=1100)")
    p.add_argument("--scale", action="append", default=[], metavar="Q|TYPE=Q",
                   help="scale in the measure type's unit; TYPE=Q for one measure type of several")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="a parameter value of your own (e.g. km_per_shared_car=12000; TYPE.KEY=VALUE for one "
                        "measure type); labelled 'entered by the user' in the assumptions")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--samples", type=int, default=5000, help=f"Monte Carlo samples, 1 to {MAX_SAMPLES:,}")
    p.add_argument("--tariff", choices=["household", "non_household"], default="household")
    p.add_argument("--co2-basis", choices=list(CO2_BASES), default=DEFAULT_BASIS.co2,
                   help="CO2 factors of every carrier: life-cycle (combustion + upstream) or direct (combustion)")
    p.add_argument("--pef-basis", choices=list(PEF_BASES), default=DEFAULT_BASIS.pef,
                   help="primary energy factors of every carrier: non-renewable or total")
    p.add_argument("--discount-rate", type=float, metavar="R",
                   help=f"real discount rate as a fraction (0.04 = 4 %%/yr; {DISCOUNT_RATE.describe()}); default: "
                        "the sourced range of the carrier-factors record")
    p.add_argument("--homes", type=float, metavar="N",
                   help="homes of the reference district in which PV, a battery, heat pumps and EV charging are "
                        "dispatched hour by hour (default: sized so that the homes use what the PV generates)")
    p.add_argument("--annual-only", action="store_true",
                   help="no hourly dispatch: PV self-consumption and battery cycles from the annual parameters")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_estimate)

    p = sub.add_parser("macc", help="marginal abatement cost curve: every modelled solution in a city, cheapest "
                                    "tonne of CO2 first")
    add_db(p)
    _city_args(p)
    p.add_argument("--samples", type=int, default=MACC_SAMPLES,
                   help=f"Monte Carlo samples per solution (default {MACC_SAMPLES}, 1 to {MAX_SAMPLES:,})")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--tariff", choices=["household", "non_household"], default="household")
    p.add_argument("--discount-rate", type=float, metavar="R", help="real discount rate as a fraction (0.04)")
    p.add_argument("--scale", action="append", default=[], metavar="SOLUTION=Q|SOLUTION.TYPE=Q",
                   help="state the scale of a solution whose record gives none (or replace its source scale)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_macc)


def _city_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("city", help="city id, name or alias (krakow, Kraków), or a city record file (.md)")
    p.add_argument("--driver", action="append", default=[], metavar="KEY=VALUE",
                   help="supply or replace a city driver (e.g. pv_yield=1100)")


def resolve_city(engine: Any, name: str, drivers: list[str]) -> CityProfile:
    city = city_from_file(name) if name.endswith(".md") else find_city(engine, name)
    if drivers:
        values: dict[str, float] = {}
        for d in drivers:
            key, sep, val = d.partition("=")
            if not sep:
                raise CliError(f"--driver expects KEY=VALUE, got '{d}'")
            try:
                values[key.strip()] = float(val)
            except ValueError as exc:
                raise CliError(f"--driver {key}: '{val}' is not a number") from exc
        city = city.with_drivers(values, source="given on the command line")  # bounds: CityInvalid
    return city


def parse_params(values: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for v in values:
        key, sep, q = v.partition("=")
        if not sep or not key.strip():
            raise CliError(f"--param expects KEY=VALUE, got '{v}'")
        try:
            value = float(q)
        except ValueError as exc:
            raise CliError(f"--param {key}: '{q}' is not a number") from exc
        name = key.strip().rpartition(".")[2]  # TYPE.KEY → KEY
        out[key.strip()] = check(value, param_bound(name), f"--param {name}", CliError)
    return out


def parse_scale(values: list[str]) -> float | dict[str, float] | None:
    if not values:
        return None
    if not all(isinstance(v, str) and v.strip() for v in values):  # argparse turns `--scale=--` into []
        raise CliError("--scale: give a number (Q) or TYPE=Q")
    try:
        if len(values) == 1 and "=" not in values[0]:
            return float(values[0])
        out = {}
        for v in values:
            key, sep, q = v.partition("=")
            if not sep:
                raise CliError("with several --scale options, write each as TYPE=Q")
            out[key.strip()] = float(q)
        return out
    except ValueError as exc:
        raise CliError(f"--scale: not a number ({exc})") from exc


def cmd_cities(args: argparse.Namespace) -> int:
    engine = _engine(args)
    if args.compare:
        a, b = (find_city(engine, n) for n in args.compare)
        rows = compare(a, b)
        if args.json:
            print_json({"a": a.id, "b": b.id, "drivers": rows})
        else:
            print(f"{'driver':<32} {a.name:>12} {b.name:>12}  unit")
            for r in rows:
                print(f"{r['key']:<32} {_fmt(r['a']):>12} {_fmt(r['b']):>12}  {r['unit']}")
        return 0
    cities = list_cities(engine)
    if args.json:
        print_json([c.to_dict() for c in cities])
    else:
        for c in cities:
            print(f"{c.id:<12} {c.name:<12} {c.country:<3} {c.role:<10} missing: {', '.join(c.missing) or '-'}")
    return 0


def _fmt(v: float | None) -> str:
    return "—" if v is None else f"{v:g}"


def cmd_match(args: argparse.Namespace) -> int:
    from kb.embeddings import make_embedder
    from kb.replication.fit import rank

    if args.budget is not None:
        check(args.budget, BUDGET, "--budget", CliError)
    if args.limit is not None:
        check(args.limit, Bound(1, 10_000), "--limit", CliError)
    engine = _engine(args)
    city = resolve_city(engine, args.city, args.driver)
    embedder = make_embedder(settings(args).model) if args.needs else None
    ranking = rank(engine, city, needs=args.needs, budget=args.budget, embedder=embedder, limit=args.limit)
    if args.json:
        print_json([d.to_dict() for d in ranking.dropped] if args.lessons else [m.to_dict() for m in ranking.matches])
    else:
        for m in ranking.matches:
            print(f"{m.fit:.2f}  {m.id:<36} {m.title}")
            for f in m.factors:
                print(f"      {f.name:<16} {f.score:.2f}  {f.explanation}")
        if ranking.dropped:
            print("\nLessons from dropped schemes (not ranked):")
            for d in ranking.dropped:
                print(f"      {d.id:<36} {d.title}\n      {'':<36} {d.reason}")
    return 0


def _run_options(args: argparse.Namespace) -> tuple[Engine, CityProfile]:
    """The checks and look-ups ``kb estimate`` and ``kb macc`` share: samples, seed, discount rate, the city."""
    check(args.samples, SAMPLES, "--samples", CliError)
    check(args.seed, SEED, "--seed", CliError)
    if args.discount_rate is not None:
        check(args.discount_rate, DISCOUNT_RATE, "--discount-rate", CliError)
    engine = _engine(args)
    return engine, resolve_city(engine, args.city, args.driver)


def cmd_estimate(args: argparse.Namespace) -> int:
    from kb.replication.solution import estimate_solution

    engine, city = _run_options(args)
    # scales and parameters are checked against their bounds by the library (EstimateInvalid, one sentence)
    est = estimate_solution(engine, args.solution, city, parse_scale(args.scale), samples=args.samples,
                            seed=args.seed, tariff=args.tariff, params=parse_params(args.param),
                            basis=FactorBasis(args.co2_basis, args.pef_basis),
                            discount_rate=args.discount_rate, hourly=not args.annual_only,
                            homes=None if args.homes is None else check(args.homes, DISTRICT_HOMES, "--homes",
                                                                        CliError))
    data = est.to_dict()
    gen = generates(est.measures)
    for name, m in data["metrics"].items():  # the signed figures stay; a word says which way the median goes
        if direction_of(name) is not None and m["p50"] is not None:
            m["direction"] = word(name, m["p50"], gen)
    if args.json:
        print_json(data)
        return 0
    print(f"{data['solution']['title']} → {city.name}, scale {data['scale']['value']:g} {data['scale']['unit']}")
    print(f"factor basis: {data['factor_basis'].get('label', '')}")
    print(f"{'metric':<26} {'P10':>14} {'P50':>14} {'P90':>14}  unit")
    for name, m in data["metrics"].items():
        heading, p10, p50, p90 = name, m["p10"], m["p50"], m["p90"]
        if direction_of(name) is not None and None not in (p10, p50, p90):
            w, p10, p50, p90 = oriented(name, p10, p50, p90, gen)
            d = direction_of(name, gen)
            heading = f"{name} {w}" if name in CARRIERS else name if d is None or w == d.gain else f"{d.noun} {w}"
        fmt = _pct if name == "irr" else _fmt2
        unit = "%/yr" if name == "irr" else m["unit"]
        print(f"{heading:<26} {fmt(p10):>14} {fmt(p50):>14} {fmt(p90):>14}  {unit}")
    for u in data["unavailable"]:
        print(f"not computed: {u['metric']} ({u['reason']})")
    for metric in dict.fromkeys(str(r["metric"]) for r in est.sensitivity):
        print(f"what moves {metric}: {summary(est.sensitivity, est.most_influential, metric)[0]}")
    print("\nassumptions:")
    for a in data["assumptions"]:
        print(f"  {a['name']}: {a['value']:g} {a['unit']} [{a['evidence']}; {a['source']}]")
    for line in _hourly_lines(data):
        print(line)
    econ = data.get("economics") or {}
    if econ.get("notes"):
        print("\neconomics (real terms, EUR of " + str(econ.get("price_year") or "the prices' year") + "):")
        for note in econ["notes"]:
            print(f"  {note}")
    for w in data["warnings"] + data["factor_basis"].get("notes", []):
        print(f"warning: {w}")
    return 0


def _hourly_lines(data: dict[str, Any]) -> list[str]:
    """The reference district hour by hour, as text (nothing when no hourly dispatch applies)."""
    h = data.get("hourly")
    if not h:
        return [f"\nhour by hour: {data['hourly_unavailable']}"] if data.get("hourly_unavailable") else []
    d, k, rg = h["district"], h["kpis"], h.get("kpi_ranges") or {}
    sc = rg.get("self_consumption")
    lines = [f"\nhour by hour, in a reference district of {d['homes']:,.0f} homes ({d['homes_source']}):",
             f"  self-consumption {k['self_consumption']:.0%}"
             + (f" (P10 – P90 {sc['p10']:.0%} – {sc['p90']:.0%})" if sc else "")
             + f", self-sufficiency {k['self_sufficiency']:.0%}, peak import {k['peak_import_kw']:,.0f} kW, net "
               f"import in {k['hours_of_net_import']:,.0f} of 8,760 hours"]
    b = h.get("battery_gain")
    if b:
        sc0, sc1 = b["self_consumption"]
        lines.append(f"  the battery: self-consumption {sc0:.0%} → {sc1:.0%}, "
                     f"self-sufficiency {b['self_sufficiency'][0]:.0%} → {b['self_sufficiency'][1]:.0%}, import "
                     f"{b['annual_import_kwh'][0] / 1e3:,.0f} → {b['annual_import_kwh'][1] / 1e3:,.0f} MWh/yr, "
                     f"{b['cycles']:,.0f} cycles/yr, losses {b['losses_kwh'] / 1e3:,.1f} MWh/yr, worth "
                     f"€{b['value_eur']:,.0f}/yr (delivered at {b['retail_price']:g} EUR/kWh, charged from PV "
                     f"that would have been exported at {b['export_value']:g} EUR/kWh)")
    for p in h["ped"]["definitions"]:
        lines.append(f"  {p['name']}: {'met' if p['met'] else 'not met'} ({p['margin']:+,.1f} {p['unit']})")
    lines.append(f"  boundary: {h['ped']['boundary']}")
    return lines


def _pct(v: float | None) -> str:
    return "none" if v is None else f"{v * 100:,.1f}"


def parse_macc_scales(values: list[str]) -> dict[str, float | dict[str, float]]:
    """``SOL=Q`` (first measure type) and ``SOL.TYPE=Q`` options as scales by solution id."""
    out: dict[str, float | dict[str, float]] = {}
    for v in values:
        key, sep, q = v.partition("=")
        sol, dot, mt = key.strip().partition(".")
        if not sep or not sol:
            raise CliError(f"--scale expects SOLUTION=Q or SOLUTION.TYPE=Q, got '{v}'")
        try:
            x = float(q)
        except ValueError as exc:
            raise CliError(f"--scale {key}: '{q}' is not a number") from exc
        if dot:
            prev = out.setdefault(sol, {})
            if not isinstance(prev, dict):
                raise CliError(f"--scale {sol}: give either one number or one per measure type, not both")
            prev[mt] = x
        elif sol in out:
            raise CliError(f"--scale {sol} is given twice")
        else:
            out[sol] = x
    return out


def cmd_macc(args: argparse.Namespace) -> int:
    from kb.replication.macc import macc

    engine, city = _run_options(args)
    curve = macc(engine, city, samples=args.samples, seed=args.seed, discount_rate=args.discount_rate,
                 tariff=args.tariff, scales=parse_macc_scales(args.scale))
    if args.json:
        print_json(curve.to_dict())
        return 0
    print(f"Marginal abatement cost curve, {city.name} (each solution at its source scale; central values)")
    print(f"{'EUR/tCO2':>10} {'tCO2/yr':>10} {'cumulative':>11} {'NPV EUR':>14}  solution")
    for r in curve.rows:
        print(f"{_fmt2(r.net_abatement_cost['central']):>10} {_fmt2(r.co2_avoided['central']):>10} "
              f"{r.start + r.width:>11,.1f} {_fmt2(r.npv['central']):>14}  {r.solution}")
    if curve.refused:
        print("\nnot on the curve:")
        for x in curve.refused:
            print(f"  {x['solution']}: {x['reason']}")
    for note in curve.notes:
        print(f"note: {note}")
    return 0


def _fmt2(v: float | None) -> str:
    return "never" if v is None else f"{v:,.1f}"
