"""What every ``kb`` sub-command shares: the CLI's own usage error, the ``--db`` option, the settings, JSON out."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from kb.config import Settings
from kb.errors import InvalidInput


class CliError(InvalidInput):
    """A user-facing error raised by a command about its own options (exit code 1)."""


def add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=None,
                   help="database file or postgresql+psycopg:// URL (default: $KB_DB or data/kb.sqlite)")


def settings(args: argparse.Namespace) -> Settings:
    """The settings of this run: the environment read once by ``main``, with ``--db`` applied."""
    base: Settings = getattr(args, "settings", None) or Settings.from_env()
    return base.with_db(getattr(args, "db", None))


def _finite(data: Any) -> Any:
    """``data`` with every float that is not finite replaced by None (JSON has no NaN or infinity)."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_finite(v) for v in data]
    return data


def print_json(data: Any, indent: int | None = 2) -> None:
    """Print ``data`` as strict JSON (RFC 8259), the one way every ``--json`` output is written.

    Records never hold NaN or infinity (ingest refuses them); a computed figure that is not finite, such as a
    payback that never comes, is written as null rather than as the bare ``Infinity`` that JSON parsers reject.
    """
    print(json.dumps(_finite(data), ensure_ascii=False, indent=indent, default=str, allow_nan=False))
