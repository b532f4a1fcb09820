"""What every ``kb`` sub-command shares: the CLI's own usage error, the ``--db`` option, the settings."""

from __future__ import annotations

import argparse

from kb.config import Settings
from kb.errors import InvalidInput


class CliError(InvalidInput):
    """A user-facing error raised by a command about its own options (exit code 1)."""


def add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=None, help="database file (default: $KB_DB or data/kb.sqlite)")


def settings(args: argparse.Namespace) -> Settings:
    """The settings of this run: the environment read once by ``main``, with ``--db`` applied."""
    base: Settings = getattr(args, "settings", None) or Settings.from_env()
    return base.with_db(getattr(args, "db", None))
