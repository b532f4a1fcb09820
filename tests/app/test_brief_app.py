"""AppTest: the Brief page builds on click, previews the brief, and offers four downloads rendered only on click."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

import kb.briefs.build as brief_mod
import kb.ui.widgets as widgets
from tests.factories import build_brief_corpus, fake_estimate, fake_fit

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def brief_app(app_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, int]:
    """The app on the fixture corpus plus a Kraków city, with a hand-made estimate; counts renders and builds."""
    corpus = build_brief_corpus(tmp_path / "corpus")
    monkeypatch.setenv("KB_SOLUTIONS_DIR", str(corpus))
    monkeypatch.setattr(brief_mod, "replication_estimate", lambda engine, params=None: fake_estimate)
    monkeypatch.setattr(brief_mod, "replication_fit", lambda engine: fake_fit)
    calls = {"render": 0}
    real = widgets.render

    def counting(brief, fmt):  # type: ignore[no-untyped-def]
        calls["render"] += 1
        return real(brief, fmt)

    monkeypatch.setattr(widgets, "render", counting)
    return calls


def open_brief_page(**params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at._page_hash = calc_hash("brief")  # st.Page(url_path="brief") is registered under the hash of its url path
    return at.run()


def test_brief_page_builds_previews_and_offers_downloads(brief_app: dict[str, int]) -> None:
    at = open_brief_page(solution="test-battery-site", city="Kraków")
    assert not at.exception, at.exception
    assert at.title[0].value == "Replication brief"
    assert at.multiselect(key="brief_solutions").value == ["test-battery-site"]
    assert at.selectbox(key="brief_city").value == "krakow"
    assert not at.download_button, "nothing to download before the brief is built"
    at.button(key="brief_build").click().run()
    assert not at.exception and not at.error, (at.exception, at.error)
    labels = [d.proto.label for d in at.download_button]
    assert labels == ["Download PDF", "Download HTML", "Download Markdown", "Download Word (DOCX)"]
    for d in at.download_button:
        assert d.proto.deferred_file_id, "the file is generated when the button is clicked"
    preview = [m.value for m in at.markdown if m.value.startswith("# Replication brief for Kraków")]
    assert preview and "## Estimated impact in Kraków" in preview[0] and "[1]" in preview[0]
    at.number_input(key="brief_seed").set_value(43).run()  # a rerun
    at.run()
    assert brief_app["render"] == 0, "no format is rendered on a rerun"
    assert len(at.download_button) == 4
    assert any("choices changed" in c.value for c in at.caption)


def test_brief_page_error_is_a_message(brief_app: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(engine, params=None):  # type: ignore[no-untyped-def]
        def run(*_a):  # type: ignore[no-untyped-def]
            raise brief_mod.BriefError("city 'krakow' lacks driver 'pv_yield'")
        return run

    monkeypatch.setattr(brief_mod, "replication_estimate", broken)
    at = open_brief_page(solution="test-battery-site")
    at.button(key="brief_build").click().run()
    assert not at.exception
    assert at.error and "lacks driver 'pv_yield'" in at.error[0].value
    assert not at.download_button


def test_estimate_page_offers_brief_downloads(app_env: Path) -> None:
    """On the bundled corpus and the real replication model: the Estimate page has the four brief downloads."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["solution"] = "ams-schoonschip-canal-heat"
    at.query_params["city"] = "krakow"
    at.run()
    at._page_hash = calc_hash("estimate")
    at.run()
    assert not at.exception, at.exception
    labels = [d.proto.label for d in at.download_button]
    assert labels == ["Download PDF", "Download HTML", "Download Markdown", "Download Word (DOCX)"], labels
    assert all(d.proto.deferred_file_id for d in at.download_button)
    assert any("stand-alone brief" in c.value for c in at.caption)


def test_brief_page_with_defaults_asks_for_a_missing_scale_inline(app_env: Path) -> None:
    """On the bundled corpus: a solution whose source site gives no scale is asked for beside it, in words."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["solution"] = "ams-schoonschip-pv-heatpumps"
    at.run()
    at._page_hash = calc_hash("brief")
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    key = "brief_scale_ams-schoonschip-pv-heatpumps_rooftop-pv"
    assert at.text_input(key=key).value == "", "asked for, not hidden in a collapsed box"
    assert any("gives no scale" in w.value for w in at.warning)
    assert at.button(key="brief_build").disabled, "no brief without the scale"
    shown = " ".join([w.value for w in at.warning] + [c.value for c in at.caption] + [t.label for t in at.text_input]
                     + [str(t.help) for t in at.text_input])
    assert "--scale" not in shown and "--param" not in shown
    at.text_input(key=key).input("1,5").run()
    at.text_input(key="brief_scale_ams-schoonschip-pv-heatpumps_battery-storage").input("-3").run()
    assert any("more than 0 and at most 10,000,000 kWh" in e.value for e in at.error), [e.value for e in at.error]
    assert at.button(key="brief_build").disabled


def test_brief_page_in_polish_builds_a_polish_brief(brief_app: dict[str, int]) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "pl"
    at.query_params["solution"] = "test-battery-site"
    at.query_params["city"] = "Kraków"
    at.run()
    at._page_hash = calc_hash("brief")
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Raport o powieleniu rozwiązania"
    at.button(key="brief_build").click().run()
    assert not at.exception and not at.error, (at.exception, at.error)
    preview = [m.value for m in at.markdown if m.value.startswith("# Raport o powieleniu rozwiązania – Kraków")]
    assert preview and "## Streszczenie dla decydentów" in preview[0] and "27,7" in preview[0]
    assert "Rekordy bazy wiedzy są w języku angielskim" in preview[0]
