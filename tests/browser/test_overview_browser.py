"""Browser test: the app loads on the bundled data and shows the counts."""

from __future__ import annotations

import re

import pytest

from tests.factories import wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_overview_page_shows_counts(live_app: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_app)
    wait_for_app(page, timeout=180_000)
    page.get_by_text("ATELIER Positive Energy District knowledge base").first.wait_for(timeout=180_000)
    metrics = page.locator("[data-testid=stMetric]")
    metrics.first.wait_for(timeout=180_000)
    text = metrics.all_inner_texts()
    assert any("Solutions" in t for t in text)
    numbers = [int(n) for t in text for n in re.findall(r"\d+", t)]
    assert sum(numbers) > 0
