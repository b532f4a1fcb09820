"""Briefs in Polish: the frame (headings, labels, sentences) in Polish, numbers with a decimal comma, the records in
English and the brief saying so; a golden Polish brief; `kb brief --lang pl` and `kb plan --brief --lang pl`."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ingest.loader import run_ingest
from kb.briefs.build import BriefRequest, build_brief
from kb.briefs.formats import render
from kb.briefs.model import Brief, Table
from kb.briefs.plan import build_plan_brief
from kb.briefs.render import to_markdown
from kb.cli import main
from kb.embeddings import FakeEmbedder
from kb.plans.evaluate import load_context, run_plan
from kb.plans.model import read_plan
from kb.replication.simulation import Estimate
from kb.replication.solution import estimate_solution
from kb.store import database
from tests.factories import BRIEF_DATE, BRIEF_SEED, FIXTURES, build_brief_corpus, fake_estimate, fake_fit, no_lessons

ROOT = Path(__file__).resolve().parents[2]
GOLDEN_PL = FIXTURES / "golden" / "brief-test-battery-site-krakow-pl.md"
KRAKOW_PLAN = ROOT / "solutions" / "plans" / "krakow-example-district.toml"
SOL = "ams-schoonschip-pv-heatpumps"
SCALES: dict[str, float | dict[str, float]] = {SOL: {"rooftop-pv": 500, "battery-storage": 500}}
RECORDS_IN_ENGLISH = "Rekordy bazy wiedzy są w języku angielskim"
DECIMAL_COMMA = re.compile(r"(?<![\d,])\d+,\d+(?![\d,])")  # 1,5 — never read as a thousands group in Polish
POLISH_HEADS = ["Streszczenie dla decydentów", "Rozwiązanie w miejscu realizacji", "Dopasowanie do miasta Kraków",
                "Szacowane efekty w mieście Kraków", "Godzina po godzinie", "Koszty i finansowanie", "Bariery",
                "Wnioski z realizacji", "Kolejne kroki", "Założenia", "Źródła"]


def pdf_text(brief: Brief) -> list[str]:
    """Each page's text as pypdf extracts it, no-break spaces (Polish digit groups) read as spaces."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(render(brief, "pdf")))
    return [p.extract_text().replace("\u00a0", " ") for p in reader.pages]


def assert_no_header_word_broken(brief: Brief, pages: list[str]) -> None:
    """Every word of every table header is found whole on some line of the PDF (no "warto ść")."""
    words = {w for page in pages for ln in page.split("\n") for w in re.findall(r"[\w₂%/'()\-–.,·]+", ln)}
    for table in (b for s in brief.sections for b in s.blocks if isinstance(b, Table)):
        for header in table.header:
            for word in header.split():
                assert any(word in w for w in words), f"header word broken or missing: {word!r} of {header!r}"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The bundled corpus, ingested with the fake embedder."""
    db = tmp_path_factory.mktemp("briefpl") / "kb.sqlite"
    result = run_ingest(ROOT / "solutions", db, FakeEmbedder())
    assert not result.errors, result.errors
    return database.get_engine(db, create=False)


@pytest.fixture(scope="module")
def schoonschip_pl(corpus: Engine) -> Brief:
    """Schoonschip's rooftop PV and batteries replicated to Kraków at 500 kWp / 500 kWh, in Polish."""
    def few_samples(solution_id: str, city: str, scale: float | dict[str, float] | None, seed: int) -> Estimate:
        return estimate_solution(corpus, solution_id, city, scale, samples=200, seed=seed)

    req = BriefRequest([SOL], "krakow", scales=SCALES, date="2025-01-01", lang="pl")
    return build_brief(corpus, req, few_samples)


def test_polish_replication_brief_has_polish_headings_and_says_the_records_are_english(schoonschip_pl: Brief) -> None:
    md = to_markdown(schoonschip_pl)
    assert re.findall(r"^## (.+)$", md, flags=re.M) == POLISH_HEADS
    assert md.startswith("# Raport o powieleniu rozwiązania – Kraków: ")
    assert "### Co musi zdecydować miasto" in md and "**Skala:** raport zakłada 500 kWp" in md
    assert RECORDS_IN_ENGLISH in md and "- **Język rekordów:** angielski" in md
    assert "Z magazynem energii autokonsumpcja rośnie z 40 % do 76 %" in md
    for english in ("Executive summary", "What the city must decide", "Next steps", "Annex: methods", "Hour by hour"):
        assert english not in md, english
    assert "20 699" in md.replace("\u00a0", " ")  # space-grouped thousands: the battery's yearly value in EUR
    title = next(t for sid, t in schoonschip_pl.solutions if sid == SOL)
    assert title in md  # the record's own title stays in English


def test_polish_pdf_has_the_decimal_comma_and_no_broken_header_word(schoonschip_pl: Brief) -> None:
    pages = pdf_text(schoonschip_pl)
    text = "\n".join(pages)
    assert "Streszczenie dla decydentów" in pages[0] and "Co musi zdecydować miasto" in pages[0]
    assert RECORDS_IN_ENGLISH in pages[0].replace("\n", " ")
    assert DECIMAL_COMMA.search(text), "no decimal comma in the Polish PDF"
    ranges = [c for s in schoonschip_pl.sections if s.title.startswith(("Szacowane", "Koszty"))
              for b in s.blocks if isinstance(b, Table) and "P50" in b.header for row in b.rows for c in row[2:5]]
    assert ranges and not [c for c in ranges if re.search(r"\d\.\d", c)], ranges  # the brief's own figures
    assert "strona 1/" in pages[0]
    assert_no_header_word_broken(schoonschip_pl, pages)


def test_english_is_still_the_default(corpus: Engine) -> None:
    def few_samples(solution_id: str, city: str, scale: float | dict[str, float] | None, seed: int) -> Estimate:
        return estimate_solution(corpus, solution_id, city, scale, samples=200, seed=seed)

    md = to_markdown(build_brief(corpus, BriefRequest([SOL], "krakow", scales=SCALES, date="2025-01-01"),
                                 few_samples))
    assert "## Executive summary" in md and RECORDS_IN_ENGLISH not in md and "20,699 EUR" in md


def test_polish_plan_brief_of_the_krakow_example(corpus: Engine) -> None:
    spec = read_plan(KRAKOW_PLAN)
    result = run_plan(spec, load_context(corpus, spec.city), samples=100)
    brief = build_plan_brief(result, "2025-01-01", engine=corpus, lang="pl")
    md = to_markdown(brief)
    heads = re.findall(r"^## (.+)$", md, flags=re.M)
    assert heads[:5] == ["Streszczenie dla decydentów", "Dzielnica", "Bilans według nośników",
                         "Działania w kolejności stosowania", "Godzina po godzinie"]
    assert heads[-2:] == ["Założenia", "Źródła"]
    assert "Co musi zdecydować miasto" in md and "Roczny bilans energii pierwotnej" in md
    assert "(działanie 1)" in md and RECORDS_IN_ENGLISH in md
    assert "Typowy tydzień zimowy: fotowoltaika i zapotrzebowanie, pobór i oddanie" in md
    pages = pdf_text(brief)
    assert "Streszczenie dla decydentów" in pages[0] and DECIMAL_COMMA.search("\n".join(pages))
    assert_no_header_word_broken(brief, pages)


@pytest.fixture
def fixture_db(tmp_path: Path, fake_embedder) -> Path:  # type: ignore[no-untyped-def]
    corpus = build_brief_corpus(tmp_path / "corpus")
    db = tmp_path / "kb.sqlite"
    result = run_ingest(corpus, db, fake_embedder)
    assert not result.errors, result.errors
    return db


def test_golden_polish_markdown(fixture_db: Path) -> None:
    """The Polish twin of the English golden brief (tests/unit/test_brief.py): the frame changes, the data do not."""
    req = BriefRequest(solutions=["test-battery-site"], city="krakow", date=BRIEF_DATE, seed=BRIEF_SEED, lang="pl")
    md = to_markdown(build_brief(database.get_engine(fixture_db, create=False), req, fake_estimate, fake_fit,
                                 no_lessons))
    if os.environ.get("KB_UPDATE_GOLDEN"):
        GOLDEN_PL.write_text(md, encoding="utf-8")
    assert md == GOLDEN_PL.read_text(encoding="utf-8")


def test_kb_brief_lang_pl_writes_a_polish_pdf(fixture_db: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from pypdf import PdfReader

    import kb.briefs.build as brief_mod

    monkeypatch.setattr(brief_mod, "replication_estimate", lambda engine, params=None: fake_estimate)
    monkeypatch.setattr(brief_mod, "replication_fit", lambda engine: fake_fit)
    out = tmp_path / "brief-pl.pdf"
    code = main(["brief", "test-battery-site", "--city", "krakow", "--date", BRIEF_DATE, "--lang", "pl",
                 "--scale", "test-battery-site=2000", "--output", str(out), "--db", str(fixture_db)])
    assert code == 0 and out.exists()
    first = PdfReader(str(out)).pages[0].extract_text().replace("\u00a0", " ")
    assert "Streszczenie dla decydentów" in first and "Miasto:" in first
    assert RECORDS_IN_ENGLISH in first.replace("\n", " ")


def test_kb_brief_refuses_an_unknown_language(fixture_db: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "brief.pdf"
    with pytest.raises(SystemExit) as exc:
        main(["brief", "test-battery-site", "--city", "krakow", "--lang", "xx", "--output", str(out),
              "--db", str(fixture_db)])
    assert exc.value.code == 2 and not out.exists()
    assert "--lang" in capsys.readouterr().err
