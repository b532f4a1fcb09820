"""Command line of the ingest pipeline: ``python -m ingest [PATH] [--db FILE] [--strict] [--prefer P] [--json]``.

Exit codes: 0 all loaded; 1 some record invalid, or a lesson conflict left undecided (a file changed while the app
holds an unexported edit: that lesson is left as it was; ingest again with ``--prefer files`` or ``--prefer app``);
2 the database or the model cannot be used.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ingest.loader import run_ingest
from kb.config import Settings
from kb.embeddings import make_embedder
from kb.errors import StorageUnavailable
from kb.store import database


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", default=None,
                   help="record file or folder (default: $KB_SOLUTIONS_DIR or solutions/)")
    p.add_argument("--db", default=None,
                   help="database file or postgresql+psycopg:// URL (default: $KB_DB or data/kb.sqlite)")
    p.add_argument("--strict", action="store_true", help="load nothing when any record is invalid")
    p.add_argument("--json", action="store_true", help="print one JSON summary object")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--prefer", choices=["files", "app"], default=None,
                   help="when a lesson file changed while the app holds an edit not exported: take the file's text "
                        "(the app's stays in the audit log) or keep the app's (then run 'kb lessons export'); "
                        "without it such lessons are left as they are and reported (exit code 1)")


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env().with_db(args.db)
    root = Path(args.path) if args.path else settings.solutions_dir

    def progress(msg: str) -> None:
        if not args.quiet:
            print(msg, file=sys.stderr, flush=True)

    # a part of the corpus (a sub-folder, one file) keeps the paths of the whole: they are stored relative to it
    corpus = settings.solutions_dir if root.resolve().is_relative_to(settings.solutions_dir.resolve()) else None
    with database.batch_writes():  # nobody waits on an ingest: the long busy timeout, not the interactive one
        result = run_ingest(root, settings.db_path, make_embedder(settings.model), strict=args.strict,
                            progress=progress, corpus_root=corpus, prefer=args.prefer)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, allow_nan=False))
    else:
        for e in result.errors:
            print(str(e), file=sys.stderr)
        for c in result.conflicts:
            print(("" if c.resolved else "conflict: ") + str(c), file=sys.stderr)
        verb = "nothing loaded (--strict)" if args.strict and result.errors else "loaded"
        lessons = result.lessons
        print(f"{result.records} valid records {verb}; {result.written} written, {result.removed} removed, "
              f"{result.chunks_embedded} chunks embedded; {len(result.errors)} errors"
              + (f"; lessons: {lessons.get('created', 0)} created, {lessons.get('updated', 0)} updated from files, "
                 f"{lessons.get('archived', 0)} archived" if lessons else "")
              + (f"; {len(result.unresolved)} lesson conflicts left undecided (--prefer files|app)"
                 if result.unresolved else ""))
    return 1 if result.errors or result.unresolved else 0


def main(argv: list[str] | None = None) -> int:
    """``python -m ingest``; ``kb ingest`` runs :func:`run` under kb.cli's error mapping, which gives the same exit 2
    (ingest cannot import kb.cli: the CLI sits above it)."""
    p = argparse.ArgumentParser(prog="python -m ingest", description="Validate records and load them into SQLite")
    add_arguments(p)
    try:
        return run(p.parse_args(argv))
    except StorageUnavailable as exc:  # the database (read-only, busy, unreadable) or the model: nothing was loaded
        print(f"error: {exc}", file=sys.stderr)  # a sentence; the SQLite details are in the log (kb.store.database)
        return 2
