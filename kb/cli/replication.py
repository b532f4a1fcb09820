"""Replication sub-commands: cities, match (transfer fit) and estimate (replicated impact with ranges)."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import Engine

from kb.cli.common import CliError, add_db, print_json, settings
from kb.records.vocab import CARRIERS
from kb.replication.bounds import BUDGET, MAX_SAMPLES, SAMPLES, SEED, Bound, check, param_bound
from kb.replication.cities import CityProfile, city_from_file, compare, find_city, list_cities
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
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_estimate)


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
    from kb.replication.fit import match

    if args.budget is not None:
        check(args.budget, BUDGET, "--budget", CliError)
    if args.limit is not None:
        check(args.limit, Bound(1, 10_000), "--limit", CliError)
    engine = _engine(args)
    city = resolve_city(engine, args.city, args.driver)
    embedder = make_embedder(settings(args).model) if args.needs else None
    ranked = match(engine, city, needs=args.needs, budget=args.budget, embedder=embedder, limit=args.limit)
    if args.json:
        print_json([m.to_dict() for m in ranked])
    else:
        for m in ranked:
            print(f"{m.fit:.2f}  {m.id:<36} {m.title}")
            for f in m.factors:
                print(f"      {f.name:<13} {f.score:.2f}  {f.explanation}")
    return 0


def cmd_estimate(args: argparse.Namespace) -> int:
    from kb.replication.solution import estimate_solution

    check(args.samples, SAMPLES, "--samples", CliError)
    check(args.seed, SEED, "--seed", CliError)
    engine = _engine(args)
    city = resolve_city(engine, args.city, args.driver)
    # scales and parameters are checked against their bounds by the library (EstimateInvalid, one sentence)
    est = estimate_solution(engine, args.solution, city, parse_scale(args.scale), samples=args.samples,
                            seed=args.seed, tariff=args.tariff, params=parse_params(args.param))
    data = est.to_dict()
    gen = generates(est.measures)
    for name, m in data["metrics"].items():  # the signed figures stay; a word says which way the median goes
        if direction_of(name) is not None and m["p50"] is not None:
            m["direction"] = word(name, m["p50"], gen)
    if args.json:
        print_json(data)
        return 0
    print(f"{data['solution']['title']} → {city.name}, scale {data['scale']['value']:g} {data['scale']['unit']}")
    print(f"{'metric':<26} {'P10':>14} {'P50':>14} {'P90':>14}  unit")
    for name, m in data["metrics"].items():
        heading, p10, p50, p90 = name, m["p10"], m["p50"], m["p90"]
        if direction_of(name) is not None and None not in (p10, p50, p90):
            w, p10, p50, p90 = oriented(name, p10, p50, p90, gen)
            d = direction_of(name, gen)
            heading = f"{name} {w}" if name in CARRIERS else name if d is None or w == d.gain else f"{d.noun} {w}"
        print(f"{heading:<26} {_fmt2(p10):>14} {_fmt2(p50):>14} {_fmt2(p90):>14}  {m['unit']}")
    for u in data["unavailable"]:
        print(f"not computed: {u['metric']} ({u['reason']})")
    for metric in dict.fromkeys(str(r["metric"]) for r in est.sensitivity):
        print(f"what moves {metric}: {summary(est.sensitivity, est.most_influential, metric)[0]}")
    print("\nassumptions:")
    for a in data["assumptions"]:
        print(f"  {a['name']}: {a['value']:g} {a['unit']} [{a['evidence']}; {a['source']}]")
    for w in data["warnings"]:
        print(f"warning: {w}")
    return 0


def _fmt2(v: float | None) -> str:
    return "never" if v is None else f"{v:,.1f}"
