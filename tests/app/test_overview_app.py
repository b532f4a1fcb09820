"""AppTest: the app starts on a fresh database, builds it, and shows the overview counts."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from kb.store import catalog, database

ROOT = Path(__file__).resolve().parents[2]


def test_app_builds_database_and_shows_counts(app_env: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    assert app_env.exists()
    labels = {m.label: m.value for m in at.metric}
    assert set(labels) >= {"Solutions", "City profiles", "Measure types", "Lessons learned"}
    stats = catalog.stats(database.get_engine(app_env))["records"]
    assert stats["city"] > 0, "the bundled corpus has city profiles"
    assert int(labels["City profiles"]) == stats["city"] and int(labels["Solutions"]) == stats["solution"]
    assert any("ATELIER" in t.value for t in at.title)


def test_start_up_progress_is_not_replayed_on_later_runs(app_env: Path) -> None:
    """The start-up ingest reports once, on the Overview page; no progress box stays on the page afterwards (a
    Streamlit element inside a cached function would be replayed on every rerun)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.run()  # a rerun, as after any click
    assert not at.exception, at.exception
    boxes = [e.label for e in at.expander]
    assert not any("Preparing" in b or "Knowledge base ready" in b for b in boxes), boxes
    assert any(c.value.startswith("Knowledge base ready: ") for c in at.caption), [c.value for c in at.caption]


def _all_text(at: AppTest) -> str:
    """Every element of the page as its proto text (spinners, status boxes and toasts included)."""
    out: list[str] = []

    def walk(node: object) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(str(proto))
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)

    walk(at._tree)
    return "\n".join(out)


def test_second_session_shows_no_preparing_box(app_env: Path) -> None:
    """After the first start a new browser session (a new AppTest on the same server caches) sees no "Preparing the
    knowledge base" box or spinner, on the Overview page or any other."""
    first = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not first.exception, first.exception
    for _ in range(2):
        later = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        later.run()
        assert not later.exception, later.exception
        text = _all_text(later)
        assert "Preparing the knowledge base" not in text
        assert "Knowledge base ready: " in text  # the page itself did render
