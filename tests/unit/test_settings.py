"""Settings: read once from the environment, defaults in a checkout and in an installed package, --db applied."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from kb.config import DEFAULT_MODEL, Settings

ROOT = Path(__file__).resolve().parents[2]


def test_environment_sets_every_field(tmp_path: Path) -> None:
    s = Settings.from_env({"KB_DB": str(tmp_path / "x.sqlite"), "KB_SOLUTIONS_DIR": str(tmp_path / "corpus"),
                           "KB_MODEL": "fake-hash"})
    assert s == Settings(db_path=tmp_path / "x.sqlite", solutions_dir=tmp_path / "corpus", model="fake-hash")


def test_data_dir_names_the_default_database(tmp_path: Path) -> None:
    assert Settings.from_env({"KB_DATA_DIR": str(tmp_path)}).db_path == tmp_path / "kb.sqlite"


def test_defaults_in_a_source_checkout(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT / "tests")  # no solutions/ here: the checkout's own folder is used
    s = Settings.from_env({})
    assert s.db_path == ROOT / "data" / "kb.sqlite"
    assert s.solutions_dir == ROOT / "solutions"
    assert s.model == DEFAULT_MODEL


def test_explicit_db_wins_and_settings_are_values(tmp_path: Path) -> None:
    base = Settings.from_env({"KB_DB": "a.sqlite"})
    assert base.with_db(tmp_path / "b.sqlite").db_path == tmp_path / "b.sqlite"
    assert base.with_db(None) is base and base.db_path == Path("a.sqlite")


def test_installed_package_uses_the_working_directory(tmp_path: Path) -> None:
    """Copied out of the source tree (as a wheel installs it), the defaults are relative to the working
    directory, not to site-packages."""
    site = tmp_path / "site"
    shutil.copytree(ROOT / "kb", site / "kb", ignore=shutil.ignore_patterns("__pycache__"))
    work = tmp_path / "work"
    (work / "solutions").mkdir(parents=True)
    code = ("import json; from kb.config import Settings, source_root; s = Settings.from_env({}); "
            "print(json.dumps([str(source_root()), str(s.db_path), str(s.solutions_dir)]))")
    out = subprocess.run([sys.executable, "-c", code], cwd=work, env={"PYTHONPATH": str(site)},
                         capture_output=True, text=True, check=True)
    root, db, solutions = json.loads(out.stdout)
    assert root == "None"
    assert Path(db) == work / "data" / "kb.sqlite"
    assert Path(solutions) == work / "solutions"


def test_cli_reads_kb_solutions_dir(tmp_path: Path) -> None:
    """`kb ingest` without a path ingests $KB_SOLUTIONS_DIR."""
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "tests" / "fixtures" / "corpus", corpus)
    env = {"KB_SOLUTIONS_DIR": str(corpus), "KB_DB": str(tmp_path / "kb.sqlite"), "KB_MODEL": "fake-hash",
           "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    res = subprocess.run([sys.executable, "-m", "kb.cli", "ingest", "--json", "--quiet"], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["records"] == len(list(corpus.rglob("*.md"))) - len(list(corpus.rglob("README.md")))


def test_streamlit_runs_no_full_garbage_collection_after_each_script_run() -> None:
    """With torch and the model loaded, Streamlit's post-run ``gc.collect(2)`` held every page for 0.5–1.5 s."""
    import tomllib

    config = tomllib.loads((Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
