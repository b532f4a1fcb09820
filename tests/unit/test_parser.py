"""Data-driven parser tests: each fixture file is parsed and compared with its golden JSON summary."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kb.records.model import Record
from kb.records.parse import parse_file
from kb.records.validate import validate_record

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "parser"
CASES = sorted(FIXTURES.glob("*.md"))


def summary(rec: Record) -> dict[str, object]:
    return {
        "id": rec.id,
        "kind": rec.kind,
        "title": rec.title,
        "sections": [[s.title, s.line] for s in rec.sections],
        "sources": [s.id for s in rec.sources],
        "quantities": [
            {"item": q.item, "value": q.value, "low": q.low, "mid": q.mid, "high": q.high, "unit": q.unit,
             "evidence": q.evidence, "sources": q.sources, "key": q.key, "line": q.line, "missing": q.missing}
            for q in rec.quantities
        ],
        "barriers": [[b.title, b.type, b.outcome, b.line] for b in rec.barriers],
    }


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_parse_matches_golden(path: Path) -> None:
    rec, errors = parse_file(path, path.name)
    assert errors == []
    assert validate_record(rec) == []
    golden = path.with_suffix(".json")
    got = summary(rec)
    if os.environ.get("KB_UPDATE_GOLDEN"):  # regenerate, then review the diff
        golden.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}: run with KB_UPDATE_GOLDEN=1 and review it"
    assert got == json.loads(golden.read_text(encoding="utf-8"))


def test_line_numbers_point_at_the_table_row() -> None:
    path = FIXTURES / "solution_basic.md"
    rec, _ = parse_file(path)
    lines = path.read_text(encoding="utf-8").split("\n")
    for q in rec.quantities:
        assert q.item in lines[q.line - 1]


def test_bom_and_crlf_give_the_same_record_as_plain_text(tmp_path: Path) -> None:
    plain = (FIXTURES.parent / "corpus" / "measure-types" / "test-pv.md")
    a, _ = parse_file(plain)
    b, _ = parse_file(FIXTURES / "bom_crlf.md")
    assert (a.id, a.title, [q.mid for q in a.quantities]) == (b.id, b.title, [q.mid for q in b.quantities])


def test_missing_value_row_has_no_number() -> None:
    rec, _ = parse_file(FIXTURES / "city_missing_driver.md")
    pef = next(q for q in rec.quantities if q.key == "pef_electricity")
    assert pef.missing and pef.value is None and pef.evidence == "" and pef.sources == []
