"""The plan brief's "Hour by hour" section: PED status, KPI table, typical weeks, monthly bars, load-duration curve."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.loader import run_ingest
from kb.briefs.formats import render
from kb.briefs.model import Brief, Paragraph, Section, Table
from kb.briefs.plan import build_plan_brief
from kb.embeddings import FakeEmbedder
from kb.plans.evaluate import PlanResult, load_context, run_plan
from kb.plans.hourly import _duration
from kb.plans.model import read_plan
from kb.store import database
from kb.views.plan import duration_caption, duration_rows

ROOT = Path(__file__).resolve().parents[2]
KRAKOW = ROOT / "solutions" / "plans" / "krakow-example-district.toml"


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("planbriefhourly") / "kb.sqlite"
    result = run_ingest(ROOT / "solutions", db, FakeEmbedder())
    assert not result.errors, result.errors
    return db


@pytest.fixture(scope="module")
def krakow(corpus_db: Path) -> PlanResult:
    spec = read_plan(KRAKOW)
    return run_plan(spec, load_context(database.get_engine(corpus_db), spec.city), samples=100)


@pytest.fixture(scope="module")
def brief(krakow: PlanResult) -> Brief:
    return build_plan_brief(krakow, "2025-01-01")


def _section(brief: Brief) -> Section:
    return next(s for s in brief.sections if s.title == "Hour by hour")


def test_duration_curve_is_non_increasing_and_starts_at_the_peak_net_import(krakow: PlanResult) -> None:
    h = krakow.hourly
    assert h is not None, krakow.hourly_unavailable
    d = h["duration"]
    kw, hours = d["net_import_kw"], d["hours"]
    assert len(kw) == len(hours) <= 102  # every 1 % of the hours plus the first and last: small JSON
    assert hours[0] == 1 and hours[-1] == 8760
    assert all(a >= b for a, b in zip(kw, kw[1:], strict=False))
    # import and export never in the same hour: the largest net import is the peak import, the smallest the export
    assert kw[0] == pytest.approx(h["kpis"]["peak_import_kw"], abs=1e-3)
    assert kw[-1] == pytest.approx(-h["kpis"]["peak_export_kw"], abs=1e-3)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1e4), st.floats(0, 1e4)), min_size=1, max_size=400))
def test_duration_of_any_series_is_sorted_and_keeps_both_ends(flows: list[tuple[float, float]]) -> None:
    imp, exp = np.array([f[0] for f in flows]), np.array([f[1] for f in flows])
    d = _duration(imp, exp)
    net = imp - exp
    assert d["net_import_kw"][0] == pytest.approx(net.max(), abs=1e-3)
    assert d["net_import_kw"][-1] == pytest.approx(net.min(), abs=1e-3)
    assert all(a >= b for a, b in zip(d["net_import_kw"], d["net_import_kw"][1:], strict=False))
    assert d["hours"][0] == 1 and d["hours"][-1] == len(flows) and len(d["hours"]) <= 101


def test_brief_states_the_ped_status_for_every_definition(krakow: PlanResult, brief: Brief) -> None:
    assert krakow.hourly is not None
    sec = _section(brief)
    defs = krakow.hourly["ped"]["definitions"]
    status = next(b.text for b in sec.blocks if isinstance(b, Paragraph) and "PED definitions tested" in b.text)
    assert "Boundary: geographical boundary of the district" in status
    for d in defs:
        assert d["name"] in status
    table = next(b for b in sec.blocks if isinstance(b, Table) and b.header[0] == "definition")
    assert {r[0]: r[1] for r in table.rows} == {d["name"]: "met" if d["met"] else "not met" for d in defs}
    assert any("central estimate" in b.text for b in sec.blocks if isinstance(b, Paragraph))
    md = render(brief, "md").decode()
    assert "## Hour by hour" in md and "PEDautonomous" in md and "not met" in md


def test_brief_kpi_table_has_units(brief: Brief) -> None:
    table = next(b for b in _section(brief).blocks if isinstance(b, Table) and b.header[0] == "KPI")
    units = {r[0]: r[2] for r in table.rows}
    assert units["Peak import"] == "kW" and units["Hours of net import"] == "h/yr"
    assert units["Self-consumption"].startswith("%") and units["Electricity imported"] == "MWh/yr"
    assert "Battery cycles" in units  # the Kraków plan has a battery


def test_brief_has_the_week_monthly_and_duration_charts_in_every_format(brief: Brief) -> None:
    charts = {c.title: c for c in brief.xy_charts()}
    winter = charts["A typical winter week: PV and load, import and export"]
    summer = charts["A typical summer week: PV and load, import and export"]
    for week in (winter, summer):
        assert [s.label for s in week.series] == ["PV", "load", "import", "export"]
        assert all(len(s.values) == 168 for s in week.series)
    assert max(charts["Battery state of charge in the typical weeks"].series[1].values) > 0
    monthly = charts["Electricity imported and exported per month"]
    assert [s.label for s in monthly.series] == ["import", "export"] and all(len(s.values) == 12
                                                                              for s in monthly.series)
    duration = charts["Load-duration curve of net import"]
    assert "hours a year" in duration.caption and "kW" in duration.caption
    html = render(brief, "html").decode()
    assert html.count("<svg") == len(brief.charts()) + len(charts) and "<polyline" in html
    assert render(brief, "pdf").startswith(b"%PDF")
    with zipfile.ZipFile(io.BytesIO(render(brief, "docx"))) as z:
        images = [n for n in z.namelist() if n.startswith("word/media/")]
    assert len(images) == len(brief.charts()) + len(charts)


def test_page_rows_for_the_duration_curve(krakow: PlanResult) -> None:
    rows = duration_rows(krakow)
    assert rows[0]["hours"] == 1 and rows[-1]["hours"] == 8760
    caption = duration_caption(krakow)
    assert caption.startswith("Read it across: the district imports more than ") and "hours a year" in caption


def test_city_without_climate_gives_the_reason_in_one_sentence(corpus_db: Path) -> None:
    spec = read_plan(KRAKOW)
    ctx = load_context(database.get_engine(corpus_db), spec.city)
    drivers = {k: v for k, v in ctx.city.drivers.items() if not k.startswith("temp_")}
    res = run_plan(spec, replace(ctx, city=replace(ctx.city, drivers=drivers)), samples=50)
    assert res.hourly is None
    sec = _section(build_plan_brief(res, "2025-01-01"))
    assert len(sec.blocks) == 1 and isinstance(sec.blocks[0], Paragraph)
    text = sec.blocks[0].text
    assert text.startswith("No hourly balance: Kraków has no monthly climate") and text.count(". ") == 0
    assert not duration_rows(res) and duration_caption(res) == ""
    assert not [c for c in build_plan_brief(res, "2025-01-01").xy_charts()]
