"""The ``kb`` command line: a thin layer over the library; errors become one line and a non-zero exit."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from kb.cli import backup, brief, core, lessons, plan, replication, search
from kb.cli.common import CliError
from kb.config import Settings
from kb.embeddings import EmbedderError
from kb.store.catalog import RecordNotFound
from kb.store.database import DatabaseError

# Each module registers its sub-commands with ``register(subparsers)``, in the order ``kb --help`` lists them.
COMMAND_MODULES = [core, backup, search, lessons, brief, replication, plan]

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kb", description="ATELIER Positive Energy District knowledge base")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.settings = Settings.from_env()
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
