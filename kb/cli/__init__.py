"""The ``kb`` command line: a thin layer over the library; errors become one line and a non-zero exit."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable

from kb.embeddings import EmbedderError
from kb.store.catalog import RecordNotFound
from kb.store.database import DatabaseError

# Each module registers its sub-commands with ``register(subparsers)``.
COMMAND_MODULES = ["kb.cli.core", "kb.cli.backup", "kb.cli.search", "kb.cli.lessons", "kb.cli.brief",
                   "kb.cli.replication", "kb.cli.plan"]

Handler = Callable[[argparse.Namespace], int]


class CliError(Exception):
    """A user-facing error raised by a command."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kb", description="ATELIER Positive Energy District knowledge base")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return p


def add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=None, help="database file (default: $KB_DB or data/kb.sqlite)")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except (CliError, RecordNotFound, DatabaseError, EmbedderError, ValueError, LookupError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {msg}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
