"""Markup from titles and bodies: titles show as typed, bodies render without remote images, nothing fetches a URL.

A record title ``![t](http://attacker.example/t.png)``, a lesson title ``[x](http://attacker.example)`` and a
Markdown image in a lesson body must reach the reader as text: each page's Markdown sources (what Streamlit
renders) are parsed with markdown-it, the same CommonMark parser family, and must hold no image and no link to
the attacker, while the literal title is what the reader sees.
"""

from __future__ import annotations

import ast
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin
from streamlit.testing.v1 import AppTest

from kb import accounts
from kb.accounts import Actor
from kb.briefs.model import Brief, BriefSource, Bullets, Paragraph, Section, Table
from kb.briefs.render import to_html, to_markdown
from kb.embeddings import FakeEmbedder
from kb.lessons import service as lessons
from kb.store import database
from kb.text import escape_markdown
from kb.views.markdown import render_markdown_safe
from tests.factories import FIXTURE_CORPUS, app_on_corpus, lesson_data

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "markup-pass-1"
STAFF = Actor("ann", "staff")
IMAGE_TITLE = "![t](http://attacker.example/t.png)"
LINK_TITLE = "[x](http://attacker.example)"
BODY_IMAGE = "![pixel](http://attacker.example/p.png)"
APP_TITLE = "![t](http://attacker.example/app.png) lesson"
ATTACKER = "attacker.example"

# Streamlit's Markdown: CommonMark + GFM tables and strikethrough, LaTeX, footnotes, task lists.
PLAIN_MD = MarkdownIt("js-default").use(dollarmath_plugin).use(footnote_plugin).use(tasklists_plugin)
HTML_MD = MarkdownIt("js-default", {"html": True})  # st.markdown(..., unsafe_allow_html=True): raw HTML passes

SCRIPT = """
import streamlit as st
for k, v in {params!r}.items():
    st.query_params[k] = v
from kb.ui import {module}
{module}.render()
"""


class _Seen(HTMLParser):
    """What a browser would get from rendered HTML: images, link targets, visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[str] = []
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("img", "image", "picture", "source", "video", "audio", "iframe"):
            self.images.append(str(found.get("src") or found.get("srcset") or tag))
        if found.get("href"):
            self.hrefs.append(str(found["href"]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def seen(source: str, allow_html: bool) -> _Seen:
    """Render Markdown source as Streamlit would (raw HTML only with ``allow_html``) and read the HTML."""
    out = _Seen()
    out.feed((HTML_MD if allow_html else PLAIN_MD).render(source))
    out.close()
    return out


def text_of(source: str) -> str:
    """The text a reader sees for Markdown source (without the block's closing line break)."""
    return "".join(seen(source, False).text).strip("\n")


def shown(at: AppTest) -> list[tuple[bool, str]]:
    """Every Markdown source on the page: markdown, headings, captions, alerts, page-link and expander labels."""
    out = [(bool(m.proto.allow_html), m.value) for m in at.markdown]
    for kind in ("title", "header", "subheader", "caption", "success", "error", "warning", "info"):
        out += [(False, e.value) for e in at.get(kind)]
    out += [(False, e.proto.label) for e in at.get("page_link")]
    out += [(False, e.proto.label) for e in at.get("expander")]
    return out


def assert_text_only(at: AppTest, *literals: str) -> None:
    """No image at all and no link to the attacker anywhere; each literal is shown as typed by some element."""
    assert not at.exception, at.exception
    texts = []
    for allow_html, source in shown(at):
        page = seen(source, allow_html)
        assert page.images == [], f"an image in {source!r}"
        assert not [h for h in page.hrefs if ATTACKER in h], f"a link to the attacker in {source!r}"
        if not allow_html:  # GFM turns bare http://… and www.… into links: the source must not hold them
            assert not re.search(r"https?://|www\.", source, re.IGNORECASE) or ATTACKER not in source, source
        texts.append(" ".join("".join(page.text).split()))
    for literal in literals:
        assert any(literal in t for t in texts), f"{literal!r} is not shown as text in {texts}"


def page(module: str, params: dict[str, str] | None = None, token: str | None = None) -> AppTest:
    at = AppTest.from_string(SCRIPT.format(module=module, params=params or {}), default_timeout=90)
    if token:
        at.session_state["kb_token"] = token
    return at.run()


def hostile_corpus(root: Path) -> Path:
    """The fixture corpus with a hostile solution title, a hostile lesson title and a remote image in a body."""
    shutil.copytree(FIXTURE_CORPUS, root)
    sol = root / "solutions" / "test-canal-heat.md"
    text = sol.read_text(encoding="utf-8")
    sol.write_text(text.replace("title: Heat pumps on canal water for floating homes",
                                f'title: "{IMAGE_TITLE}"'), encoding="utf-8")
    les = root / "lessons" / "test-lesson-grid.md"
    text = les.read_text(encoding="utf-8")
    text = text.replace("title: Talk to the grid operator before designing a private grid", f'title: "{LINK_TITLE}"')
    les.write_text(text.replace("## Summary\n", f"## Summary\nSee the photo {BODY_IMAGE} of the meeting.\n\n"),
                   encoding="utf-8")
    return root


@pytest.fixture
def markup_app(app_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    corpus = hostile_corpus(tmp_path / "hostile")
    engine = app_on_corpus(corpus, app_env, monkeypatch, PASSWORD)
    les = lessons.create_lesson(engine, STAFF, lesson_data(
        title=APP_TITLE, summary=f"Before {BODY_IMAGE} after.",
        what_happened="[ok](https://example.org) is a web link."))
    lessons.publish_lesson(engine, Actor.system(), les.id, les.version, FakeEmbedder(name="fake-hash"))
    return app_env


def test_record_page_shows_a_hostile_title_as_text(markup_app: Path) -> None:
    at = page("record_page", {"id": "test-canal-heat"})
    assert_text_only(at, IMAGE_TITLE)
    assert text_of(at.title[0].value) == IMAGE_TITLE, "the heading is the title, as typed"


def test_lessons_learned_on_a_legitimate_record_are_text(markup_app: Path) -> None:
    at = page("record_page", {"id": "test-battery-site"})
    assert_text_only(at, LINK_TITLE, APP_TITLE)
    labels = [text_of(e.proto.label) for e in at.get("page_link")]
    assert LINK_TITLE in labels and APP_TITLE in labels


def test_a_lesson_record_body_shows_a_placeholder_for_its_image(markup_app: Path) -> None:
    at = page("record_page", {"id": "test-lesson-grid"})
    assert_text_only(at, LINK_TITLE, "See the photo [image: pixel] of the meeting.")


@pytest.mark.parametrize(("query", "title"), [("heat from canal water", IMAGE_TITLE),
                                              ("grid operator private grid", LINK_TITLE)])
def test_search_results_show_hostile_titles_as_text(markup_app: Path, query: str, title: str) -> None:
    at = page("search_page")
    at.text_input(key="q").input(query).run()
    assert_text_only(at, title)
    assert title in [text_of(e.proto.label) for e in at.get("page_link")]


def test_lessons_page_shows_titles_as_text_and_no_remote_image(markup_app: Path) -> None:
    token = accounts.login(database.get_engine(markup_app), "ann", PASSWORD)
    for at in (page("lessons_page"), page("lessons_page", token=token)):
        assert_text_only(at, APP_TITLE, "Before [image: pixel] after.")
        body = "\n".join(m.value for m in at.markdown)
        assert "<img" not in body and "example/p.png" not in body, "the image's address is not even in the page"
        assert '<a href="https://example.org">ok</a>' in body, "an ordinary link keeps working"


def test_saved_draft_message_shows_the_title_as_text(markup_app: Path) -> None:
    token = accounts.login(database.get_engine(markup_app), "ann", PASSWORD)
    at = page("lesson_editor_page", token=token)
    prefix = "le_new_0_"
    at.text_input(key=prefix + "title").input(IMAGE_TITLE)
    at.selectbox(key=prefix + "city").select("testville")
    at.selectbox(key=prefix + "phase").select("engagement")
    at.selectbox(key=prefix + "barrier").select("social")
    at.selectbox(key=prefix + "outcome").select("worked")
    at.multiselect(key=prefix + "solutions").select("test-battery-site")
    for field in ("summary", "what_happened", "what_was_tried", "applies_when"):
        at.text_area(key=prefix + field).input(f"{field}: {BODY_IMAGE}")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.success, "the draft was saved"
    assert_text_only(at, f"Saved the draft '{IMAGE_TITLE}'.", "summary: [image: pixel]")
    assert text_of(at.success[0].value) == f"Saved the draft '{IMAGE_TITLE}'."


# --- the escaper: arbitrary text in, exactly that text out -----------------------------------------------------

NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")  # control characters the escaper drops
MARKDOWNISH = st.text(st.sampled_from(list("![]()*_-+=.#<>&`~$:|@\\ \t1aw/h^{}\"';x0\u00a0\u3000")), min_size=1)
ANY_LINE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), min_size=1)


@settings(max_examples=400, deadline=None)
@given(ANY_LINE | MARKDOWNISH)
def test_escaped_text_is_exactly_one_text_node(text: str) -> None:
    expected = NOT_TEXT.sub("", text)
    assume(expected)
    tokens = PLAIN_MD.parse(escape_markdown(text))
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"], tokens
    children = tokens[1].children or []
    assert [(c.type, c.content) for c in children] == [("text", expected)]


@settings(max_examples=300, deadline=None)
@given(st.lists(ANY_LINE | MARKDOWNISH | st.just(""), min_size=1, max_size=5).map("\n".join))
def test_escaped_lines_stay_plain_paragraphs(text: str) -> None:
    """Several lines: paragraphs of text and soft breaks only, the text unchanged."""
    tokens = PLAIN_MD.parse(escape_markdown(text))
    assert {t.type for t in tokens} <= {"paragraph_open", "inline", "paragraph_close"}
    parts = []
    for t in tokens:
        for c in t.children or []:
            assert c.type in ("text", "softbreak"), (text, c)
            parts.append(c.content if c.type == "text" else "\n")
        if t.type == "paragraph_close":
            parts.append("\n")
    assert "".join(parts).rstrip("\n") == "\n".join(ln for ln in NOT_TEXT.sub("", text).split("\n") if ln)


@settings(max_examples=300, deadline=None)
@given(ANY_LINE | MARKDOWNISH)
def test_escaped_text_leaves_nothing_for_streamlit_extensions(text: str) -> None:
    """Streamlit scans the raw source for ``:emoji:``, ``:material/…:``, ``:red[…]``, ``$…$`` and GFM autolinks."""
    out = escape_markdown(text)
    assert not re.search(r"[:$@\[\]!<>`*~|\\^{}]|www\.", out, re.IGNORECASE), out


@pytest.mark.parametrize("title", [":red[big] :material/home: :smile:", "$\\href{http://attacker.example}{x}$",
                                   "www.attacker.example", "mail a@attacker.example", "http://attacker.example",
                                   "1. first", "- item", "# heading", "    indented", "trailing  ", "a_b_c pv_yield"])
def test_streamlit_specific_markup_is_shown_as_typed(title: str) -> None:
    out = escape_markdown(title)
    assert text_of(out) == title
    assert ":" not in out and "$" not in out and "www." not in out.lower()


# --- bodies: Markdown without remote images --------------------------------------------------------------------

@pytest.mark.parametrize(("body", "placeholder"), [
    (BODY_IMAGE, "[image: pixel]"),
    ("![](http://attacker.example/p.png)", "[image]"),
    ("![a *b*][r]\n\n[r]: http://attacker.example/p.png", "[image: a b]"),
    ("[![inner](http://attacker.example/i.png)](https://example.org)", "[image: inner]"),
    ("![data](data:image/png;base64,iVBORw0KGgo=)", "[image: data]"),
])
def test_body_images_become_placeholders(body: str, placeholder: str) -> None:
    html = render_markdown_safe(body)
    page_ = seen(html, True)
    assert "<img" not in html and page_.images == [] and "p.png" not in html and "base64" not in html
    assert placeholder in "".join(page_.text)


def test_body_links_work_only_for_web_addresses() -> None:
    html = render_markdown_safe("[web](https://example.org/a) [rel](/admin) [mail](mailto:a@example.org) "
                                "[js](javascript:alert(1)) <https://example.org/b>")
    assert seen(html, True).hrefs == ["https://example.org/a", "https://example.org/b"]
    assert "rel mail" in html, "a refused link keeps its text"


BODYISH = st.lists(st.sampled_from([*"![]()*_-#>`~ \n\t1.ab:/<&", "http://attacker.example/p.png", "    ", "\n\n",
                                    "```", "&#32;", "&#13;", "&#10;"])).map("".join)


@settings(max_examples=400, deadline=None)
@given(BODYISH)
def test_safe_html_is_one_html_block_for_streamlit(body: str) -> None:
    """Streamlit parses the HTML again as Markdown: it must be read as one raw HTML block (no blank line lets the
    rest out as Markdown), and it holds no image."""
    html = render_markdown_safe(body)
    assert "\n" not in html and "<img" not in html
    tokens = HTML_MD.parse(html)
    assert [t.type for t in tokens] in ([], ["html_block"]), (html, tokens)
    assert seen(html, True).images == []


# --- briefs: the Markdown file and the app's preview hold no image or link from a title -----------------------

def hostile_brief() -> Brief:
    return Brief(title=f"Replication brief for Kraków: {IMAGE_TITLE}", city_id="krakow", city_name="Kraków",
                 solutions=[("test-canal-heat", IMAGE_TITLE)], date="2031-01-01", kb_version="x", seed=1,
                 sections=[Section(IMAGE_TITLE, [Paragraph(f"**{IMAGE_TITLE}** — built [1]. {LINK_TITLE}"),
                                                 Bullets([f"{LINK_TITLE}: <img src=http://attacker.example/i.png>",
                                                          "[r]: http://attacker.example/r.png"]),
                                                 Table(["item"], [[IMAGE_TITLE]])])],
                 sources=[BriefSource(1, LINK_TITLE, "https://example.org/s")])


def test_brief_markdown_and_html_show_titles_as_text() -> None:
    md = to_markdown(hostile_brief())
    page_ = seen(md, False)
    assert page_.images == [] and not [h for h in page_.hrefs if ATTACKER in h]
    assert IMAGE_TITLE in "".join(page_.text) and LINK_TITLE in "".join(page_.text)
    assert "**" not in "".join(page_.text), "the brief's own bold still works"
    html = to_html(hostile_brief())
    html_page = seen(html, True)
    assert html_page.images == [] and not [h for h in html_page.hrefs if ATTACKER in h]
    assert IMAGE_TITLE in "".join(html_page.text)


# --- every page passes titles and names through the escaper ---------------------------------------------------

SINKS = {"title", "header", "subheader", "caption", "markdown", "write", "success", "error", "warning", "info",
         "page_link", "expander", "selectbox", "multiselect", "number_input", "text_input", "text_area", "radio",
         "button", "download_button", "checkbox", "toggle", "metric", "form_submit_button"}
ESCAPERS = {"escape_markdown", "render_markdown_safe", "spans_markup"}
FILE_TEXT = {"title", "name", "label", "explanation", "city", "scale_unit", "source"}  # attributes from files


def test_pages_escape_every_title_and_name() -> None:
    """In ``kb/ui``, a title, name or label attribute inside a Markdown-rendering call is inside an escaper."""
    unescaped = []
    for path in sorted((ROOT / "kb" / "ui").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in SINKS):
                continue
            texts = [*call.args[:1], *(k.value for k in call.keywords if k.arg in ("label", "body", "help"))]
            for arg in texts:
                escaped = {id(n) for c in ast.walk(arg) if isinstance(c, ast.Call) and getattr(c.func, "id", "")
                           in ESCAPERS for n in ast.walk(c)}
                unescaped += [f"{path.name}:{n.lineno}: {ast.unparse(n)}" for n in ast.walk(arg)
                              if isinstance(n, ast.Attribute) and n.attr in FILE_TEXT and id(n) not in escaped]
    assert unescaped == [], "\n".join(unescaped)
