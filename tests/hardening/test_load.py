"""Load, short version of tests/benchmarks/bench_load.py: 20 readers and 4 staff writers for 8 s lose nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import ROOT

pytestmark = pytest.mark.slow


def test_20_readers_4_writers_no_error_no_lost_write(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    subprocess.run([sys.executable, str(ROOT / "tests" / "benchmarks" / "bench_load.py"), "--seconds", "8",
                    "--readers", "20", "--writers", "4", "--out", str(out)], cwd=ROOT, check=False, timeout=600)
    figures = json.loads(out.read_text())
    print(json.dumps(figures, indent=2))
    assert figures["errors"] == 0, figures["error_samples"]
    assert figures["saves"] > 0 and figures["searches"] > 0
    assert figures["lessons_written"] == figures["distinct_ids"] == figures["lessons_counted"]
    assert figures["published_written"] == figures["published_counted"]
    assert figures["audit_expected"] == figures["audit_counted"], "one audit row per create and per publish"
    assert figures["integrity_ok"]
