"""The web view as a Starlette application: HTML pages over `rolewatch.webview.pages`, the
Atom feeds and the JSON API (`rolewatch.webview.api`). Read-only: it opens the database as
it is and never migrates or writes it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from config.schema import Config
from notifier.feeds import UnknownFeed, all_feeds, feed_xml, find_feed
from notifier.stream import EVENT_TYPES
from pipeline.db import open_current, session_factory
from rolewatch.metrics import metrics_answer, store_registry
from rolewatch.paged import BadRequest, postings_page
from rolewatch.queries import NotFound, find_posting, list_events
from rolewatch.webview.api import api_routes, posting_search
from rolewatch.webview.guards import LoopbackHostOnly, SecurityHeaders, token_required
from rolewatch.webview.pages import posting_history, sources

# Postings on one page of the web view's listing; "Older" links page on by the API's cursor.
POSTINGS_SHOWN = 100

templates = Environment(
    loader=PackageLoader("rolewatch.webview", "templates"),
    autoescape=select_autoescape(["j2"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class _Guarded(Starlette):
    """Security headers outside everything, the answers of Starlette's own error handler too."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


def create_app(config: Config, token: str | None = None) -> Starlette:
    """The application; with `token`, every request must carry it (Authorization: Bearer, or
    ?token= once, kept in a cookie). Pages that read the database are plain functions, which
    Starlette runs in its threadpool: one waiting on the database holds back no other."""
    engine = open_current(config.database)
    sessions = session_factory(engine)

    def page(name: str, status: int = 200, **values: Any) -> HTMLResponse:
        return HTMLResponse(templates.get_template(name).render(**values), status_code=status)

    def not_found(message: str) -> HTMLResponse:
        return page("missing.html.j2", status=404, title="Not found", message=message)

    def sources_page(request: Request) -> Response:
        with sessions() as session:
            return page(
                "sources.html.j2", title="Sources", sources=sources(session, config),
                families={source.name: source.type for source in config.sources},
            )  # fmt: skip

    def events_page(request: Request) -> Response:
        chosen = {
            key: request.query_params.get(key) or None for key in ("watch", "company", "type", "source")
        }
        if chosen["type"] not in (None, *EVENT_TYPES):
            return not_found(f"no event type {chosen['type']!r}")
        try:
            with sessions() as session:
                rows = list_events(session, config, limit=200, **chosen)  # type: ignore[arg-type]
        except NotFound as missing:
            return not_found(str(missing))
        return page(
            "events.html.j2", title="Events", events=rows, chosen=chosen, types=EVENT_TYPES,
            watches=[watch.name for watch in config.watches],
            source_names=[source.name for source in config.sources],
        )  # fmt: skip

    def postings_list(request: Request) -> Response:
        chosen = {key: request.query_params.get(key) or "" for key in ("q", "company", "status", "since")}
        try:
            search = posting_search(request)
            with sessions() as session:
                shown = postings_page(
                    session, config, search, request.query_params.get("cursor"), POSTINGS_SHOWN
                )
        except BadRequest as bad:
            return page("missing.html.j2", status=400, title="Bad request", message=str(bad))
        except NotFound as missing:
            return not_found(str(missing))
        # The token stays in its cookie, out of links.
        kept = [pair for pair in request.query_params.multi_items() if pair[0] not in ("cursor", "token")]
        older = urlencode([*kept, ("cursor", shown.next)]) if shown.next else None
        return page("postings.html.j2", title="Postings", postings=shown.items, chosen=chosen, older=older)

    def posting_page(request: Request) -> Response:
        ref = request.path_params["ref"]
        try:
            with sessions() as session:
                shown = posting_history(session, find_posting(session, ref))
        except NotFound as missing:
            return not_found(str(missing))
        return page("posting.html.j2", title=shown["title"] or "Posting", posting=shown)

    async def feeds_page(request: Request) -> Response:
        return page("feeds.html.j2", title="Feeds", feeds=all_feeds(config))

    def feed(request: Request) -> Response:
        try:
            chosen = find_feed(config, request.path_params["slug"])
            with sessions() as session:
                body = feed_xml(session, config, chosen)
        except UnknownFeed as missing:
            return not_found(str(missing))
        return Response(body, media_type="application/atom+xml")

    registry = store_registry(sessions, config.queue)

    def metrics(request: Request) -> Response:
        body, content_type = metrics_answer(registry)
        return Response(body, headers={"content-type": content_type})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = _Guarded(
        routes=[
            Route("/", sources_page),
            Route("/sources", sources_page),
            Route("/events", events_page),
            Route("/postings", postings_list),
            Route("/postings/{ref:path}", posting_page),
            Route("/feeds", feeds_page),
            Route("/feeds/{slug}.xml", feed),
            Route("/metrics", metrics),
            Mount("/api/v1", routes=api_routes(config, sessions)),
            Mount("/static", StaticFiles(packages=[("rolewatch.webview", "static")])),
        ],
        lifespan=lifespan,
        middleware=[
            Middleware(BaseHTTPMiddleware, dispatch=token_required(token))
            if token
            else Middleware(LoopbackHostOnly)
        ],
    )
    app.state.engine = engine
    return app
