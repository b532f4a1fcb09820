"""The ``kb`` command line: a thin layer over the library; errors become one line and a non-zero exit."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from kb.cli import backup, brief, core, lessons, plan, replication, search
from kb.cli.common import CliError  # noqa: F401  (re-exported: callers catch kb.cli.CliError)
from kb.config import Settings
from kb.errors import Conflict, Forbidden, InvalidInput, KbError, NotFound, StorageUnavailable
from kb.plans.model import PlanError

# Each module registers its sub-commands with ``register(subparsers)``, in the order ``kb --help`` lists them.
COMMAND_MODULES = [core, backup, search, lessons, brief, replication, plan]

Handler = Callable[[argparse.Namespace], int]

# How a KbError ends a command: (exit code, what its line on stderr says before the message). The most specific
# class in the error's MRO wins. argparse exits 2 on a malformed command line; an interrupt exits 130. Any other
# exception is a bug and ends with Python's traceback.
EXITS: dict[type[KbError], tuple[int, str]] = {
    NotFound: (1, ""),                 # no record, city, user, lesson, plan or database file with this name
    InvalidInput: (1, ""),             # a bad option value, record, lesson, password ...
    Forbidden: (1, ""),                # the role does not allow it
    Conflict: (1, ""),                 # the name is taken, the lesson changed meanwhile
    StorageUnavailable: (2, ""),       # the database or the embedding model cannot be used: nothing was done
    PlanError: (2, "invalid plan: "),  # kb plan FILE: the plan cannot be read or evaluated (README: exit 2)
    KbError: (1, ""),
}

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kb", description="ATELIER Positive Energy District knowledge base")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return p


def outcome(exc: KbError) -> tuple[int, str]:
    """The exit code and the one line ``error: ...`` for a KbError (see :data:`EXITS`)."""
    code, prefix = next(EXITS[c] for c in type(exc).__mro__ if c in EXITS)
    text = " ".join(ln.strip() for ln in str(exc).splitlines() if ln.strip()) or type(exc).__name__
    return code, f"error: {prefix}{text}"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.settings = Settings.from_env()
    handler: Handler = args.handler
    try:
        return handler(args)
    except KbError as exc:
        code, line = outcome(exc)
        print(line, file=sys.stderr)
        return code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
