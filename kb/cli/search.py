"""Search sub-commands: ``kb search QUERY`` (hybrid, with facets) and ``kb similar ID``."""

from __future__ import annotations

import argparse

from kb.cli.common import add_db, print_json, settings
from kb.embeddings import Embedder, make_embedder
from kb.replication import cities
from kb.search.engine import FACETS, SearchEngine
from kb.search.snippets import spans_text
from kb.store import database
from kb.store import write as store


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("search", help="hybrid full-text and semantic search over the records")
    add_db(p)
    p.add_argument("query")
    for facet in FACETS:
        p.add_argument(f"--{facet.replace('_', '-')}", dest=facet, action="append", metavar="VALUE",
                       help=f"only records with this {facet.replace('_', ' ')} (repeatable)")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--mode", choices=["hybrid", "bm25", "dense"], default="hybrid")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_search)

    p = sub.add_parser("similar", help="records most like a given record")
    add_db(p)
    p.add_argument("id")
    p.add_argument("--limit", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_similar)


def _search_engine(args: argparse.Namespace) -> SearchEngine:
    engine = database.get_engine(settings(args).db_path, create=False)
    with database.read_session(engine) as s:
        model = store.get_meta(s, "model")
    embedder: Embedder | None = make_embedder(model or settings(args).model)
    return SearchEngine(engine, embedder)


def _city_ids(engine: SearchEngine, names: list[str]) -> list[str]:
    """City filter values as record ids: names and aliases (``Kraków``, ``Cracow``) resolve to ``krakow``."""
    out = []
    for name in names:
        try:
            out.append(cities.find_city(engine.engine, name).id)
        except cities.CityNotFound:
            out.append(name)
    return out


def cmd_search(args: argparse.Namespace) -> int:
    filters = {f: getattr(args, f) for f in FACETS if getattr(args, f)}
    search = _search_engine(args)
    if filters.get("city"):
        filters["city"] = _city_ids(search, filters["city"])
    res = search.search(args.query, filters=filters, limit=args.limit, mode=args.mode)
    rows = [h.to_json() for h in res.hits]
    if args.json:
        print_json(rows)
        return 0
    if res.language_note:
        print(res.language_note)
    if not rows:
        print("no results (try fewer words, other words, or fewer filters)")
    else:
        for h in res.hits:
            print(f"{h.score:.4f}  {h.id}  [{h.kind}, {h.city or '-'}]  {h.title}\n"
                  f"        {h.section}: {spans_text(h.snippet)}")
    return 0


def cmd_similar(args: argparse.Namespace) -> int:
    hits = _search_engine(args).similar(args.id, limit=args.limit)
    if args.json:
        print_json([h.to_json() for h in hits])
    else:
        for h in hits:
            print(f"{h.score:.4f}  {h.id}  [{h.kind}, {h.city or '-'}]  {h.title}")
    return 0
