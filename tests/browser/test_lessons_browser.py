"""Browser journey: staff logs in, writes a lesson, submits it for review, another staff member publishes it; it is
found by search, on the Lessons page and on its solution's page, and exported (zip download); payloads stay inert."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from tests.factories import choose_first, log_in, wait_for_app
from tests.factories import sidebar_nav as nav

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TITLE = "Zeppelin hangar roof needed a structural survey before PV"


def test_staff_writes_publishes_and_finds_a_lesson(  # type: ignore[no-untyped-def]
        live_app: str, live_db: Path, live_staff: tuple[str, str], page) -> None:
    from kb import accounts
    from kb.lessons import service as lessons
    from kb.store import database

    alerts: list[str] = []
    page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
    name, password = live_staff
    log_in(page, live_app, name, password)

    nav(page, "Write a lesson")
    page.get_by_label("Title", exact=True).fill(TITLE)
    choose_first(page, "stSelectbox", "City")
    choose_first(page, "stSelectbox", "Phase")
    choose_first(page, "stSelectbox", "Barrier type")
    choose_first(page, "stSelectbox", "Outcome")
    choose_first(page, "stMultiSelect", "Solutions this lesson is about")
    page.get_by_label("Summary", exact=True).fill(
        "The zeppelin hangar roof could not carry panels. <script>alert(1)</script> <img src=x onerror=alert(2)>")
    page.get_by_label("What happened (the barrier)", exact=True).fill("A survey found weak trusses.")
    page.get_by_label("What was tried", exact=True).fill("Lighter panels [x](javascript:alert(3)).")
    page.get_by_label("Applies when", exact=True).fill("Old industrial roofs are reused for PV.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Saved the draft").wait_for(timeout=60_000)
    wait_for_app(page)
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_text("Submitted for review").wait_for(timeout=60_000)
    wait_for_app(page)
    assert page.get_by_role("button", name="Publish").count() == 0, "the author cannot publish their own lesson"

    # another staff member reviews it: the editor lists it as awaiting their review
    engine = database.get_engine(live_db)
    reviewer = "hubreviewer"
    if reviewer not in {u["name"] for u in accounts.list_users(engine)}:
        accounts.add_user(engine, reviewer, "staff", password, by=accounts.Actor.system("tests"))
    log_in(page, live_app, reviewer, password)
    nav(page, "Write a lesson")
    page.get_by_role("button", name=TITLE).click()
    wait_for_app(page)
    page.get_by_role("button", name="Publish", exact=True).click()
    page.get_by_text("Published: the lesson is now in search").wait_for(timeout=180_000)
    wait_for_app(page)

    page.get_by_text("Preview as readers see it").click()
    preview = page.locator("[data-testid=stExpander]").filter(has_text="Preview as readers see it")
    preview.get_by_text("<script>alert(1)</script>").wait_for(timeout=30_000)
    assert preview.locator("script, img").count() == 0
    assert preview.locator("a[href^='javascript']").count() == 0

    nav(page, "Search")
    box = page.get_by_label("What do you need?", exact=True).and_(page.locator("input"))
    box.fill("zeppelin hangar roof survey")
    box.press("Enter")
    link = page.locator("[data-testid=stPageLink] a").filter(has_text="Zeppelin hangar roof")
    link.first.wait_for(timeout=120_000)

    nav(page, "Lessons")
    page.get_by_text(TITLE).first.wait_for(timeout=60_000)

    # the lessons export (a zip of Markdown records, as 'kb lessons export' writes) holds the new lesson
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=re.compile(r"^Export the \d+ published lessons")).click()
    with zipfile.ZipFile(Path(info.value.path())) as zf:
        texts = {n: zf.read(n).decode("utf-8") for n in zf.namelist()}
    mine = [n for n, t in texts.items() if f"title: {TITLE}" in t]
    assert mine and mine[0].startswith("lessons/lesson-") and "<script>alert(1)</script>" in texts[mine[0]]

    # the lesson is listed on the page of the solution it is about
    lesson = next(x for x in lessons.list_lessons(engine, accounts.ANONYMOUS) if x.title == TITLE)
    page.goto(f"{live_app}/record?id={lesson.solutions[0]}")
    page.get_by_role("heading", name="Lessons learned from this").wait_for(timeout=120_000)
    page.locator("[data-testid=stPageLink] a").filter(has_text="Zeppelin hangar roof").first.click()
    page.locator("h1").filter(has_text="Zeppelin hangar roof").wait_for(timeout=60_000)
    assert alerts == [], "no payload ever ran"
