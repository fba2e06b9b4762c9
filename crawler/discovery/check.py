"""A candidate board checked by reading it once, with the family's own board reader.

The reader's requests go through the bounded fetcher (not Scrapy: one board, a few requests)
and its responses to the reader's callbacks, as in a crawl; listing pages are followed up to
a cap. What comes back is what the preview shows: the company as the board names it, how many
postings it lists, and a few titles; or why it is not a board.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urlsplit

import scrapy
from pydantic import ValidationError
from scrapy.http import HtmlResponse, Response, TextResponse, XmlResponse

from config.schema import SourceConfig
from crawler.crawl import CALLBACK, board_outputs
from crawler.discovery.fetch import Fetcher, FetchRefused
from crawler.discovery.urls import BoardRef
from crawler.items import RawPosting
from crawler.registry import board_for

MAX_REQUESTS = 12  # a listing of a few pages; details are not needed for a preview
SHOWN_TITLES = 3


@dataclass(frozen=True)
class BoardCheck:
    ref: BoardRef
    ok: bool
    company: str | None = None
    postings: int = 0
    titles: list[str] = field(default_factory=list)
    more: bool = False  # the listing goes on past what was read
    reason: str | None = None


def source_name(ref: BoardRef) -> str:
    """A source name for a board: its token, made of the characters names allow."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", ref.board.replace("/", "-")).strip("-._").lower()
    return name or ref.type


def source_of(ref: BoardRef, name: str | None = None) -> SourceConfig:
    return SourceConfig.model_validate(
        {"name": name or source_name(ref), "type": ref.type, "board": ref.board, "api_base": ref.api_base}
    )


def check_board(ref: BoardRef, fetcher: Fetcher) -> BoardCheck:
    """Read the board's listing once; ok only when it answers as a board of its family and
    lists postings. A posting whose detail the board would fetch counts as listed, by the
    title its listing gives."""
    try:
        board = board_for(source_of(ref))
        queue: list[scrapy.Request] = list(board.start())
    except (ValidationError, ValueError) as error:  # a token no source of the family could have
        first = str(error).splitlines()[0][:200]
        return BoardCheck(ref, False, reason=f"not a board: {first}")
    listed: list[tuple[str, str | None]] = []  # (title, company) of each posting read
    made = 0
    while queue and made < MAX_REQUESTS:
        request = queue.pop(0)
        if "listed" in request.cb_kwargs:  # a posting's detail: its listing entry says enough
            listed.append(_listed(request.cb_kwargs["listed"]))
            continue
        made += 1
        try:
            fetched = fetcher.fetch(request.url, request.method, request.body or None, _headers(request))
        except FetchRefused as refused:
            return BoardCheck(ref, False, reason=str(refused))
        if fetched.status in (404, 410):
            return BoardCheck(ref, False, reason=f"board not found: {request.url} answered {fetched.status}")
        if fetched.redirects and _moved_off(request.url, fetched.url):
            return BoardCheck(ref, False, reason=f"board not found: {request.url} redirects to {fetched.url}")
        response = _response(request, fetched.url, fetched.status, fetched.body, fetched.headers)
        if fetched.status >= 400:
            reason = f"{request.url} answered HTTP {fetched.status}"
            return BoardCheck(ref, False, reason=reason)
        callback = request.callback or getattr(board, request.meta.get(CALLBACK, "parse_listing"))
        follow, found = board_outputs(board, partial(callback, response, **request.cb_kwargs), request.url)
        listed += [(raw.title, raw.company) for raw in found]
        queue += follow
    more = any("listed" not in request.cb_kwargs for request in queue)
    listed += [_listed(request.cb_kwargs["listed"]) for request in queue if "listed" in request.cb_kwargs]
    if not listed:
        return BoardCheck(ref, False, reason="; ".join(board.problems) or "the board lists no postings")
    companies = Counter(company for _, company in listed if company)
    company = companies.most_common(1)[0][0] if companies else None
    titles = [title for title, _ in listed[:SHOWN_TITLES]]
    return BoardCheck(ref, True, company, len(listed), titles, more)


def _listed(entry: object) -> tuple[str, str | None]:
    if isinstance(entry, RawPosting):
        return entry.title, entry.company
    if isinstance(entry, dict):
        return str(entry.get("title") or entry.get("name") or "?"), None
    return "?", None


def _headers(request: scrapy.Request) -> dict[str, str]:
    return {key.decode(): b", ".join(values).decode() for key, values in request.headers.items()}


def _moved_off(asked: str, landed: str) -> bool:
    """A board URL that lands on another path (a vendor's home page) names no board."""
    a, b = urlsplit(asked), urlsplit(landed)
    return a.path.rstrip("/") != b.path.rstrip("/") and b.path.strip("/") in ("", "en", "de")


def _response(
    request: scrapy.Request, url: str, status: int, body: bytes, headers: Mapping[str, str]
) -> Response:
    kind = headers.get("content-type", headers.get("Content-Type", "")).lower()
    cls: type[TextResponse] = TextResponse
    if "html" in kind:
        cls = HtmlResponse
    elif "xml" in kind or "rss" in kind:
        cls = XmlResponse
    return cls(url=url, status=status, body=body, headers=headers, request=request, encoding="utf-8")
