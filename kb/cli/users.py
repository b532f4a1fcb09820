"""Account sub-commands: ``kb users add NAME --role ROLE``, ``kb users list``, ``kb users disable NAME``."""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy import Engine

from kb import accounts
from kb.cli.common import CliError, add_db, print_json, settings
from kb.store import database


def engine_for(args: argparse.Namespace) -> Engine:
    return database.get_engine(settings(args).db_path)


def operator() -> accounts.Actor:
    """The person at the command line: shell access to the database file gives admin rights."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return accounts.Actor.system(f"cli:{user}")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = sub.add_parser("users", help="user accounts: add, list, disable, enable")
    usub = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    p = usub.add_parser("add", help="add a user; the password is read from a prompt or from stdin "
                                    "(two lines: password and confirmation)")
    add_db(p)
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=accounts.ROLES)
    p.set_defaults(handler=cmd_add)
    p = usub.add_parser("list", help="list users with role and state")
    add_db(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)
    for action, fn in (("disable", cmd_disable), ("enable", cmd_enable)):
        p = usub.add_parser(action, help=f"{action} a user (users are never deleted)")
        add_db(p)
        p.add_argument("name")
        p.set_defaults(handler=fn)


def read_password() -> str:
    """Twice from a hidden prompt on a terminal; otherwise two lines of stdin."""
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Repeat the password: ")
    else:
        lines = sys.stdin.read().splitlines()
        if len(lines) < 2:
            raise CliError("stdin must hold two lines: the password and its confirmation")
        first, second = lines[0], lines[1]
    if first != second:
        raise CliError("the two passwords differ; nothing was saved")
    return first


def cmd_add(args: argparse.Namespace) -> int:
    password = read_password()
    user = accounts.add_user(engine_for(args), args.name, args.role, password, by=operator())
    print(f"added {user['name']} ({user['role']})")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    users = accounts.list_users(engine_for(args))
    if args.json:
        print_json([{"name": u["name"], "role": u["role"], "disabled": u["disabled"],
                     "last_login": u["last_login"].isoformat() if u["last_login"] else None} for u in users])
        return 0
    for u in users:
        state = "disabled" if u["disabled"] else "active"
        last = f"{u['last_login']:%Y-%m-%d %H:%M}" if u["last_login"] else "never"
        print(f"{u['name']:<24} {u['role']:<7} {state:<9} last login: {last}")
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    accounts.disable_user(engine_for(args), args.name, by=operator())
    print(f"disabled {args.name}")
    return 0


def cmd_enable(args: argparse.Namespace) -> int:
    accounts.enable_user(engine_for(args), args.name, by=operator())
    print(f"enabled {args.name}")
    return 0
