"""The fellow-city journey in Polish, in Chromium: a Polish query → a record → an estimate typed with a decimal
comma → a Polish PDF brief whose text carries the decimal comma. The browser says it is Polish (pl-PL), so the app
starts in Polish without touching the language picker."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from kb.i18n import translator
from tests.factories import wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

T = translator("pl")
BATTERY = re.compile(r"batter|storage", re.IGNORECASE)
MEASURE_TYPE = "Stationary battery storage"  # the measure type ranks high too; only solutions are estimated


def test_a_polish_officer_goes_from_a_query_to_a_polish_pdf_brief(live_app: str, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="pl-PL", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{live_app}/search")
        wait_for_app(page, timeout=240_000)
        assert page.locator("[data-testid=stSidebarNav]").get_by_text(T("Search")).count() >= 1, "menu in Polish"
        box = page.get_by_label(T("What do you need?"), exact=True).and_(page.locator("input"))
        box.wait_for(timeout=240_000)
        box.fill("magazyn energii dla osiedla")
        box.press("Enter")
        links = page.locator("[data-testid=stMain] [data-testid=stPageLink] a")
        links.first.wait_for(timeout=120_000)
        wait_for_app(page)
        battery = links.filter(has_text=BATTERY).filter(has_not_text=MEASURE_TYPE)  # a solution: it has an estimate
        assert battery.count() >= 1, " | ".join(links.all_inner_texts()[:5])
        battery.first.click()
        page.get_by_role("heading", name=T("Sources")).wait_for(timeout=120_000)
        wait_for_app(page)

        page.locator("[data-testid=stPageLink] a").filter(has_text=T("Estimate it for my city")).click()
        page.get_by_text(T("What would it deliver here?")).wait_for(timeout=60_000)
        wait_for_app(page)
        city = page.locator("[data-testid=stSelectbox]").filter(has_text=T("My city"))
        city.click()
        page.keyboard.type("Kraków")
        page.keyboard.press("Enter")
        wait_for_app(page)
        scale = page.locator("[data-testid=stMain] [data-testid=stTextInput] input").first
        scale.wait_for(timeout=60_000)
        scale.fill("1,5")  # a decimal comma, as a Polish officer types it
        scale.press("Enter")
        wait_for_app(page)
        page.get_by_text(T("Source site vs my city")).wait_for(timeout=120_000)
        wait_for_app(page)
        assert scale.input_value() == "1,5", "the field keeps what was typed"

        button = page.get_by_role("button", name=T("Download {format}").format(format="PDF"))
        with page.expect_download(timeout=180_000) as info:
            button.click()
        data = Path(info.value.path()).read_bytes()
        assert data.startswith(b"%PDF")
        from pypdf import PdfReader

        text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
        assert "Kraków" in text
        assert re.search(r"\d,\d", text), "numbers in the Polish brief carry a decimal comma"
        assert re.search(r"1,5\s*kWh", text), "the brief is for the scale typed with a decimal comma: 1.5 kWh"
        assert "Streszczenie" in text or T("Executive summary") in text, "the brief's frame is Polish"
    finally:
        context.close()
