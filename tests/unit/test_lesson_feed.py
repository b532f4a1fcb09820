"""Atom feeds of lessons: valid Atom (parsed back with feedparser), selection filters, stable ids, the CLI, the app's
download helpers."""

from __future__ import annotations

import time
from pathlib import Path

import feedparser
import pytest

from kb.accounts import Actor
from kb.cli import main as kb_main
from kb.embeddings import FakeEmbedder
from kb.lessons import feed
from kb.lessons import service as lessons
from kb.lessons.format import Lesson
from kb.store import database
from kb.ui import routes
from kb.views import follow
from tests.factories import lesson_data, publish_reviewed

STAFF = Actor("ann", "staff")

BASE = "https://kb.example.org/atelier"


@pytest.fixture
def engine(fixture_db: Path):  # type: ignore[no-untyped-def]
    return database.get_engine(fixture_db)


def publish(engine, **over: object) -> Lesson:  # type: ignore[no-untyped-def]
    draft = lessons.create_lesson(engine, STAFF, lesson_data(**over))
    return publish_reviewed(engine, STAFF, draft, FakeEmbedder(name="fake-hash"))


def parse(xml: bytes) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(xml)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def entry_of(parsed: feedparser.FeedParserDict, lesson: Lesson) -> feedparser.FeedParserDict:
    found = [e for e in parsed.entries if e.id.endswith("/" + lesson.id)]
    assert len(found) == 1, [e.id for e in parsed.entries]
    return found[0]


def test_the_feed_validates_and_holds_a_lesson_published_a_moment_ago(engine) -> None:  # type: ignore[no-untyped-def]
    les = publish(engine, title="Ask the grid operator early", summary="Early talks saved a year.")
    parsed = parse(feed.atom_feed(engine, base_url=BASE))
    assert parsed.feed.title == "ATELIER lessons learned: all lessons"
    assert parsed.feed.id == "tag:atelier-kb,2026:lessons"
    e = entry_of(parsed, les)
    assert e.title == "Ask the grid operator early" and e.summary == "Early talks saved a year."
    assert e.link == f"{BASE}/record?id={les.id}"
    assert e.author == "ann"
    assert e.id == f"tag:atelier-kb,2026:lesson/{les.id}"
    assert time.mktime(e.updated_parsed) >= time.mktime(time.gmtime()) - 120, "published a moment ago"
    terms = {(c.scheme, c.term, c.label) for c in e.tags}
    assert terms == {("tag:atelier-kb,2026:city", "testville", "Testville"),
                     ("tag:atelier-kb,2026:measure-type", "test-battery", "Neighbourhood battery storage"),
                     ("tag:atelier-kb,2026:barrier-type", "regulatory", "regulatory barrier")}


def test_drafts_and_archived_lessons_stay_out(engine) -> None:  # type: ignore[no-untyped-def]
    pub = publish(engine, title="Published lesson")
    draft = lessons.create_lesson(engine, STAFF, lesson_data(title="A draft"))
    gone = publish(engine, title="Archived later")
    lessons.archive_lesson(engine, STAFF, gone.id, gone.version)
    ids = {e.id.rsplit("/", 1)[-1] for e in parse(feed.atom_feed(engine)).entries}
    assert pub.id in ids and draft.id not in ids and gone.id not in ids


def test_selection_filters_city_measure_type_and_barrier_type(engine) -> None:  # type: ignore[no-untyped-def]
    battery = publish(engine, title="Battery and regulation", measure_types=["test-battery"],
                      barrier_type="regulatory")
    pv = publish(engine, title="PV and money", measure_types=["test-pv"], barrier_type="financial")

    def ids(**sel: str) -> set[str]:
        return {e.id.rsplit("/", 1)[-1] for e in parse(feed.atom_feed(engine, **sel)).entries}

    assert {battery.id, pv.id} <= ids(city="testville")
    assert battery.id in ids(measure_type="test-battery") and pv.id not in ids(measure_type="test-battery")
    assert pv.id in ids(barrier_type="financial") and battery.id not in ids(barrier_type="financial")
    assert not {battery.id, pv.id} & ids(measure_type="test-pv", barrier_type="regulatory")
    parsed = parse(feed.atom_feed(engine, city="testville", measure_type="test-pv", barrier_type="financial"))
    assert parsed.feed.title == ("ATELIER lessons learned: city Testville, measure type Rooftop photovoltaics, "
                                 "financial barriers")
    assert parsed.feed.id == ("tag:atelier-kb,2026:lessons/city=testville/measure-type=test-pv/"
                              "barrier-type=financial")


def test_unknown_values_name_the_allowed_ones(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(feed.FeedSelectionInvalid, match="unknown city 'atlantis'; choose one of: .*testville"):
        feed.atom_feed(engine, city="atlantis")
    with pytest.raises(feed.FeedSelectionInvalid, match="unknown measure type 'x'.*test-battery, test-pv"):
        feed.atom_feed(engine, measure_type="x")
    with pytest.raises(feed.FeedSelectionInvalid, match="financial, social, technical"):
        feed.atom_feed(engine, barrier_type="weather")


def test_newest_change_first_with_a_stable_entry_id(engine) -> None:  # type: ignore[no-untyped-def]
    first = publish(engine, title="Written first")
    publish(engine, title="Written second")
    before = entry_of(parse(feed.atom_feed(engine)), first)
    edited = lessons.update_lesson(engine, STAFF, first.id, {"version": first.version, "summary": "Edited."},
                                   FakeEmbedder(name="fake-hash"))
    parsed = parse(feed.atom_feed(engine))
    assert parsed.entries[0].id == before.id, "the edited lesson comes first, under the same id"
    assert parsed.entries[0].summary == "Edited." and parsed.entries[0].updated != before.updated
    stamps = [time.mktime(e.updated_parsed) for e in parsed.entries]
    assert stamps == sorted(stamps, reverse=True)
    assert edited.updated_at > first.updated_at


def test_the_lesson_link_reaches_the_record_page() -> None:
    assert routes.ROUTES["record"].url_path == feed.LESSON_PAGE
    assert routes.ROUTES["lessons"].url_path == feed.LESSONS_PAGE
    assert feed.lesson_url("http://h:1/", "lesson-a b") == "http://h:1/record?id=lesson-a+b"


# --- the CLI ------------------------------------------------------------------------------------------------

def test_cli_prints_the_feed(engine, fixture_db: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    les = publish(engine)
    code = kb_main(["lessons", "feed", "--db", str(fixture_db), "--city", "testville", "--measure-type",
                    "test-battery", "--base-url", BASE])
    assert code == 0
    parsed = parse(capsys.readouterr().out.encode())
    assert entry_of(parsed, les).link == f"{BASE}/record?id={les.id}"
    assert parsed.feed.title == "ATELIER lessons learned: city Testville, measure type Neighbourhood battery storage"


@pytest.mark.parametrize(("option", "allowed"), [("--city", "testville"), ("--measure-type", "test-battery, test-pv"),
                                                 ("--barrier-type", "regulatory, financial")])
def test_cli_refuses_unknown_values_with_exit_code_2(fixture_db: Path, capsys: pytest.CaptureFixture[str],
                                                      option: str, allowed: str) -> None:
    assert kb_main(["lessons", "feed", "--db", str(fixture_db), option, "nowhere"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "nowhere" in out.err and allowed in out.err and "Traceback" not in out.err


# --- the app's helpers --------------------------------------------------------------------------------------

def test_base_url_from_the_page_address() -> None:
    assert follow.base_url_of("https://kb.example.org/atelier/lessons?x=1#y", "lessons") == BASE
    assert follow.base_url_of("http://localhost:8501/lessons", "lessons") == "http://localhost:8501"
    assert follow.base_url_of("http://localhost:8501/", "lessons") == "http://localhost:8501"
    assert follow.base_url_of(None, "lessons") == feed.DEFAULT_BASE_URL
    assert follow.base_url_of("javascript:alert(1)", "lessons") == feed.DEFAULT_BASE_URL


def test_download_and_command_say_the_same_feed(engine, fixture_db: Path,  # type: ignore[no-untyped-def]
                                                capsys: pytest.CaptureFixture[str]) -> None:
    publish(engine)
    got = follow.feed_download(engine, "testville", None, "regulatory", BASE)
    assert got.file_name == "lessons-city-testville-barrier-type-regulatory.atom" and got.lessons >= 1
    assert got.command == f"kb lessons feed --city testville --barrier-type regulatory --base-url {BASE}"
    assert kb_main([*got.command.split()[1:], "--db", str(fixture_db)]) == 0
    printed = parse(capsys.readouterr().out.encode())
    assert [e.id for e in printed.entries] == [e.id for e in parse(got.data).entries]
    assert follow.feed_command(feed.Selection()) == "kb lessons feed"


def test_the_response_for_a_served_feed_url(engine) -> None:  # type: ignore[no-untyped-def]
    les = publish(engine)
    ok = follow.feed_response(engine, {"city": "testville", "barrier-type": "regulatory"}, BASE,
                              self_url=f"{BASE}/feeds/lessons.atom?city=testville&barrier-type=regulatory")
    assert ok.status == 200 and ok.content_type.startswith("application/atom+xml")
    parsed = parse(ok.body)
    assert entry_of(parsed, les) and any(link.rel == "self" for link in parsed.feed.links)
    bad = follow.feed_response(engine, {"city": "atlantis"}, BASE)
    assert bad.status == 400 and b"testville" in bad.body
    assert follow.feed_response(engine, {"town": "testville"}, BASE).status == 400
    assert follow.feed_response(engine, {"city": ["testville", "other"]}, BASE).status == 400
    assert follow.feed_response(engine, {"measure_type": "test-pv", "measure-type": "test-pv"}, BASE).status == 400


def test_the_app_serves_the_feed_at_the_address_the_page_gives(engine) -> None:  # type: ignore[no-untyped-def]
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from kb.web import feeds

    les = publish(engine, title="Subscribed lesson")
    page = follow.feed_download(engine, "testville", None, "regulatory", "http://testserver/atelier")
    assert page.url == "http://testserver/atelier/kb-feeds/lessons.atom?city=testville&barrier_type=regulatory"
    with TestClient(Starlette(routes=feeds.routes(base="atelier", engine=lambda: engine))) as client:
        got = client.get(page.url)
        assert got.status_code == 200 and got.headers["content-type"].startswith("application/atom+xml")
        parsed = parse(got.content)
        e = entry_of(parsed, les)
        assert e.link == f"http://testserver/atelier/record?id={les.id}", "links point at the serving app"
        assert [x.href for x in parsed.feed.links if x.rel == "self"] == [page.url]
        assert [x.id for x in parsed.entries] == [x.id for x in parse(page.data).entries], "same as the download"
        assert client.get("/atelier/kb-feeds/lessons.atom").status_code == 200, "no selection: every lesson"
        bad = client.get("/atelier/kb-feeds/lessons.atom?city=atlantis")
        assert bad.status_code == 400 and "testville" in bad.text and "<" not in bad.text
        assert client.get("/atelier/kb-feeds/lessons.atom?town=x").status_code == 400
        assert client.post("/atelier/kb-feeds/lessons.atom").status_code == 405, "read only"


def test_a_feed_request_on_an_unreadable_database_gets_a_sentence(tmp_path: Path) -> None:
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from kb.web import feeds

    def broken():  # type: ignore[no-untyped-def]
        raise database.DatabaseUnavailable("The knowledge base cannot be opened on this server.")

    with TestClient(Starlette(routes=feeds.routes(engine=broken))) as client:
        got = client.get("/kb-feeds/lessons.atom")
    assert got.status_code == 503 and got.text.strip() == "The knowledge base cannot be opened on this server."


def test_the_whole_lesson_is_the_content_and_its_markup_stays_inert(engine) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import PAYLOADS

    les = publish(engine, title="Payloads in the feed", what_happened="**Bold** [ok](https://example.org) [S1]",
                  applies_when="\n\n".join(PAYLOADS))
    got = follow.feed_download(engine, None, None, None, BASE)
    parse(got.data)
    e = entry_of(feedparser.parse(got.data, sanitize_html=False), les)  # the HTML as written, not as cleaned
    [content] = e.content
    assert content.type == "text/html"
    assert "<h3>What happened</h3>" in content.value and "<strong>Bold</strong>" in content.value
    assert '<a href="https://example.org">ok</a>' in content.value
    assert "<script" not in content.value and "<img" not in content.value and 'href="javascript' not in content.value
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content.value
    assert "Interview with the operator" in content.value, "the sources"
    plain = entry_of(parse(feed.atom_feed(engine)), les).content[0]
    assert plain.type == "text/plain" and "What was tried\nA sandbox exemption." in plain.value
