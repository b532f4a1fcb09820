"""The PDF brief as a council reads it: no header word or number broken, payback and NPV on page 1, whole sources."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

import pytest
from fpdf import FPDF
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.loader import run_ingest
from kb.briefs.build import BriefRequest, build_brief
from kb.briefs.formats import render
from kb.briefs.model import Brief, Table
from kb.briefs.pdf import ASSETS, FONT, PAD, column_widths, keep_together
from kb.briefs.plan import build_plan_brief
from kb.embeddings import FakeEmbedder
from kb.plans.evaluate import load_context, run_plan
from kb.plans.model import read_plan
from kb.replication.simulation import Estimate, Metric
from kb.store import database
from tests.factories import BRIEF_DATE, BRIEF_SEED, build_brief_corpus, fake_estimate, fake_fit, no_lessons

ROOT = Path(__file__).resolve().parents[2]
KRAKOW = ROOT / "solutions" / "plans" / "krakow-example-district.toml"
NUMBER = re.compile(r"[−-]?\d[\d,]*(?:\.\d+)?")
INTERNAL_ID = re.compile(r"\b[a-z][a-z0-9-]*#\d+\b")


def _metric(name: str, unit: str, p10: float, p50: float, p90: float) -> Metric:
    return Metric(name, unit, name, p10, p50, p90, p50)


def with_economics(solution_id: str, city: str, scale: float | dict[str, float] | None, seed: int) -> Estimate:
    """The fixture estimate with a net present value and an internal rate of return, as the model now reports."""
    est = fake_estimate(solution_id, city, scale, seed)
    metrics = {**est.metrics, "npv": _metric("npv", "EUR", -310000.0, -204500.0, -98000.0),
               "irr": _metric("irr", "", -0.02, 0.011, 0.034)}
    return replace(est, metrics=metrics)


@pytest.fixture(scope="module")
def brief_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("briefpdf")
    db = tmp / "kb.sqlite"
    result = run_ingest(build_brief_corpus(tmp / "corpus"), db, FakeEmbedder())
    assert not result.errors, result.errors
    return db


@pytest.fixture(scope="module")
def brief(brief_db: Path) -> Brief:
    req = BriefRequest(["test-battery-site", "test-canal-heat"], "krakow", date=BRIEF_DATE, seed=BRIEF_SEED)
    return build_brief(database.get_engine(brief_db, create=False), req, with_economics, fake_fit, no_lessons)


def pdf_pages(brief: Brief) -> list[str]:
    """The text of each page as pypdf extracts it, non-breaking spaces read as spaces."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(render(brief, "pdf")))
    return [p.extract_text().replace("\u00a0", " ") for p in reader.pages]


def _tables(brief: Brief) -> list[Table]:
    return [b for s in brief.sections for b in s.blocks if isinstance(b, Table)]


def assert_no_word_or_number_broken(brief: Brief) -> None:
    lines = [ln for page in pdf_pages(brief) for ln in page.split("\n")]
    words = {w for ln in lines for w in re.findall(r"[\w₂%/'()\-–.,·]+", ln)}
    for table in _tables(brief):
        for header in table.header:
            for word in header.split():
                assert any(word in w for w in words), f"header word broken or missing: {word!r} of {header!r}"
        for row in table.rows:
            for cell in row:
                for number in NUMBER.findall(cell.replace("**", "")):
                    if len(number.strip("−-")) < 4:
                        continue  # short figures could match anywhere; the long ones are the ones that split
                    assert any(re.search(rf"(?<![\d,.]){re.escape(number)}(?![\d,])", ln) for ln in lines), \
                        f"number split across lines or missing: {number!r} in {cell!r}"


def test_no_header_word_or_number_is_broken(brief: Brief) -> None:
    assert_no_word_or_number_broken(brief)


def test_summary_page_has_payback_npv_and_the_decisions(brief: Brief) -> None:
    first = pdf_pages(brief)[0]
    assert "simple payback" in first and "net present value (NPV)" in first and "−204,500 EUR" in first
    assert "What the city must decide" in first and "The scale" in first
    assert "Random seed" not in first  # the seed is in the annex
    title_lines = first.split("\n")[:3]
    assert not any("  " in ln for ln in title_lines), title_lines  # no justified gaps in the title


def test_methods_and_seed_in_the_annex(brief: Brief) -> None:
    annex = next(s for s in brief.sections if s.title == "Assumptions")
    text = " ".join(getattr(b, "text", "") for b in annex.blocks)
    assert "Annex: methods" in text and f"random seed {BRIEF_SEED}" in text
    assert brief.sections[0].title == "Executive summary" and brief.sections[-1] is annex


def test_every_source_whole_with_its_url(brief: Brief) -> None:
    text = "".join(pdf_pages(brief)).replace("\n", "")
    with_url = [s for s in brief.sources if s.url]
    assert with_url and all(s.url.startswith("https://") for s in with_url)
    for s in brief.sources:
        assert s.title[:1].isupper() or s.title[:1].isdigit() or not s.title[:1].isalpha(), s.title
        assert s.title.replace(" ", "") in text.replace(" ", ""), s.title
        if s.url:
            assert s.url in text.replace(" ", ""), s.url


def test_lessons_are_separate_items(brief: Brief) -> None:
    lessons = next(s for s in brief.sections if s.title == "Lessons learned")
    assert all(not isinstance(b, Table) for b in lessons.blocks)
    assert len(lessons.blocks) >= 2  # a title line, then its summary


def test_records_language_is_stated(brief: Brief) -> None:
    assert "written in English" in pdf_pages(brief)[0]


@pytest.fixture(scope="module")
def plan_brief(tmp_path_factory: pytest.TempPathFactory) -> Brief:
    db = tmp_path_factory.mktemp("planbriefpdf") / "kb.sqlite"
    result = run_ingest(ROOT / "solutions", db, FakeEmbedder())
    assert not result.errors, result.errors
    engine = database.get_engine(db)
    spec = read_plan(KRAKOW)
    return build_plan_brief(run_plan(spec, load_context(engine, spec.city), samples=100), "2025-01-01",
                            engine=engine)


def test_plan_brief_sources_resolve_to_records_with_urls(plan_brief: Brief) -> None:
    resolved = [s for s in plan_brief.sources if ", source S" in s.origin]
    assert len(resolved) >= 10 and sum(1 for s in resolved if s.url.startswith("https://")) >= 8
    titles = [s.title for s in plan_brief.sources]
    assert not any(re.match(r"^[a-z][a-z0-9-]+ S\d+:", t) for t in titles), titles  # no "deep-retrofit S1: …"


def test_plan_brief_has_no_internal_ids_and_no_broken_words(plan_brief: Brief) -> None:
    pages = pdf_pages(plan_brief)
    assert not INTERNAL_ID.search("\n".join(pages)), INTERNAL_ID.search("\n".join(pages))
    assert "(measure 1)" in "\n".join(pages)
    assert "simple payback" in pages[0] and "net present value" in pages[0]
    assert_no_word_or_number_broken(plan_brief)


WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789,.%", min_size=1, max_size=12)
CELL = st.lists(WORD, min_size=1, max_size=6).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=2, max_value=8).flatmap(
    lambda n: st.tuples(st.lists(CELL, min_size=n, max_size=n),
                        st.lists(st.lists(CELL, min_size=n, max_size=n), min_size=1, max_size=5))))
def test_column_widths_hold_every_word_whole(table: tuple[list[str], list[list[str]]]) -> None:
    header, rows = table
    pdf = FPDF()
    pdf.add_font(FONT, "", str(ASSETS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(ASSETS / "DejaVuSans-Bold.ttf"))
    size, widths = column_widths(pdf, header, rows, 174.0)
    assert abs(sum(widths) - 174.0) < 1e-6
    for i, w in enumerate(widths):
        pdf.set_font(FONT, "B", size)
        longest = max(pdf.get_string_width(x) for x in header[i].split())
        pdf.set_font(FONT, "", size)
        longest = max([longest, *(pdf.get_string_width(x) for r in rows for x in r[i].split())])
        if longest + 2 * PAD < 174.0 / len(widths):  # words that can fit at all are never broken
            assert w >= longest + 2 * PAD, (i, w, longest)


def test_a_number_keeps_its_unit() -> None:
    assert keep_together("11,881 kWp and 76 % and 3 homes") == "11,881\u00a0kWp and 76\u00a0% and 3\u00a0homes"
    assert keep_together("of 8,760 hours") == "of 8,760 hours"
