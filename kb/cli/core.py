"""Core sub-commands: ingest, stats, list, show, corpus-overview."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from sqlalchemy import Engine

from kb.cli.common import add_db, print_json, settings
from kb.store import catalog, database


def _engine(args: argparse.Namespace) -> Engine:
    return database.get_engine(settings(args).db_path, create=False)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from ingest import cli as ingest_cli  # the CLI is an edge: it may drive the ingest pipeline

    p = sub.add_parser("ingest", help="validate records and load them into the database")
    ingest_cli.add_arguments(p)
    p.set_defaults(handler=ingest_cli.run)

    p = sub.add_parser("stats", help="counts of records, chunks and embeddings")
    add_db(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_stats)

    p = sub.add_parser("list", help="list records")
    add_db(p)
    p.add_argument("--kind", choices=["solution", "city", "measure_type", "lesson"])
    p.add_argument("--city")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("show", help="show one record with every number's evidence and source")
    add_db(p)
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_show)

    p = sub.add_parser("corpus-overview", help="counts by city, kind, category and evidence level")
    add_db(p)
    p.add_argument("--write", action="store_true", help="update the table in solutions/README.md")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_overview)


def cmd_stats(args: argparse.Namespace) -> int:
    st = catalog.stats(_engine(args))
    if args.json:
        print_json(st)
    else:
        kinds = ", ".join(f"{v} {k}" for k, v in st["records"].items())
        print(f"records: {kinds}\nchunks: {st['chunks']} ({st['embeddings']} embedded)\n"
              f"model: {st['model'] or '-'}\nschema version: {st['schema_version']}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    rows = catalog.list_records(_engine(args), kind=args.kind, city=args.city)
    if args.json:
        print_json([{"id": r.id, "kind": r.kind, "title": r.title, "city": r.city} for r in rows])
    else:
        for r in rows:
            print(f"{r.id:<42} {r.kind:<13} {r.city:<12} {r.title}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    rec = catalog.get_record(_engine(args), args.id)
    if args.json:
        print_json(rec.to_dict())
        return 0
    print(f"{rec.title}  [{rec.kind}, {rec.city or '-'}, {rec.status or '-'}]  {rec.id}")
    for sec in rec.sections:
        print(f"\n## {sec.title}")
        text = "\n".join(ln for ln in sec.text.split("\n") if not ln.lstrip().startswith("|"))
        if text.strip():
            print(text.strip())
        for q in rec.numbers_in(sec.title):
            if q.missing:
                print(f"  - {q.item}: not published")
            else:
                val = q.value if q.value is not None else f"{q.low}–{q.high}"
                print(f"  - {q.item}: {val} {q.unit} [{q.evidence or None}; {q.source or None}]")
    print("\nSources:")
    for s in rec.sources:
        print(f"  [{s.id}] {s.title} {s.url}")
    return 0


def cmd_overview(args: argparse.Namespace) -> int:
    ov = catalog.corpus_overview(_engine(args))
    if args.write:
        readme = settings(args).solutions_dir / "README.md"
        write_overview(readme, catalog.overview_markdown(ov))
        print(f"updated {readme}")
    elif args.json:
        print_json(ov)
    else:
        print(catalog.overview_markdown(ov))
    return 0


def write_overview(readme: Path, table: str) -> None:
    text = readme.read_text(encoding="utf-8")
    new = re.sub(r"<!-- overview:start -->.*<!-- overview:end -->",
                 lambda _m: f"<!-- overview:start -->\n{table}\n<!-- overview:end -->", text, flags=re.S)
    readme.write_text(new, encoding="utf-8")
