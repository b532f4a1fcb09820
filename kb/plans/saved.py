"""Saved district plans: staff save, list, load and delete plans in the database; the role is checked here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, select

from kb import accounts
from kb.errors import NotFound
from kb.plans.model import PlanSpec, parse_plan, to_toml
from kb.store import database
from kb.store.tables import PlanRow, utcnow


class PlanNotFound(NotFound, LookupError):
    """No saved plan has this id."""


def save_plan(engine: Engine, spec: PlanSpec, by: accounts.Actor, plan_id: int | None = None) -> int:
    """Save a plan (a new one, or replace ``plan_id``); needs the role ``staff``. Returns the plan id."""
    accounts.require(by, "staff", "saving a district plan")
    text = to_toml(spec)
    parse_plan(text)  # what is saved can be read back
    with database.write_session(engine) as s:
        if plan_id is not None:
            row = s.get(PlanRow, plan_id)
            if row is None:
                raise PlanNotFound(f"no saved plan {plan_id}")
            row.name, row.city, row.toml, row.author, row.updated_at = spec.name, spec.city, text, by.name, utcnow()
        else:
            row = PlanRow(name=spec.name, city=spec.city, toml=text, author=by.name)
        s.add(row)
        s.flush()
        assert row.id is not None  # the flush gave the row its id
        return int(row.id)


def list_plans(engine: Engine) -> list[dict[str, Any]]:
    """``[{"id", "name", "city", "author", "updated_at"}]``, newest first."""
    with database.read_session(engine) as s:
        rows = list(s.exec(select(PlanRow).order_by(col(PlanRow.updated_at).desc(), col(PlanRow.id).desc())))
    return [{"id": r.id, "name": r.name, "city": r.city, "author": r.author, "updated_at": r.updated_at}
            for r in rows]


def load_plan(engine: Engine, plan_id: int) -> PlanSpec:
    with database.read_session(engine) as s:
        row = s.get(PlanRow, plan_id)
    if row is None:
        raise PlanNotFound(f"no saved plan {plan_id}")
    return parse_plan(row.toml, f"saved plan {plan_id}")


def delete_plan(engine: Engine, plan_id: int, by: accounts.Actor) -> None:
    accounts.require(by, "staff", "deleting a district plan")
    with database.write_session(engine) as s:
        row = s.get(PlanRow, plan_id)
        if row is None:
            raise PlanNotFound(f"no saved plan {plan_id}")
        s.delete(row)
