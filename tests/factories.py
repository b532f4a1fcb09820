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


# --- a hand-made estimate and fit, in the shape of ``kb estimate --json`` and ``kb match --json`` -------------

BRIEF_DATE = "2026-01-15"
BRIEF_SEED = 7
SITE = "test-battery-site S1: Fixture news item"
CATALOGUE = "test-battery S1: Fixture technology catalogue"
STATS = "krakow S1: Fixture statistics for Kraków"


def fake_estimate(solution_id: str, city: str, scale: float | None, seed: int) -> dict[str, Any]:
    """2,000 kWh of storage in Kraków: 250 cycles × 2,000 kWh × 0.9 ≈ 450 MWh/yr shifted, at 615 g/kWh."""
    value = scale if scale is not None else 2000.0
    k = value / 2000.0
    return {
        "solution": solution_id, "city": city, "scale": {"value": value, "unit": "kWh"},
        "metrics": {
            "electricity": {"unit": "MWh/yr", "p10": 380.0 * k, "p50": 450.0 * k, "p90": 520.0 * k},
            "co2_avoided": {"unit": "tCO2/yr", "p10": 21.0 * k, "p50": 27.7 * k, "p90": 34.5 * k},
            "capex": {"unit": "EUR", "p10": 680000.0 * k, "p50": 800000.0 * k, "p90": 920000.0 * k},
            "opex": {"unit": "EUR/yr", "p10": 11000.0 * k, "p50": 16000.0 * k, "p90": 19000.0 * k},
            "savings": {"unit": "EUR/yr", "p10": 21000.0 * k, "p50": 27000.0 * k, "p90": 33000.0 * k},
            "payback": {"unit": "yr", "p10": 55.0, "p50": 73.0, "p90": 110.0},
            "cost_per_tco2": {"unit": "EUR/tCO2", "p10": 1200.0, "p50": 1650.0, "p90": 2400.0},
        },
        "source_site": {"city": "testville", "scale": {"value": 2000.0, "unit": "kWh"}},
        "assumptions": [
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
        "sensitivity": [
            {"metric": "co2_avoided", "metric_unit": "tCO2/yr", "input": "cycles_per_year", "at_low": 23.1,
             "at_high": 33.2, "swing": 10.1},
            {"metric": "co2_avoided", "metric_unit": "tCO2/yr", "input": "round_trip_efficiency", "at_low": 26.2,
             "at_high": 29.2, "swing": 3.0},
            {"metric": "savings", "metric_unit": "EUR/yr", "input": "electricity_price_household", "at_low": 20000,
             "at_high": 34000, "swing": 14000},
        ],
        "most_influential": {"co2_avoided": "cycles_per_year", "savings": "electricity_price_household"},
        "unavailable": [{"metric": "nox_avoided", "reason": "no NOx factor for grid electricity"}],
    }


def fake_fit(solution_id: str, city: str) -> dict[str, Any]:
    return {"id": solution_id, "title": "", "fit": 0.62, "factors": [
        {"name": "climate", "score": 0.8, "explanation": "Kraków is colder than the source (3300 vs 3000 K·d)."},
        {"name": "energy system", "score": 0.4, "explanation": "Needs a grid operator that allows shared storage."},
        {"name": "economics", "score": 0.3, "explanation": "Payback is long at Polish prices."},
        {"name": "evidence", "score": 0.5, "explanation": "Design figures only; nothing measured."},
    ]}


def no_lessons(solution_id: str) -> list[dict[str, Any]]:
    return []


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

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def start_streamlit(script: Path, tmp: Path, env: Mapping[str, str | None] | None = None,
                    timeout: float = 120) -> Iterator[str]:
    """Run ``streamlit run script`` on a free port and yield its URL once it is healthy; stop it on exit.

    The server's database is ``tmp/kb.sqlite`` (``KB_DB``), its data directory ``tmp`` and its log
    ``tmp/streamlit.log``; ``env`` adds to (a value of None removes from) this process's environment.
    """
    port = free_port()
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
