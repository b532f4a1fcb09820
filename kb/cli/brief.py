"""The ``kb brief`` command: a replication brief for solutions in a city, as Markdown, HTML, PDF or DOCX."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
from pathlib import Path

from kb.briefs.build import BriefRequest, build_brief
from kb.briefs.formats import FORMATS, render
from kb.cli.common import CliError, add_db, settings
from kb.i18n import DEFAULT as DEFAULT_LANGUAGE
from kb.i18n import LANGUAGES
from kb.records.vocab import DRIVER_KEYS
from kb.replication.bounds import DISCOUNT_RATE, DISTRICT_HOMES, SCALE, SEED, check, driver_bound, param_bound
from kb.replication.factors import CO2_BASES, DEFAULT_BASIS, PEF_BASES
from kb.store import database


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("brief", help="a replication brief for one or more solutions in a city")
    add_db(p)
    p.add_argument("solutions", nargs="+", metavar="SOLUTION", help="solution ids")
    p.add_argument("--city", required=True, help="city id or name (krakow, Kraków)")
    p.add_argument("--scale", action="append", default=[], metavar="ID=Q",
                   help="scale in the measure type's unit (repeatable): SOLUTION=Q, SOLUTION.TYPE=Q, or with one "
                        "solution TYPE=Q or just Q")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="a parameter value of your own, passed to the estimate (e.g. km_per_shared_car=12000; "
                        "TYPE.KEY=VALUE for one measure type; SOLUTION:KEY=VALUE with several solutions); labelled "
                        "'entered by the user' in the brief's assumptions")
    p.add_argument("--driver", action="append", default=[], metavar="KEY=VALUE",
                   help="supply or replace a city driver for the estimates (e.g. pv_yield=1100); labelled 'entered "
                        "by the user' in the assumptions (the transfer fit uses the city record as filed)")
    p.add_argument("--co2-basis", choices=list(CO2_BASES), default=DEFAULT_BASIS.co2,
                   help="CO2 factors of every carrier: life-cycle (combustion + upstream) or direct (combustion)")
    p.add_argument("--pef-basis", choices=list(PEF_BASES), default=DEFAULT_BASIS.pef,
                   help="primary energy factors of every carrier: non-renewable or total")
    p.add_argument("--discount-rate", type=float, metavar="R",
                   help="real discount rate as a fraction (0.04 = 4 %%/yr); default: the sourced range")
    p.add_argument("--homes", type=float, metavar="N",
                   help="homes of the reference district the hourly dispatch runs in (at least 1); default: sized "
                        "from the estimate")
    p.add_argument("--format", choices=list(FORMATS), default=None, help="default: from --output's extension, else md")
    p.add_argument("--output", "-o", help="file to write (default: standard output for md and html)")
    p.add_argument("--date", help="date printed on the brief, YYYY-MM-DD (default: today)")
    p.add_argument("--seed", type=int, default=42, help="Monte Carlo seed (default 42)")
    p.add_argument("--lang", choices=list(LANGUAGES), default=DEFAULT_LANGUAGE,
                   help="language of the brief's headings, labels and sentences (the records stay in English; "
                        "default en)")
    p.set_defaults(handler=cmd_brief)


def parse_scales(items: list[str], solutions: list[str]) -> dict[str, float | dict[str, float]]:
    """``SOLUTION=Q``, ``SOLUTION.TYPE=Q``, ``TYPE=Q`` or a bare ``Q`` (the last two with one solution)."""
    out: dict[str, float | dict[str, float]] = {}
    for item in items:
        key, sep, value = item.rpartition("=")
        try:
            q = float(value)
        except ValueError:
            raise CliError(f"--scale {item}: '{value}' is not a number") from None
        q = check(q, SCALE, f"--scale {item}", CliError)  # more than 0, at most MAX_SCALE (in the type's unit)
        sol, mt = key, ""
        if not sep:
            if len(solutions) != 1:
                raise CliError(f"--scale {item}: write SOLUTION=Q when there are several solutions")
            sol = solutions[0]
        elif key not in solutions:
            head, dot, tail = key.partition(".")
            if dot and head in solutions:
                sol, mt = head, tail
            elif len(solutions) == 1:
                sol, mt = solutions[0], key  # a measure type of the only solution
            else:
                raise CliError(f"--scale {item}: '{key}' is not one of the solutions given "
                               "(write SOLUTION=Q or SOLUTION.TYPE=Q)")
        if mt:
            per_type = out.setdefault(sol, {})
            if not isinstance(per_type, dict):
                raise CliError(f"--scale {item}: {sol} already has one scale for all its measures")
            per_type[mt] = q
        elif isinstance(out.get(sol), dict):
            raise CliError(f"--scale {item}: {sol} already has scales per measure type")
        else:
            out[sol] = q
    return out


def _number(option: str, item: str) -> tuple[str, float]:
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise CliError(f"{option} expects KEY=VALUE, got '{item}'")
    try:
        return key.strip(), float(value)
    except ValueError:
        raise CliError(f"{option} {key.strip()}: '{value}' is not a number") from None


def parse_params(items: list[str], solutions: list[str]) -> dict[str, dict[str, float]]:
    """``KEY=V`` or ``TYPE.KEY=V`` (one solution), ``SOLUTION:KEY=V`` / ``SOLUTION:TYPE.KEY=V`` (any), by solution;
    each value within its bound (:func:`kb.replication.bounds.param_bound`)."""
    out: dict[str, dict[str, float]] = {}
    for item in items:
        key, v = _number("--param", item)
        sol, colon, rest = key.partition(":")
        if not colon:
            if len(solutions) != 1:
                raise CliError(f"--param {item}: write SOLUTION:KEY=VALUE when there are several solutions")
            sol, rest = solutions[0], key
        elif sol not in solutions:
            raise CliError(f"--param {item}: '{sol}' is not one of the solutions given")
        name = rest.rpartition(".")[2]
        out.setdefault(sol, {})[rest] = check(v, param_bound(name), f"--param {rest}", CliError)
    return out


def parse_drivers(items: list[str]) -> dict[str, float]:
    """``KEY=VALUE`` city drivers, each a known driver within its bound."""
    out: dict[str, float] = {}
    for item in items:
        key, v = _number("--driver", item)
        if key not in DRIVER_KEYS:
            raise CliError(f"--driver {key}: unknown driver (known: {', '.join(DRIVER_KEYS)})")
        out[key] = check(v, driver_bound(key), f"--driver {key}", CliError)
    return out


def cmd_brief(args: argparse.Namespace) -> int:
    fmt = args.format or (Path(args.output).suffix.lstrip(".").lower() if args.output else "md")
    if fmt not in FORMATS:
        raise CliError(f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})")
    if not args.output and fmt in ("pdf", "docx"):
        raise CliError(f"--output FILE is required for {fmt}")
    date = args.date or dt.date.today().isoformat()
    try:
        dt.date.fromisoformat(date)
    except ValueError:
        raise CliError(f"--date {date}: use YYYY-MM-DD") from None
    check(args.seed, SEED, "--seed", CliError)
    if args.output:
        check_output(Path(args.output), "--output")
    engine = database.get_engine(settings(args).db_path, create=False)
    req = BriefRequest(solutions=args.solutions, city=args.city, scales=parse_scales(args.scale, args.solutions),
                       params=parse_params(args.param, args.solutions), drivers=parse_drivers(args.driver),
                       date=date, seed=args.seed, co2_basis=args.co2_basis, pef_basis=args.pef_basis, lang=args.lang,
                       discount_rate=None if args.discount_rate is None
                       else check(args.discount_rate, DISCOUNT_RATE, "--discount-rate", CliError),
                       homes=None if args.homes is None else check(args.homes, DISTRICT_HOMES, "--homes", CliError))
    data = render(build_brief(engine, req), fmt)
    if args.output:
        write_output(Path(args.output), data, "--output")
        print(f"wrote {args.output} ({fmt}, {len(data):,} bytes)", file=sys.stderr)
    else:
        sys.stdout.write(data.decode("utf-8"))
    return 0


def check_output(path: Path, option: str) -> None:
    """Refuse an output path whose directory does not exist (or that is a directory) before any work is done."""
    parent = path.parent
    if not parent.is_dir():
        raise CliError(f"{option} {path}: the directory {parent} does not exist")
    if path.is_dir():
        raise CliError(f"{option} {path}: is a directory; give a file name")


def write_output(path: Path, data: bytes, option: str) -> None:
    """Write ``data`` to ``path`` whole or not at all: a temporary file beside it, renamed into place."""
    check_output(path, option)
    tmp = path.with_name(f".{path.name}.part")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise CliError(f"{option} {path}: cannot write the file ({exc.strerror or 'write failed'})") from None
