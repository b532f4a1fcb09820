"""Replication briefs: golden Markdown, every figure referenced, safe HTML, PDF text with diacritics, DOCX, CLI."""

from __future__ import annotations

import io
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ingest.loader import run_ingest
from kb.briefs.build import BriefRequest, build_brief
from kb.briefs.data import BriefError
from kb.briefs.formats import render
from kb.briefs.model import Brief, fmt
from kb.briefs.render import to_html, to_markdown
from kb.cli import CliError, main
from kb.cli.brief import parse_scales
from kb.records.vocab import EVIDENCE_LEVELS
from kb.store import database
from tests.factories import (
    BRIEF_DATE,
    BRIEF_SEED,
    FIXTURES,
    app_lesson,
    build_brief_corpus,
    fake_estimate,
    fake_fit,
    no_lessons,
)

GOLDEN = FIXTURES / "golden" / "brief-test-battery-site-krakow.md"
REF = re.compile(r"\[\d+(?:; \d+)*\]")
LABELS = re.compile(r"\bP[159]0\b|CO2|\bS\d+\b")


@pytest.fixture
def brief_db(tmp_path: Path, fake_embedder) -> Path:  # type: ignore[no-untyped-def]
    """The fixture corpus plus the brief fixtures (a Kraków city), ingested with the fake embedder."""
    corpus = build_brief_corpus(tmp_path / "corpus")
    db = tmp_path / "kb.sqlite"
    result = run_ingest(corpus, db, fake_embedder)
    assert not result.errors, result.errors
    return db


def make_brief(db: Path, **kw) -> Brief:  # type: ignore[no-untyped-def]
    req = BriefRequest(solutions=kw.pop("solutions", ["test-battery-site"]), city=kw.pop("city", "krakow"),
                       date=BRIEF_DATE, seed=BRIEF_SEED, **kw)
    return build_brief(database.get_engine(db, create=False), req, fake_estimate, fake_fit, no_lessons)


def test_golden_markdown(brief_db: Path) -> None:
    md = to_markdown(make_brief(brief_db))
    if os.environ.get("KB_UPDATE_GOLDEN"):
        GOLDEN.write_text(md, encoding="utf-8")
    assert md == GOLDEN.read_text(encoding="utf-8")


def test_same_inputs_same_bytes(brief_db: Path) -> None:
    a, b = make_brief(brief_db), make_brief(brief_db)
    for f in ("md", "html", "pdf"):
        assert render(a, f) == render(b, f)


def test_sections_in_order(brief_db: Path) -> None:
    md = to_markdown(make_brief(brief_db))
    heads = re.findall(r"^## (.+)$", md, flags=re.M)
    assert heads == ["Executive summary", "The solution as built at the source", "Fit for Kraków",
                     "Estimated impact in Kraków", "Costs and financing", "Barriers", "Lessons learned",
                     "Next steps", "Assumptions", "Sources"]
    assert md.startswith("# Replication brief for Kraków")
    assert "Knowledge-base version:** " in md and BRIEF_DATE in md


def numeric_units(md: str) -> list[tuple[str, str]]:
    """(kind, text) of every table row and sentence of the body that holds a figure (names are not figures)."""
    titles = re.search(r"^- \*\*Solutions:\*\* (.+)$", md, flags=re.M)
    body = md.split("\n## ", 1)[1].split("\n## Sources", 1)[0]
    for name in re.split(r" \([a-z0-9-]+\)(?:; |$)", titles.group(1) if titles else ""):
        if name:
            body = body.replace(name, "NAME")
    out: list[tuple[str, str]] = []
    in_code = False
    lines = body.split("\n")
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and re.fullmatch(r"\|(---\|)+", lines[i + 1]):
            continue  # a table header
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code or line.startswith("#") or not line.strip() or re.fullmatch(r"\|(---\|)+", line):
            continue
        if line.startswith("|"):
            if "| not published |" not in line:  # a figure the sources do not give
                out.append(("row", line))
            continue
        text = line.removeprefix("- ")
        out += [("sentence", s) for s in re.split(r"(?<=[.!?])\s+(?=[A-Z*(])", text)]
    return [(k, t) for k, t in out if re.search(r"\d", LABELS.sub("", REF.sub("", t)))]


def test_every_figure_has_a_reference_and_evidence(brief_db: Path) -> None:
    md = to_markdown(make_brief(brief_db, solutions=["test-battery-site", "test-canal-heat"]))
    units = numeric_units(md)
    assert len(units) > 20
    for kind, text in units:
        assert REF.search(text), f"{kind} without a source reference: {text}"
        if kind == "row" and not text.startswith("| input |") and "not published" not in text:
            assert any(f"| {e} |" in text for e in (*EVIDENCE_LEVELS, "estimate")), f"no evidence level: {text}"
    refs = {int(n) for m in REF.findall(md) for n in m[1:-1].split("; ")}
    listed = {int(n) for n in re.findall(r"^(\d+)\. ", md.split("\n## Sources", 1)[1], flags=re.M)}
    assert refs == listed  # every reference resolves, and every listed source is used


def test_summary_states_p50_with_range(brief_db: Path) -> None:
    md = to_markdown(make_brief(brief_db))
    assert "CO₂ avoided: **27.7 tCO2/yr** (P10 21 – P90 34.5) [1] — estimate" in md
    assert "| battery energy capacity | 2,000 | kWh | 2023 | design | [3] |" in md


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


HOSTILE = [app_lesson(id="evil", title="<script>alert(1)</script>", phase="planning", outcome="worked",
                      what_happened='<img src=x onerror="alert(2)"> and [click](javascript:alert(3))',
                      what_was_tried="**bold** `code` | pipe", applies_when="always", author="mallory")]


def test_html_self_contained_and_inert(brief_db: Path) -> None:
    brief = build_brief(database.get_engine(brief_db, create=False),
                        BriefRequest(["test-battery-site"], "Kraków", date=BRIEF_DATE, seed=BRIEF_SEED),
                        fake_estimate, fake_fit, lambda sid: HOSTILE)
    html = to_html(brief)
    parser = _Tags()
    parser.feed(html)
    source_urls = {s.url for s in brief.sources if s.url}
    assert source_urls
    tags = {t for t, _ in parser.tags}
    assert "script" not in tags and "img" not in tags and "iframe" not in tags and "link" not in tags
    assert "<svg" in html and "<style>" in html
    for tag, attrs in parser.tags:
        for name, value in attrs:
            assert not name.lower().startswith("on"), (tag, name)
            if name in ("src", "href", "xlink:href", "action"):
                assert value and (value.startswith("#") or value in source_urls), (tag, name, value)
    assert "javascript:" not in html.replace("javascript:alert(3)", "") or "href=\"javascript" not in html
    assert 'href="javascript' not in html
    md = to_markdown(brief)
    assert "<script" not in md and "<img" not in md and "](javascript" not in md


def test_pdf_text_has_diacritics_and_figures(brief_db: Path) -> None:
    from pypdf import PdfReader

    data = render(make_brief(brief_db), "pdf")
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Kraków" in text and "Tëstville" in text and "CO₂" in text
    for figure in ("27.7", "450", "800,000", "0.62", "2,000"):
        assert figure in text, figure
    assert len(reader.pages) >= 2


def test_pdf_covers_the_fellow_cities_diacritics() -> None:
    from fpdf import FPDF

    from kb.briefs.pdf import ASSETS

    pdf = FPDF()
    pdf.add_font("DejaVu", "", str(ASSETS / "DejaVuSans.ttf"))
    pdf.set_font("DejaVu", "", 10)
    sample = "Kraków Łódź źćżś ąęńó Budapest őűáé Bratislava ľščťžýäô Rīga āēīūņļķģš Københavnæøå " \
             "Matosinhos ãõçê Bilbao ñ¿¡ — € m² CO₂"
    missing = [c for c in sample if c != " " and ord(c) not in pdf.current_font.cmap]
    assert not missing
    assert (ASSETS / "LICENSE_DEJAVU.txt").exists()


def test_docx_opens(brief_db: Path) -> None:
    import docx

    doc = docx.Document(io.BytesIO(render(make_brief(brief_db), "docx")))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Kraków" in text and "Executive summary" in text
    assert len(doc.tables) >= 5 and len(doc.inline_shapes) == 1


def test_unknown_city_and_non_solution(brief_db: Path) -> None:
    with pytest.raises(BriefError, match="no city matches 'Atlantis'"):
        make_brief(brief_db, city="Atlantis")
    with pytest.raises(BriefError, match="is a city record"):
        make_brief(brief_db, solutions=["krakow"])


def test_scale_reaches_the_estimate(brief_db: Path) -> None:
    md = to_markdown(make_brief(brief_db, scales={"test-battery-site": 1000.0}))
    assert "at a scale of 1,000 kWh" in md and "**225 MWh/yr**" in md


def test_parse_scales() -> None:
    assert parse_scales(["a=12.5"], ["a", "b"]) == {"a": 12.5}
    assert parse_scales(["400"], ["a"]) == {"a": 400.0}
    assert parse_scales(["rooftop-pv=50", "battery-storage=100"], ["a"]) == \
        {"a": {"rooftop-pv": 50.0, "battery-storage": 100.0}}
    assert parse_scales(["b.rooftop-pv=50", "a=3"], ["a", "b"]) == {"b": {"rooftop-pv": 50.0}, "a": 3.0}
    for bad in (["x=1"], ["a=abc"], ["a=-1"], ["a=1", "a.pv=2"]):
        with pytest.raises(CliError):
            parse_scales(bad, ["a", "b"])
    with pytest.raises(CliError):
        parse_scales(["5"], ["a", "b"])


def test_fmt() -> None:
    assert [fmt(x) for x in (0, 0.123456, 1.5, 27.66, 450.2, 12345.6, -3.5, None)] == [
        "0", "0.123", "1.5", "27.7", "450", "12,346", "−3.5", "—"]


@pytest.mark.parametrize("fmt_name", ["md", "html", "pdf", "docx"])
def test_cli_writes_each_format(brief_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                fmt_name: str) -> None:
    import kb.briefs.build as brief_mod

    monkeypatch.setattr(brief_mod, "replication_estimate", lambda engine, params=None: fake_estimate)
    monkeypatch.setattr(brief_mod, "replication_fit", lambda engine: fake_fit)
    out = tmp_path / f"x.{fmt_name}"
    code = main(["brief", "test-battery-site", "--city", "Krakow", "--format", fmt_name, "--output", str(out),
                 "--db", str(brief_db), "--date", BRIEF_DATE, "--seed", str(BRIEF_SEED), "--scale",
                 "test-battery-site=2000"])
    assert code == 0 and out.stat().st_size > 1000
    if fmt_name == "md":
        assert out.read_text(encoding="utf-8") == GOLDEN.read_text(encoding="utf-8")


def test_cli_errors(brief_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["brief", "test-battery-site", "--city", "nowhere", "--db", str(brief_db)]) == 1
    assert "no city matches 'nowhere'" in capsys.readouterr().err
    assert main(["brief", "test-battery-site", "--city", "krakow", "--format", "pdf", "--db", str(brief_db)]) == 1
    assert "--output FILE is required" in capsys.readouterr().err


def test_deferred_download_callables(brief_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.ui import widgets

    brief = make_brief(brief_db)
    made = []

    def make() -> Brief:
        made.append(1)
        return brief

    makers = {}

    class Column:
        def download_button(self, label: str, data, **kw) -> None:  # type: ignore[no-untyped-def]
            makers[kw["key"].removeprefix("dl_")] = data

    monkeypatch.setattr(widgets.st, "columns", lambda n: [Column() for _ in range(n)])
    widgets.download_buttons(make, key="dl")
    assert set(makers) == {"pdf", "html", "md", "docx"}
    assert not made, "nothing is built before a click"
    assert makers["pdf"]().startswith(b"%PDF") and makers["html"]().startswith(b"<!DOCTYPE html>")
    assert makers["docx"]().startswith(b"PK") and makers["md"]().startswith(b"# Replication brief")
    assert len(made) == 4


def test_published_app_lesson_appears_once(brief_db: Path, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    from kb.accounts import Actor
    from kb.briefs.data import app_lessons
    from kb.lessons.service import create_lesson

    engine = database.get_engine(brief_db)
    staff = Actor.system("ewa")  # a published lesson straight away: the operator (people go through review)
    data = {"title": "Book the battery's grid connection a year ahead", "city": "krakow",
            "solutions": ["test-battery-site"], "phase": "permitting", "barrier_type": "technical",
            "summary": "The connection queue was long.", "what_happened": "The DSO queue took 11 months.",
            "what_was_tried": "An early application.", "outcome": "worked", "applies_when": "Always.",
            "status": "published"}
    create_lesson(engine, staff, data, fake_embedder)
    create_lesson(engine, staff, {**data, "title": "A draft nobody may read", "status": "draft"}, fake_embedder)
    brief = build_brief(engine, BriefRequest(["test-battery-site"], "krakow", date=BRIEF_DATE, seed=BRIEF_SEED),
                        fake_estimate, fake_fit, app_lessons(engine))
    md = to_markdown(brief)
    assert md.count("Book the battery") == 2  # the lessons list and its numbered source (or its record)
    assert "A draft nobody may read" not in md
    lesson_lines = md.split("## Lessons learned", 1)[1].split("\n## ", 1)[0]
    assert "11 months" in lesson_lines and all(REF.search(u[1]) for u in numeric_units(md))


def test_chart_svg_is_wellformed_and_inert(brief_db: Path) -> None:
    import xml.etree.ElementTree as ET

    from kb.briefs.charts import text_bars, to_svg

    chart = make_brief(brief_db).charts()[0]
    root = ET.fromstring(to_svg(chart))
    assert root.tag.endswith("svg")
    names = {el.tag.split("}")[-1] for el in root.iter()}
    assert names <= {"svg", "title", "rect", "line", "text"}
    assert all(not a.startswith("on") and "href" not in a for el in root.iter() for a in el.attrib)
    bars = text_bars(chart)
    assert len(bars) == len(chart.bars) and all("●" in b and not re.search(r"\d", b.split("|")[1]) for b in bars)


def test_default_estimate_fit_and_lessons_come_from_the_replication_model(brief_db: Path) -> None:
    """Without injected functions the brief runs kb.replication (imported directly, no plugin lookup)."""
    brief = build_brief(database.get_engine(brief_db, create=False),
                        BriefRequest(["test-battery-site"], "krakow", date=BRIEF_DATE, seed=BRIEF_SEED))
    md = to_markdown(brief)
    assert "transfer fit: **" in md and "No transfer-fit breakdown" not in md
    assert "| overall fit |" in md and "| input | value | low – high |" in md
    assert all(REF.search(text) for _, text in numeric_units(md))
