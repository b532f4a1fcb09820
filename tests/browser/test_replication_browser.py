"""Browser test: choose Kraków, see the ranking, estimate the top solution, see the range chart."""

from __future__ import annotations

import pytest

from tests.factories import wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_krakow_match_then_estimate(live_app: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_app}/match")
    wait_for_app(page, timeout=240_000)
    box = page.locator("[data-testid=stSelectbox]").filter(has_text="My city")
    box.wait_for(timeout=240_000)
    box.click()
    page.keyboard.type("Kraków")
    page.keyboard.press("Enter")
    page.get_by_text("Best fit for Kraków").wait_for(timeout=120_000)
    wait_for_app(page)
    page.locator("[data-testid=stVegaLiteChart]").first.wait_for(timeout=60_000)  # the ranking chart (drawn
    # by Vega in the browser after the script has finished)
    assert "undefined" not in page.locator("[data-testid=stVegaLiteChart]").first.inner_text(), "no blank bar"
    ranked = page.locator("[data-testid=stExpander]").filter(has_text="— fit")
    assert ranked.count() >= 5, "the ranked solutions"
    link = page.locator("[data-testid=stPageLink] a").filter(has_text="Estimate").first
    link.click()
    page.get_by_text("What would it deliver here?").wait_for(timeout=60_000)
    wait_for_app(page)
    assert "solution=" in page.url
    scale = page.locator("[data-testid=stTextInput] input").first
    if not scale.input_value():
        scale.fill("400")
        scale.press("Enter")
        wait_for_app(page)
    page.get_by_text("Source site vs my city").wait_for(timeout=60_000)
    wait_for_app(page)
    page.locator("[data-testid=stVegaLiteChart]").nth(1).wait_for(timeout=60_000)  # range and tornado charts
    assert page.get_by_text("Assumptions").count() >= 1
