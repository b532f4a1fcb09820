"""Browser test: type a query, see results, open a record, see its sources."""

from __future__ import annotations

import pytest

from tests.factories import wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_search_then_open_record(live_app: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_app}/search")
    wait_for_app(page, timeout=180_000)
    box = page.get_by_label("What do you need?", exact=True).and_(page.locator("input"))
    box.wait_for(timeout=180_000)
    box.fill("battery storage for the evening")
    box.press("Enter")
    first = page.locator("[data-testid=stPageLink] a").first
    first.wait_for(timeout=120_000)
    wait_for_app(page)  # the title link comes first in a card, its snippets after: let the script finish
    assert page.locator("mark").count() > 0, "snippets highlight the query terms"
    title = first.inner_text().strip()
    first.click()
    page.get_by_role("heading", name="Sources").wait_for(timeout=120_000)
    wait_for_app(page)
    assert "id=" in page.url
    assert title.split("\n")[-1].strip() in page.locator("h1").first.inner_text()
    sources = page.locator("[data-testid=stMarkdownContainer]").filter(has_text="S1")
    assert sources.count() > 0
