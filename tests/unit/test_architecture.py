"""The layout holds: import contracts (layers, Streamlit only in kb.ui, no cycles), mypy, docstrings, no importlib."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SOURCES = sorted([*(ROOT / "kb").rglob("*.py"), *(ROOT / "ingest").rglob("*.py")])


def _tool(name: str) -> str:
    exe = BIN / name
    if not exe.exists():
        pytest.fail(f"{name} is not installed next to {sys.executable}: pip install -e '.[test]'")
    return str(exe)


def test_import_contracts_are_kept() -> None:
    """`lint-imports` checks the contracts in pyproject.toml: the layers, Streamlit only in kb.ui, no cycles."""
    res = subprocess.run([_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert "0 broken" in res.stdout


@pytest.mark.slow
def test_mypy_passes_on_kb_and_ingest() -> None:
    res = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]


def test_every_module_has_a_one_line_docstring() -> None:
    missing = []
    for path in SOURCES:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        if not doc or not doc.strip():
            missing.append(str(path.relative_to(ROOT)))
    assert not missing, missing


def test_no_importlib_in_the_library() -> None:
    """Dependencies are visible: no module is found by name at run time."""
    found = [str(p.relative_to(ROOT)) for p in SOURCES if "importlib" in p.read_text(encoding="utf-8")]
    assert not found, found


def test_few_modules_sit_directly_in_kb() -> None:
    """Capabilities live in packages; only the base modules sit in kb/ itself."""
    top = sorted(p.name for p in (ROOT / "kb").glob("*.py"))
    assert len(top) <= 12, top
    packages = sorted(p.name for p in (ROOT / "kb").iterdir() if (p / "__init__.py").exists())
    assert {"records", "store", "search", "replication", "plans", "lessons", "briefs", "views", "ui",
            "cli"} <= set(packages)
