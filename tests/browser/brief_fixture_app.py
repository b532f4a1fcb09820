"""The app on the fixture corpus plus Kraków, with the hand-made estimate: a Streamlit entry for browser tests."""

import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import kb.briefs.build as brief_mod  # noqa: E402
from tests.factories import fake_estimate, fake_fit  # noqa: E402

brief_mod.replication_estimate = lambda engine, params=None: fake_estimate
brief_mod.replication_fit = lambda engine: fake_fit
runpy.run_path(str(ROOT / "app.py"), run_name="__main__")
