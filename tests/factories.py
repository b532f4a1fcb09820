"""Shared test builders: fixture paths and corpora, a hand-made estimate and fit, lesson input, a live Streamlit server.

Fixtures live in ``tests/conftest.py``; the plain functions and data they and the test modules share live here, so
no test module imports another test module.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ingest.loader import run_ingest
from kb.embeddings import FakeEmbedder
from kb.lessons.format import Lesson
from kb.replication.cities import CityProfile
from kb.replication.fit import FitFactor, Match
from kb.replication.simulation import Estimate, Metric

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
FIXTURE_CORPUS = FIXTURES / "corpus"
BRIEF_FIXTURES = FIXTURES / "brief"               # a Kraków city for the brief tests
REPLICATION_FIXTURES = FIXTURES / "replication"   # two more cities, heat pumps and a PV site


# --- corpora ------------------------------------------------------------------------------------------------

def build_brief_corpus(dst: Path) -> Path:
    """The fixture corpus plus the brief fixtures (a Kraków city), copied to ``dst``."""
    shutil.copytree(FIXTURE_CORPUS, dst)
    shutil.copytree(BRIEF_FIXTURES, dst, dirs_exist_ok=True)
    return dst


def build_replication_corpus(dst: Path) -> Path:
    """The fixture corpus plus the replication fixtures, copied to ``dst``."""
    shutil.copytree(FIXTURE_CORPUS, dst)
    shutil.copytree(REPLICATION_FIXTURES, dst, dirs_exist_ok=True)
    return dst


def build_replication_db(tmp: Path) -> Path:
    """The replication corpus ingested with the fake embedder into ``tmp/rep.sqlite``."""
    corpus = build_replication_corpus(tmp / "corpus")
    db = tmp / "rep.sqlite"
    result = run_ingest(corpus, db, FakeEmbedder(name="fake-hash"))
    assert not result.errors, result.errors
    return db


# --- a hand-made estimate and fit, as the replication model's Estimate and Match ----------------------------

BRIEF_DATE = "2026-01-15"
BRIEF_SEED = 7
SITE = "test-battery-site S1: Fixture news item"
CATALOGUE = "test-battery S1: Fixture technology catalogue"
STATS = "krakow S1: Fixture statistics for Kraków"


def _metric(name: str, unit: str, p10: float, p50: float, p90: float) -> Metric:
    return Metric(name, unit, name.replace("_", " "), p10, p50, p90, central=p50)


def fake_estimate(solution_id: str, city: str, scale: float | dict[str, float] | None, seed: int) -> Estimate:
    """2,000 kWh of storage in Kraków: 250 cycles × 2,000 kWh × 0.9 ≈ 450 MWh/yr shifted, at 615 g/kWh."""
    value = scale if isinstance(scale, float | int) else 2000.0
    k = value / 2000.0
    metrics = [
        _metric("electricity", "MWh/yr", 380.0 * k, 450.0 * k, 520.0 * k),
        _metric("co2_avoided", "tCO2/yr", 21.0 * k, 27.7 * k, 34.5 * k),
        _metric("capex", "EUR", 680000.0 * k, 800000.0 * k, 920000.0 * k),
        _metric("opex", "EUR/yr", 11000.0 * k, 16000.0 * k, 19000.0 * k),
        _metric("savings", "EUR/yr", 21000.0 * k, 27000.0 * k, 33000.0 * k),
        _metric("payback", "yr", 55.0, 73.0, 110.0),
        _metric("cost_per_tco2", "EUR/tCO2", 1200.0, 1650.0, 2400.0),
    ]
    return Estimate(
        city=CityProfile(city, city), solution={"id": solution_id},
        measures=[{"measure_type": "test-battery", "title": "Battery storage", "model": "battery", "scale": value,
                   "unit": "kWh", "displaces": "electricity"}],
        metrics={m.name: m for m in metrics},
        source_site={"city": "testville", "scale": {"value": 2000.0, "unit": "kWh"}},
        samples={}, n_samples=5000, seed=seed,
        assumptions=[
            {"name": "scale", "value": value, "unit": "kWh", "evidence": "design", "source": SITE},
            {"name": "round_trip_efficiency", "value": 0.9, "low": 0.85, "high": 0.95, "unit": "-",
             "evidence": "reference", "source": CATALOGUE},
            {"name": "cycles_per_year", "value": 250, "unit": "cycles/yr", "evidence": "reference",
             "source": CATALOGUE},
            {"name": "capex", "value": 400, "unit": "EUR/kWh", "evidence": "reference", "source": CATALOGUE},
            {"name": "grid_co2", "value": 615, "unit": "g/kWh", "evidence": "reference", "source": STATS},
            {"name": "electricity_price_household", "value": 0.22, "unit": "EUR/kWh", "evidence": "reference",
             "source": STATS},
        ],
        sensitivity=[
            {"metric": "co2_avoided", "metric_unit": "tCO2/yr", "input": "cycles_per_year", "at_low": 23.1,
             "at_high": 33.2, "swing": 10.1},
            {"metric": "co2_avoided", "metric_unit": "tCO2/yr", "input": "round_trip_efficiency", "at_low": 26.2,
             "at_high": 29.2, "swing": 3.0},
            {"metric": "savings", "metric_unit": "EUR/yr", "input": "electricity_price_household", "at_low": 20000,
             "at_high": 34000, "swing": 14000},
        ],
        most_influential={"co2_avoided": "cycles_per_year", "savings": "electricity_price_household"},
        unavailable=[{"metric": "nox_avoided", "reason": "no NOx factor for grid electricity"}],
    )


def fake_fit(solution_id: str, city: str) -> Match:
    return Match(solution_id, "", city, ["test-battery"], 0.62, [
        FitFactor("climate", 0.8, "Kraków is colder than the source (3300 vs 3000 K·d)."),
        FitFactor("energy system", 0.4, "Needs a grid operator that allows shared storage."),
        FitFactor("economics", 0.3, "Payback is long at Polish prices."),
        FitFactor("evidence", 0.5, "Design figures only; nothing measured."),
    ])


def no_lessons(solution_id: str) -> list[Lesson]:
    return []


def app_lesson(**fields: Any) -> Lesson:
    """A published lesson as written in the app (every text field empty unless given)."""
    base: dict[str, Any] = {"id": "lesson", "title": "", "city": "krakow", "solutions": [], "measure_types": [],
                            "phase": "", "barrier_type": "", "summary": "", "what_happened": "", "what_was_tried": "",
                            "outcome": "", "outcome_note": "", "applies_when": "", "status": "published"}
    return Lesson(**{**base, **fields})


def app_on_corpus(corpus: Path, db: Path, monkeypatch: Any, staff_password: str) -> Any:
    """Point AppTest pages at ``corpus`` (``KB_SOLUTIONS_DIR``), ingest it into ``db`` with the fake embedder and add
    the staff account ``ann``; returns the engine."""
    from kb import accounts
    from kb.store import database

    monkeypatch.setenv("KB_SOLUTIONS_DIR", str(corpus))
    res = run_ingest(corpus, db, FakeEmbedder(name="fake-hash"))
    assert not res.errors, res.errors
    engine = database.get_engine(db)
    accounts.add_user(engine, "ann", "staff", staff_password, by=accounts.Actor.system())
    return engine


# --- lessons ------------------------------------------------------------------------------------------------

PAYLOADS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))")


def lesson_data(**over: Any) -> dict[str, Any]:
    """A valid lesson form for the fixture corpus (testville, the test battery site), with ``over`` applied."""
    data: dict[str, Any] = {
        "title": "Ask the grid operator before the design freeze", "city": "testville",
        "solutions": ["test-battery-site"], "measure_types": ["test-battery"], "phase": "permitting",
        "barrier_type": "regulatory", "summary": "Early talks with the operator saved a year.",
        "what_happened": "The operator refused the private grid at first [S1].",
        "what_was_tried": "A sandbox exemption.\n\n### Steps\n- meeting\n- application",
        "outcome": "partly", "outcome_note": "", "applies_when": "A block shares one grid connection.",
        "sources": [{"id": "S1", "title": "Interview with the operator", "url": "https://example.org/i"}],
    }
    data.update(over)
    return data


# --- a live Streamlit server, for browser tests -------------------------------------------------------------

def publish_reviewed(engine: Any, author: Any, lesson: Lesson, embedder: Any) -> Lesson:
    """Publish a draft as the workflow does: its author submits it, another staff member approves (four eyes)."""
    from kb import accounts
    from kb.lessons import service

    sub = service.submit_lesson(engine, author, lesson.id, lesson.version)
    return service.approve_lesson(engine, accounts.Actor("reviewer-rex", "staff"), sub.id, sub.version, embedder)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def start_streamlit(script: Path, tmp: Path, env: Mapping[str, str | None] | None = None,
                    timeout: float = 120, port: int | None = None) -> Iterator[str]:
    """Run ``streamlit run script`` on a free port and yield its URL once it is healthy; stop it on exit.

    The server's database is ``tmp/kb.sqlite`` (``KB_DB``), its data directory ``tmp`` and its log
    ``tmp/streamlit.log``; ``env`` adds to (a value of None removes from) this process's environment; ``port``
    fixes the port (a free one by default).
    """
    port = port or free_port()
    full = {**os.environ, "KB_DB": str(tmp / "kb.sqlite"), "HF_HUB_OFFLINE": "1", "KB_DATA_DIR": str(tmp)}
    for key, value in (env or {}).items():
        if value is None:
            full.pop(key, None)
        else:
            full[key] = value
    log_path = tmp / "streamlit.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
             "--server.headless", "true", "--server.fileWatcherType", "none",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=full, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.time() + timeout
            while time.time() < deadline:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.5)
            else:
                raise RuntimeError(f"streamlit did not start; log: {log_path.read_text()[-2000:]}")
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_for_app(page, timeout: float = 120_000) -> None:  # type: ignore[no-untyped-def]
    """Wait until Streamlit has finished running the script."""
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=timeout)


def sidebar_nav(page, label: str) -> None:  # type: ignore[no-untyped-def]
    """Follow a sidebar link: a client-side page change (the Streamlit session and its login survive)."""
    page.locator("[data-testid=stSidebarNav] a").filter(has_text=label).first.click()
    wait_for_app(page)


def choose_first(page, widget: str, label: str) -> None:  # type: ignore[no-untyped-def]
    """Pick the first option of the select box (or multiselect) labelled ``label``."""
    page.locator(f"[data-testid={widget}]").filter(has_text=label).first.click()
    page.locator("[role=option]").first.click()
    if widget == "stMultiSelect":
        page.keyboard.press("Escape")


def log_in(page, url: str, name: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """Log in as ``name`` on the Account page of the app at ``url``; whoever is logged in in this browser (the
    cookie lasts) logs out first."""
    page.goto(f"{url}/login")
    wait_for_app(page, timeout=240_000)
    if page.get_by_role("button", name="Log out").count():
        page.get_by_role("button", name="Log out").click()
        page.get_by_label("User name", exact=True).wait_for(timeout=60_000)
        wait_for_app(page)
    page.get_by_label("User name", exact=True).fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_text(f"Logged in as {name}").wait_for(timeout=60_000)
    wait_for_app(page)


# --- what a page shows, as text (for the "no raw key on screen" checks) ---------------------------------------

def rendered_text(at: Any) -> list[str]:
    """Every piece of text an AppTest run shows: titles, headers, markdown, captions, alerts, metric labels and
    values, widget labels and options, expander labels, and each dataframe's headers (as configured by
    ``column_config`` where a column is renamed) and cells."""
    import json

    texts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success",
                 "text", "code", "latex"):
        texts += [str(e.value) for e in at.get(kind)]
    for m in at.metric:
        texts += [str(m.label), str(m.value)]
    for kind in ("selectbox", "multiselect", "radio"):
        for w in at.get(kind):
            texts.append(str(w.label))
            texts += [str(o) for o in w.options]
    for kind in ("number_input", "text_input", "text_area", "checkbox", "toggle", "button", "slider"):
        texts += [str(w.label) for w in at.get(kind)]
    texts += [str(e.label) for e in at.expander]
    for df in at.dataframe:
        config = json.loads(df.proto.columns or "{}")
        frame = df.value
        for col in frame.columns:
            label = (config.get(f"col:name:{col}") or config.get(str(col)) or {}).get("label")
            texts.append(str(label if label is not None else col))
        texts += [str(v) for v in frame.to_numpy().ravel() if v is not None and v == v]
        texts += ["None" for v in frame.to_numpy().ravel() if v is None]
    return texts
