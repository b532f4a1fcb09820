"""``kb plan FILE``: evaluate a district plan (TOML) — primary-energy balance, warnings, shortfall, brief."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from kb.cli.brief import check_output, write_output
from kb.cli.common import CliError, add_db, print_json, settings
from kb.i18n import DEFAULT as DEFAULT_LANGUAGE
from kb.i18n import LANGUAGES
from kb.plans.model import read_plan
from kb.replication.bounds import MAX_SAMPLES, SAMPLES, SEED, check
from kb.store import catalog, database

EXIT_INVALID = 2


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("plan", help="evaluate a district plan (TOML): primary-energy balance with ranges")
    add_db(p)
    p.add_argument("file", help="plan file (.toml), e.g. solutions/plans/krakow-example-district.toml")
    p.add_argument("--json", action="store_true", help="the whole result as JSON")
    p.add_argument("--samples", type=int,
                   help=f"Monte Carlo samples, 1 to {MAX_SAMPLES:,} (default: the plan's, else 2000)")
    p.add_argument("--seed", type=int, help="random seed (default: the plan's, else 42)")
    p.add_argument("--brief", metavar="OUT.(pdf|md|html|docx)", help="also write the plan as a brief")
    p.add_argument("--date", help="date printed on the brief (default: today)")
    p.add_argument("--lang", choices=list(LANGUAGES), default=DEFAULT_LANGUAGE,
                   help="language of the brief's frame (with --brief; the plan's and records' texts stay as written)")
    p.set_defaults(handler=cmd_plan)


def _fmt(v: float | None, digits: str = ",.0f") -> str:
    return "—" if v is None else format(v, digits)


def _rng(m: dict[str, Any]) -> str:
    return f"{_fmt(m['p50'])} ({_fmt(m['p10'])} – {_fmt(m['p90'])}) {m['unit']}"


def cmd_plan(args: argparse.Namespace) -> int:
    from kb.plans.evaluate import evaluate_plan
    from kb.views.plan import offsite_text

    if args.samples is not None:  # the same cap as a plan file's [settings] samples
        check(args.samples, SAMPLES, "--samples", CliError)
    if args.seed is not None:
        check(args.seed, SEED, "--seed", CliError)
    if args.brief:  # checked before the evaluation: a bad path is refused at once, nothing written
        from kb.briefs.formats import FORMATS

        out = Path(args.brief)
        fmt = out.suffix.lstrip(".").lower()
        if fmt not in FORMATS:
            print(f"error: --brief must end in {', '.join('.' + f for f in FORMATS)}", file=sys.stderr)
            return EXIT_INVALID
        check_output(out, "--brief")
    spec = read_plan(args.file)  # a PlanError exits 2 (kb.cli.EXITS)
    engine = database.get_engine(settings(args).db_path, create=False)
    result = evaluate_plan(engine, spec, args.samples, args.seed)
    data = result.to_dict()
    if args.brief:
        from kb.briefs.formats import render
        from kb.briefs.plan import build_plan_brief

        version = str(catalog.stats(engine).get("corpus_version") or "unversioned")
        brief = build_plan_brief(result, args.date or dt.date.today().isoformat(), version, engine,
                                 lang=args.lang)
        write_output(out, render(brief, fmt), "--brief")
    if args.json:
        print_json(data)
        return 0
    print(f"{data['district']} — {data['city_name']}")
    print(f"primary-energy balance (generation − consumption), P50 (P10 – P90): {_rng(data['balance'])}")
    print(f"status: {data['status']} (positive = P50 > 0); above zero in {data['probability_positive']:.0%} of samples")
    print(f"\n{'carrier':<14} {'baseline MWh/yr':>18} {'after MWh/yr':>16} {'MWh_PE/yr':>14}  PEF")
    for c, v in data["by_carrier"].items():
        print(f"{c:<14} {_fmt(v['baseline']['p50']):>18} {_fmt(v['net']['p50']):>16} "
              f"{_fmt(v['primary_energy']['p50']):>14}  {v['pef']:g}")
    print(f"\n{'#':<3}{'measure':<44} {'stage':<17} {'scale':>14}  MWh_PE/yr P50 (P10 – P90)")
    for m in data["measures"]:
        name = (m["label"] or m["title"] or m["measure_type"])[:43]
        scale = f"{m['scale']:g} {m['unit']}"
        effect = _rng(m["primary_energy"]) if m["status"] == "ok" else "LEFT OUT (see warnings)"
        print(f"{m['index']:<3}{name:<44} {m['stage']:<17} {scale:>14}  {effect}")
    mt = data["metrics"]
    print(f"\nCO2 avoided {_rng(mt['co2_avoided'])}; capex {_rng(mt['capex'])}; savings {_rng(mt['savings'])}; "
          f"payback {_fmt(mt['payback']['p50'], ',.1f')} yr")
    h = data.get("hourly")
    if h:
        k = h["kpis"]
        print(f"\nhour by hour ({h['note']}): self-consumption {k['self_consumption']:.0%}, self-sufficiency "
              f"{k['self_sufficiency']:.0%}, peak import {_fmt(k['peak_import_kw'])} kW, net import in "
              f"{k['hours_of_net_import']:,.0f} of 8,760 hours")
        rg = h.get("kpi_ranges") or {}
        if rg:
            sc, ss, pk = rg["self_consumption"], rg["self_sufficiency"], rg["peak_import_kw"]
            print(f"  P10 – P90 over {h['draws']:,} of the {h['draws_of']:,} draws: self-consumption "
                  f"{sc['p10']:.0%} – {sc['p90']:.0%}, self-sufficiency {ss['p10']:.0%} – {ss['p90']:.0%}, peak "
                  f"import {_fmt(pk['p10'])} – {_fmt(pk['p90'])} kW")
        share = h.get("ped_share") or {}
        for d in h["ped"]["definitions"]:
            drawn = f"; met in {share[d['key']]:.0%} of the draws" if d["key"] in share else ""
            print(f"  {d['name']}: {'met' if d['met'] else 'not met'} ({d['margin']:+,.1f} {d['unit']}{drawn}) — "
                  f"{d['explanation']}")
        for o in h.get("offsite") or []:
            print(f"  off-site supply (PEDvirtual only): {offsite_text(o)}")
        if h.get("services_share"):
            print(f"  electricity load: {h['services_share']:.0%} on the services profile (BDEW G25), the rest "
                  "household (H25)")
    else:
        print(f"\nhour by hour: {data.get('hourly_unavailable') or 'not available'}")
    for w in data["warnings"]:
        print(f"warning: {w}")
    for w in data["not_computed"]:
        print(f"not computed: {w}")
    for n in data["notes"]:
        print(f"note: {n}")
    sf = data["shortfall"]
    if sf.get("mwh_pe"):
        print(f"\nshortfall at P50: {_fmt(sf['mwh_pe'])} MWh_PE/yr (to be positive at P10: {_fmt(sf['to_p10'])})")
        for s in sf["suggestions"]:
            alone = "closes it alone" if s["closes_gap_alone"] else f"limited by {s['bound_reason']}"
            used = ", ".join(x["id"] for x in s["solutions"]) or "—"
            print(f"  {s['title']} ({s['displaces']}): {s['scale']:,} {s['unit']} → {_fmt(s['closes_mwh_pe'])} "
                  f"MWh_PE/yr, capex {_fmt(s['capex'])} EUR; {alone}; used in: {used}")
        if sf.get("combination"):
            combo = "; ".join(f"{c['scale']:,} {c['unit']} {c['measure_type']}"
                              + (f" ({c['displaces']})" if c["unit"] != "kWp" else "") for c in sf["combination"])
            w = sf.get("with_combination") or {}
            print(f"  together: {combo}")
            if "balance" in w:
                print(f"  → balance {_rng(w['balance'])}, capex {_rng(w['capex'])}")
    if args.brief:
        print(f"\nbrief written to {args.brief}")
    return 0
