"""Hostile numbers and files on the command line and in plan uploads: refused in one sentence, never a traceback."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from ingest.loader import run_ingest
from kb.embeddings import FakeEmbedder
from kb.errors import InvalidInput, KbError, NotFound
from kb.plans.evaluate import evaluate_plan
from kb.plans.model import MAX_PLAN_BYTES, MAX_TOML_DEPTH, PlanError, parse_plan, parse_plan_bytes, read_plan
from kb.records.vocab import DRIVER_KEYS, MODEL_KEYS
from kb.replication.bounds import (
    DRIVER_BOUNDS,
    MAX_SAMPLES,
    PARAM_BOUNDS,
    SAMPLES,
    SCALE,
    SEED,
    Bound,
    check,
    driver_bound,
    param_bound,
)
from kb.replication.cities import CityFileNotFound, CityInvalid, city_from_dict, city_from_file, find_city
from kb.replication.simulation import PortfolioInvalid, estimate_measure
from kb.replication.solution import EstimateInvalid, estimate_solution, read_solution
from kb.store import database
from tests.factories import ROOT, build_replication_db

PLAN = ROOT / "solutions" / "plans" / "krakow-example-district.toml"
SMALL_PLAN = """[district]
name = "Small"
city = "krakow"
homes = {homes}

[district.baseline]
electricity = 1000
"""


@pytest.fixture(scope="module")
def rep_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_replication_db(tmp_path_factory.mktemp("numbers"))


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("numbers-plans") / "kb.sqlite"
    assert not run_ingest(ROOT / "solutions", db, FakeEmbedder()).errors
    return db


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Hostile city and plan files, written once."""
    d = tmp_path_factory.mktemp("hostile")
    (d / "broken-city.md").write_text("---\nid: [unclosed\n---\n", encoding="utf-8")
    (d / "latin1-city.md").write_bytes("---\nname: Kraków\n---\n".encode("latin-1"))
    (d / "alias-city.md").write_text("---\na: &x [1, 2]\nb: *x\n---\n", encoding="utf-8")
    (d / "deep-city.md").write_text("---\nx: " + "[" * 3000 + "]" * 3000 + "\n---\n", encoding="utf-8")
    (d / "homes.toml").write_text(SMALL_PLAN.format(homes="1e308"), encoding="utf-8")
    (d / "nested.toml").write_text("a = " + "[" * 10_000 + "]" * 10_000 + "\n", encoding="utf-8")
    (d / "latin1.toml").write_bytes(SMALL_PLAN.format(homes=10).replace("Small", "Café").encode("latin-1"))
    (d / "oversized.toml").write_text(SMALL_PLAN.format(homes=10) + "# " + "x" * MAX_PLAN_BYTES + "\n",
                                      encoding="utf-8")
    return d


def kb(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KB_MODEL="fake-hash")
    return subprocess.run([sys.executable, "-m", "kb.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=120)


def assert_refused(r: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 1 or 2, nothing on stdout, exactly one line on stderr starting 'error:', no traceback."""
    assert r.returncode in (1, 2), (r.returncode, r.stdout[-500:], r.stderr[-2000:])
    assert "Traceback" not in r.stderr and "Error:" not in r.stderr.replace("error:", ""), r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    for w in words:
        assert w in lines[0], lines[0]
    assert r.stdout == ""
    return lines[0]


# --- item 5 through the command line ---------------------------------------------------------------------------

@pytest.mark.parametrize("extra, words", [
    (["--scale", "1e308"], ["scale of test-pv", "1e+308", "at most 10,000,000 kWp"]),
    (["--scale", "nan"], ["scale", "nan", "not a finite number"]),
    (["--scale", "-5"], ["scale", "-5", "more than 0"]),
    (["--param", "lifetime=1e308"], ["lifetime", "1e+308", "from 1 to 100 yr"]),
    (["--param", "lifetime=0"], ["lifetime", "0", "from 1 to 100 yr"]),
    (["--param", "performance_ratio=inf"], ["performance_ratio", "inf", "not a finite number"]),
    (["--driver", "pv_yield=nan"], ["pv_yield", "nan", "not a finite number"]),
    (["--driver", "pv_yield=inf"], ["pv_yield", "inf", "not a finite number"]),
    (["--driver", "pv_yield=1e308"], ["pv_yield", "1e+308", "3,000 kWh/kWp/yr"]),
    (["--samples", "50000000"], ["--samples", "50,000,000", f"{MAX_SAMPLES:,}"]),
    (["--seed", "-1"], ["--seed", "-1"]),
    (["--scale=--"], ["--scale", "give a number"]),  # argparse hands the handler [] here
    (["--discount-rate", "nan"], ["--discount-rate", "nan", "not a finite number"]),
    (["--discount-rate", "0.9"], ["--discount-rate", "0.9", "from 0 to 0.3"]),
])
def test_estimate_refuses_unbounded_numbers(rep_db: Path, extra: list[str], words: list[str]) -> None:
    assert_refused(kb("estimate", "test-pv-site", "--city", "sunville", "--db", str(rep_db), *extra), *words)


@pytest.mark.parametrize("name, words", [
    ("missing-city.md", ["no city file missing-city.md"]),
    ("broken-city.md", ["broken-city.md", "not valid YAML"]),
    ("latin1-city.md", ["latin1-city.md", "not UTF-8"]),
    ("alias-city.md", ["alias-city.md", "aliases"]),
    ("deep-city.md", ["deep-city.md", "nested too deeply"]),
])
def test_estimate_city_file_missing_or_broken(rep_db: Path, hostile: Path, name: str, words: list[str]) -> None:
    assert_refused(kb("estimate", "test-pv-site", "--city", str(hostile / name), "--db", str(rep_db)), *words)


def test_brief_refuses_an_unbounded_scale_and_a_missing_directory(rep_db: Path, tmp_path: Path) -> None:
    assert_refused(kb("brief", "test-pv-site", "--city", "sunville", "--scale", "1e308", "--db", str(rep_db)),
                   "--scale 1e308", "at most 10,000,000")
    assert_refused(kb("brief", "test-pv-site", "--city", "sunville", "--scale", "nan", "--db", str(rep_db)),
                   "not a finite number")
    out = tmp_path / "missing" / "brief.md"
    assert_refused(kb("brief", "test-pv-site", "--city", "sunville", "-o", str(out), "--db", str(rep_db)),
                   "does not exist")
    assert not out.parent.exists()


@pytest.mark.parametrize("name, words", [
    ("homes.toml", ["invalid plan", "district.homes", "1e+308", "10,000,000 homes"]),
    ("nested.toml", ["invalid plan", f"nested more than {MAX_TOML_DEPTH} levels"]),
    ("latin1.toml", ["invalid plan", "the plan file is not UTF-8 text"]),
    ("oversized.toml", ["invalid plan", f"larger than {MAX_PLAN_BYTES:,} bytes"]),
])
def test_plan_refuses_hostile_files(corpus_db: Path, hostile: Path, name: str, words: list[str]) -> None:
    line = assert_refused(kb("plan", str(hostile / name), "--db", str(corpus_db)), *words)
    assert str(ROOT) not in line


def test_plan_samples_capped_like_the_file_and_brief_into_a_missing_directory(corpus_db: Path,
                                                                               tmp_path: Path) -> None:
    assert_refused(kb("plan", str(PLAN), "--samples", "50000000", "--db", str(corpus_db)),
                   "--samples", f"from 1 to {MAX_SAMPLES:,}")
    out = tmp_path / "nowhere" / "plan.md"
    assert_refused(kb("plan", str(PLAN), "--brief", str(out), "--db", str(corpus_db)), "does not exist")
    assert not out.parent.exists()
    good = tmp_path / "plan.md"
    r = kb("plan", str(PLAN), "--brief", str(good), "--samples", "100", "--db", str(corpus_db))
    assert r.returncode == 0, r.stderr
    assert good.read_text(encoding="utf-8").strip() and [p.name for p in tmp_path.iterdir()] == ["plan.md"]


# --- the one check: Hypothesis --------------------------------------------------------------------------------

BOUNDS = [SCALE, SAMPLES, SEED, *PARAM_BOUNDS.values(), *DRIVER_BOUNDS.values()]
numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-10**400, max_value=10**400),
                    st.sampled_from([1e308, -1e308, 5e-324, -0.0, 0, 1, 10**7, 10**7 + 1]),
                    st.text(max_size=20), st.none(), st.booleans())


class _Refused(InvalidInput):
    """The error class the tests hand to the check."""


@settings(max_examples=400, deadline=None)
@given(value=numbers, bound=st.sampled_from(BOUNDS))
def test_check_accepts_within_bounds_or_refuses_with_the_given_error(value: object, bound: Bound) -> None:
    try:
        x = check(value, bound, "the input", _Refused)
    except _Refused as exc:
        msg = str(exc)
        assert msg.startswith("the input: ") and "\n" not in msg and "allowed" in msg
        return
    assert math.isfinite(x) and bound.low <= x <= bound.high and not (bound.low_open and x == bound.low)


def test_every_driver_and_model_parameter_has_a_bound() -> None:
    assert set(DRIVER_BOUNDS) == set(DRIVER_KEYS)
    assert {k for keys in MODEL_KEYS.values() for k in keys} <= set(PARAM_BOUNDS)
    # the divisors of the model and of the derived metrics are bounded away from zero
    assert param_bound("lifetime").low >= 1  # capex / lifetime (cost per tCO2)
    for divisor in ("round_trip_efficiency", "reference_hdd", "displaced_efficiency", "ev_consumption"):
        assert param_bound(divisor).low_open, divisor
    assert param_bound("scop").low >= 1


@settings(max_examples=60, deadline=None)
@given(v=st.floats(allow_nan=True, allow_infinity=True), key=st.sampled_from(sorted(DRIVER_KEYS)))
def test_user_drivers_are_bounded(v: float, key: str) -> None:
    try:
        city = city_from_dict({"name": "Mine", "drivers": {key: v}})
    except CityInvalid as exc:
        assert key in str(exc)
        assert not driver_bound(key).contains(v)
    else:
        assert city.value(key) == v and driver_bound(key).contains(v)


@settings(max_examples=80, deadline=None)
@given(v=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**30, 10**400)))
def test_plan_homes_accepted_within_bounds_or_plan_error(v: float | int) -> None:
    text = SMALL_PLAN.format(homes=repr(v) if not isinstance(v, float) or math.isfinite(v)
                             else {"nan": "nan", "inf": "inf", "-inf": "-inf"}[str(v)])
    try:
        spec = parse_plan(text)
    except PlanError as exc:
        assert "district.homes" in str(exc) or "malformed TOML" in str(exc)
    else:
        assert spec.homes is not None and 0 <= spec.homes.mid <= 1e7


@pytest.mark.parametrize("depth", [MAX_TOML_DEPTH + 1, 400, 1000, 10_000])
@pytest.mark.parametrize("open_, close, inner", [("[", "]", ""), ("{a = ", "}", "1")])
def test_deep_toml_is_refused_before_parsing(depth: int, open_: str, close: str, inner: str) -> None:
    with pytest.raises(PlanError, match="nested more than"):
        parse_plan("x = " + open_ * depth + inner + close * depth + "\n")


def test_brackets_in_strings_and_comments_do_not_count() -> None:
    deep = "[" * 200
    text = SMALL_PLAN.format(homes=10).replace('city = "krakow"', f'city = "krakow"  # {deep}\n'
                                               f'description = "\\"{deep}"')
    text = text.replace('name = "Small"', f"name = '''{deep}'''")
    spec = parse_plan(text)
    assert spec.name == deep and spec.description == '"' + deep


def test_plan_bytes_latin1_and_oversized() -> None:
    with pytest.raises(PlanError, match="not UTF-8 text"):
        parse_plan_bytes(SMALL_PLAN.format(homes=10).replace("Small", "Café").encode("latin-1"), "up.toml")
    with pytest.raises(PlanError, match="larger than"):
        parse_plan_bytes(b"#" * (MAX_PLAN_BYTES + 1), "up.toml")
    assert parse_plan_bytes("\ufeff".encode() + SMALL_PLAN.format(homes=10).encode()).homes is not None


def test_read_plan_missing_and_hostile(hostile: Path) -> None:
    with pytest.raises(PlanError, match="no plan file"):
        read_plan(hostile / "nope.toml")
    for name in ("homes.toml", "nested.toml", "latin1.toml", "oversized.toml"):
        with pytest.raises(PlanError):
            read_plan(hostile / name)


# --- the library paths the app takes ---------------------------------------------------------------------------

def test_lifetime_zero_is_refused_not_divided(rep_db: Path) -> None:
    engine = database.get_engine(rep_db)
    with pytest.raises(EstimateInvalid, match="from 1 to 100 yr"):
        estimate_solution(engine, "test-pv-site", "sunville", params={"lifetime": 0})
    with pytest.raises(EstimateInvalid, match="scale of test-pv"):
        estimate_solution(engine, "test-pv-site", "sunville", {"test-pv": float("inf")})
    mt = read_solution(engine, "test-pv-site").types[0]
    with pytest.raises(PortfolioInvalid, match="lifetime"):
        estimate_measure(mt, 100, find_city(engine, "sunville"), {}, overrides={"lifetime": 0})
    with pytest.raises(PortfolioInvalid, match="samples"):
        estimate_measure(mt, 100, find_city(engine, "sunville"), {}, samples=MAX_SAMPLES + 1)


def test_city_file_errors_are_kb_errors(hostile: Path) -> None:
    with pytest.raises(CityFileNotFound) as missing:
        city_from_file(hostile / "missing.md")
    assert isinstance(missing.value, NotFound)
    for name in ("broken-city.md", "latin1-city.md", "alias-city.md", "deep-city.md"):
        with pytest.raises(CityInvalid):
            city_from_file(hostile / name)


def test_a_plan_built_in_the_app_is_checked_before_evaluation(corpus_db: Path) -> None:
    """The District plan page builds a PlanSpec from widgets and calls the evaluation: the same bounds hold."""
    spec = read_plan(PLAN)
    engine = database.get_engine(corpus_db)
    for crafted, where in ((replace(spec, homes=replace(spec.homes, low=1e308, mid=1e308, high=1e308)), "homes"),
                           (replace(spec, measures=[replace(spec.measures[0], scale=replace(
                               spec.measures[0].scale, low=math.inf, mid=math.inf, high=math.inf))]), "scale"),
                           (replace(spec, samples=50_000_000), "samples")):
        with pytest.raises(PlanError, match=where):
            evaluate_plan(engine, crafted)
    with pytest.raises(PlanError, match="samples"):
        evaluate_plan(engine, spec, samples=50_000_000)


# --- the plan page's upload (an anonymous visitor) -------------------------------------------------------------

@pytest.mark.parametrize("content, words", [
    (SMALL_PLAN.format(homes=10).replace("Small", "Café").encode("latin-1"), "not UTF-8 text"),
    (("a = " + "[" * 10_000 + "]" * 10_000 + "\n").encode(), "nested more than"),
    (SMALL_PLAN.format(homes="1e308").encode(), "district.homes"),
])
def test_plan_upload_shows_a_sentence(app_env: Path, content: bytes, words: str) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    at._page_hash = calc_hash("district-plan")
    at.run()
    at.radio(key="plan_start").set_value("Upload a TOML file").run()
    assert not at.exception, at.exception
    at.file_uploader(key="plan_upload").set_value(("hostile.toml", content, "application/toml")).run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert any(words in e for e in errors), errors
    assert not any("Something went wrong" in e or "Traceback" in e for e in errors), errors


def test_kb_errors_are_the_only_escape(rep_db: Path) -> None:
    """The bounds raise KbErrors only: the CLI and the app turn them into one sentence."""
    engine = database.get_engine(rep_db)
    for params in ({"lifetime": math.nan}, {"capex": -1.0}, {"performance_ratio": 2.0}):
        with pytest.raises(KbError):
            estimate_solution(engine, "test-pv-site", "sunville", params=params)
