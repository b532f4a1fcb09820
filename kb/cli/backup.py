"""Backup sub-commands: ``kb export PATH`` and ``kb import PATH --db NEW [--without-accounts]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kb.cli.common import add_db, settings
from kb.store import backup, database


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("export", help="write a portable backup archive of the whole database")
    add_db(p)
    p.add_argument("path", help="archive file to write (.zip)")
    p.set_defaults(handler=cmd_export)
    p = sub.add_parser("import", help="restore a backup archive into a new database")
    add_db(p)
    p.add_argument("path", help="archive written by 'kb export'")
    p.add_argument("--without-accounts", action="store_true",
                   help="restore everything but user accounts and sessions (add users with 'kb users add')")
    p.set_defaults(handler=cmd_import)


def cmd_export(args: argparse.Namespace) -> int:
    engine = database.get_engine(settings(args).db_path, create=False)
    counts = backup.export_archive(engine, Path(args.path))
    print(f"wrote {args.path}: " + ", ".join(f"{n} {t}" for t, n in counts.items() if n))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    target = settings(args).db_path
    with database.batch_writes():  # a restore is a batch: the long busy timeout, not the interactive one
        done = backup.restore(Path(args.path), target, without_accounts=args.without_accounts)
    if done.admins:
        print(f"warning: the archive brings {done.admins} admin account{'s' if done.admins != 1 else ''}; "
              "restoring accounts trusts whoever could write the archive (see --without-accounts)", file=sys.stderr)
    print(f"restored into {database.describe(target)}: " + ", ".join(f"{n} {t}" for t, n in done.counts.items() if n))
    return 0
