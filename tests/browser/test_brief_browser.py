"""Browser test: assemble a brief on the Brief page, build it, download the PDF."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import ROOT, build_brief_corpus, start_streamlit, wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def brief_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Streamlit server on the fixture corpus plus Kraków, with the hand-made estimate and the fake embedder."""
    tmp = tmp_path_factory.mktemp("brief-live")
    corpus = build_brief_corpus(tmp / "corpus")
    env = {"KB_MODEL": "fake-hash", "KB_SOLUTIONS_DIR": str(corpus)}
    with start_streamlit(ROOT / "tests" / "browser" / "brief_fixture_app.py", tmp, env, timeout=90) as url:
        yield url


def build_and_download_pdf(page, url: str) -> bytes:  # type: ignore[no-untyped-def]
    page.goto(url)
    wait_for_app(page, timeout=180_000)
    page.get_by_role("button", name="Build brief").click()
    button = page.get_by_role("button", name="Download PDF")
    button.wait_for(timeout=120_000)
    wait_for_app(page)
    assert page.get_by_role("heading", name="Executive summary").count() == 1, "the preview shows the brief"
    with page.expect_download(timeout=120_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    return Path(download.path()).read_bytes()


def test_download_a_pdf_brief(brief_app: str, page) -> None:  # type: ignore[no-untyped-def]
    data = build_and_download_pdf(page, f"{brief_app}/brief?solution=test-battery-site&city=krakow")
    assert data.startswith(b"%PDF")
    import io

    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "Kraków" in text and "27.7" in text


def test_download_a_pdf_brief_on_the_bundled_data(live_app: str, page) -> None:  # type: ignore[no-untyped-def]
    """The same on the real corpus and replication model."""
    page.goto(f"{live_app}/brief?solution=ams-schoonschip-canal-heat&city=krakow")
    wait_for_app(page, timeout=180_000)
    page.get_by_role("button", name="Build brief").click()
    wait_for_app(page, timeout=120_000)
    if page.locator("[data-testid=stAlertContentError]").count():
        pytest.skip("no estimate: " + page.locator("[data-testid=stAlertContentError]").first.inner_text())
    button = page.get_by_role("button", name="Download PDF")
    with page.expect_download(timeout=120_000) as info:
        button.click()
    assert Path(info.value.path()).read_bytes().startswith(b"%PDF")
