"""The served lesson feeds: ``GET /kb-feeds/lessons.atom?city=…&measure_type=…&barrier_type=…`` beside Streamlit.

A feed reader subscribes to this address and polls it; the answer is the same Atom document the Lessons page offers
as a download and ``kb lessons feed`` prints (kb/views/follow.py builds it). Anyone may read it: it lists only
published lessons. Links in it point at this server (scheme, host and Streamlit's ``server.baseUrlPath``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from kb import errors
from kb.config import Settings
from kb.store import database
from kb.views import account, follow

__all__ = ["routes"]

log = logging.getLogger(__name__)

_HEADERS = {"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"}


def _default_engine() -> Engine:
    return database.get_engine(Settings.from_env().db_path)


def routes(base: str = "", engine: Callable[[], Engine] | None = None) -> list[Route]:
    """The feed route for ``st.App(..., routes=...)`` under Streamlit's ``server.baseUrlPath`` ``base``."""
    get_engine = engine or _default_engine
    path = account.url(base, follow.FEED_PATH)

    async def lessons_feed(request: Request) -> Response:
        query = {key: request.query_params.getlist(key) for key in request.query_params}
        app_url = f"{request.url.scheme}://{request.url.netloc}{account.url(base, '')}".rstrip("/")
        try:
            got = await run_in_threadpool(follow.feed_response, get_engine(), query, app_url, str(request.url))
        except errors.KbError as exc:  # the database cannot be read: a sentence, never a traceback
            log.info("feed not served: %s", exc)
            return PlainTextResponse(f"{exc}\n", status_code=503, headers={"Retry-After": "60"})
        headers = dict(_HEADERS) if got.status == 200 else {"X-Content-Type-Options": "nosniff"}
        return Response(got.body, status_code=got.status, media_type=got.content_type, headers=headers)

    return [Route(path, lessons_feed, methods=["GET", "HEAD"])]
