"""The read-only JSON API under /api/v1: postings, one posting's history, events, sources'
health and feeds, in the shapes the CLI's `--json` prints (`rolewatch.paged`). Handlers are
plain functions, so Starlette runs them in its threadpool, off the event loop."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from config.schema import Config
from notifier.stream import EventFilter
from rolewatch.paged import (
    DEFAULT_LIMIT,
    BadRequest,
    PostingSearch,
    events_page,
    feed_list,
    parse_since,
    posting_detail,
    postings_page,
    source_health,
)
from rolewatch.queries import NotFound

# Written as JSON escapes, so no HTML parser or sniffer ever sees a tag or an entity in an answer.
_HTML_SIGNIFICANT = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


class ApiJSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
        for char, escaped in _HTML_SIGNIFICANT.items():
            text = text.replace(char, escaped)
        return text.encode("utf-8")


def _error(status: int, message: str) -> ApiJSON:
    return ApiJSON({"error": message}, status_code=status)


def _limit(request: Request) -> int:
    text = request.query_params.get("limit")
    if text is None:
        return DEFAULT_LIMIT
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        raise BadRequest(f"limit: {text!r} is not a number")
    return int(text)


def _param(request: Request, name: str) -> str | None:
    return request.query_params.get(name) or None


def _params(request: Request, name: str) -> tuple[str, ...]:
    return tuple(value for value in request.query_params.getlist(name) if value)


def posting_search(request: Request) -> PostingSearch:
    """The postings filters a request gives: `q` for a text search, and the filters of
    `rolewatch postings` (and with `q`, of `rolewatch search`), repeatable ones repeated."""
    return PostingSearch(
        text=request.query_params.get("q"),
        status=_param(request, "status"),
        companies=_params(request, "company"),
        since=parse_since(_param(request, "since")),
        sources=_params(request, "source"),
        places=_params(request, "place"),
        workplace=_params(request, "workplace"),
        min_pay=_param(request, "min_pay"),
        watch=_param(request, "watch"),
    )


Handler = Callable[[Request, Session], Any]


def api_routes(config: Config, sessions: sessionmaker[Session]) -> list[BaseRoute]:
    """The API's routes, to be mounted at /api/v1 inside the app's token and host guards."""

    def answering(handler: Handler) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            try:
                with sessions() as session:
                    return ApiJSON(handler(request, session))
            except BadRequest as bad:
                return _error(400, str(bad))
            except NotFound as missing:
                return _error(404, str(missing))

        return endpoint

    def postings(request: Request, session: Session) -> Any:
        return postings_page(
            session, config, posting_search(request), _param(request, "cursor"), _limit(request)
        ).as_json()

    def posting(request: Request, session: Session) -> Any:
        return posting_detail(session, request.path_params["ref"])

    def events(request: Request, session: Session) -> Any:
        where = EventFilter(
            since=parse_since(_param(request, "since")),
            type=_param(request, "type"),
            source=_param(request, "source"),
            company=_param(request, "company"),
            watch=_param(request, "watch"),
        )
        return events_page(session, config, where, _param(request, "cursor"), _limit(request)).as_json()

    def sources(request: Request, session: Session) -> Any:
        return {"items": source_health(session, config), "next": None}

    def feeds(request: Request) -> Response:
        return ApiJSON({"items": feed_list(config), "next": None})

    def unknown(request: Request) -> Response:
        return _error(404, f"no API endpoint {request.url.path}")

    return [
        Route("/postings", answering(postings)),
        Route("/postings/{ref:path}", answering(posting)),
        Route("/events", answering(events)),
        Route("/sources", answering(sources)),
        Route("/feeds", feeds),
        Route("/{rest:path}", unknown),
    ]
