"""A small HTTP server on 127.0.0.1 that serves recorded board payloads.

The demo serves bundled payloads with it, and the tests point spiders at it; routes can be
swapped while it runs to play a board changing between crawls. A route may also be a callable
that answers from the query string and body, for boards that page by `offset`. A reply with an
`etag` or `last_modified` answers 304 to a request whose If-None-Match / If-Modified-Since
matches, as boards that honour conditional requests do.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    body: bytes
    status: int = 200
    content_type: str = "application/json; charset=utf-8"
    delay: float = 0.0
    headers: dict[str, str] | None = None
    etag: str | None = None  # sent as ETag, quoted as given
    last_modified: str | None = None  # an HTTP date, sent as Last-Modified


@dataclass(frozen=True)
class Incoming:
    """A request as a handler route sees it."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes


@dataclass(frozen=True)
class Received:
    """A request as the server saw it: for asserting on headers and timing."""

    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    at: float  # time.monotonic()
    status: int


Handler = Callable[[Incoming], "Reply | bytes | str"]


class BoardServer:
    """Serves `routes` (path without query → Reply) and `handlers` (path → callable building
    a Reply per request); unknown paths answer 404."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: dict[str, Reply] = {}
        self.handlers: dict[str, Handler] = {}
        self.requests: list[tuple[str, str]] = []
        self.bodies: list[bytes] = []  # POST bodies, in arrival order
        self.received: list[Received] = []  # every request with its headers and answer status
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server._answer(self)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                server.bodies.append(body)
                server._answer(self, body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def set(self, path: str, reply: Reply | bytes | str) -> None:
        self.routes[path] = _as_reply(reply)

    def handle(self, path: str, handler: Handler) -> None:
        """Answer `path` by calling `handler`; it takes precedence over a fixed route."""
        self.handlers[path] = handler

    def _answer(self, handler: BaseHTTPRequestHandler, body: bytes = b"") -> None:
        parts = urlsplit(handler.path)
        path = parts.path
        self.requests.append((handler.command, handler.path))
        arrived = time.monotonic()
        if path in self.handlers:
            incoming = Incoming(handler.command, path, parse_qs(parts.query), body)
            reply = _as_reply(self.handlers[path](incoming))
        else:
            reply = self.routes.get(path) or Reply(b"not found", 404, "text/plain")
        reply = _conditional(reply, handler)
        self.received.append(
            Received(handler.command, handler.path, _lowered(handler), arrived, reply.status)
        )
        if reply.delay:
            time.sleep(reply.delay)
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", reply.content_type)
            handler.send_header("Content-Length", str(len(reply.body)))
            # The server closes every connection after one answer (HTTP/1.0); saying so keeps
            # clients that pool connections (Twisted) from sending the next request down it.
            handler.send_header("Connection", "close")
            for name, value in _validators(reply).items():
                handler.send_header(name, value)
            for name, value in (reply.headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def __enter__(self) -> BoardServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _as_reply(reply: Reply | bytes | str) -> Reply:
    if isinstance(reply, str):
        reply = reply.encode("utf-8")
    return reply if isinstance(reply, Reply) else Reply(reply)


def _lowered(handler: BaseHTTPRequestHandler) -> dict[str, str]:
    return {name.lower(): value for name, value in handler.headers.items()}


def _validators(reply: Reply) -> dict[str, str]:
    validators = {"ETag": reply.etag} if reply.etag else {}
    if reply.last_modified:
        validators["Last-Modified"] = reply.last_modified
    return validators


def _conditional(reply: Reply, handler: BaseHTTPRequestHandler) -> Reply:
    """A 304 with no body when the request's validators match the reply's (exact match is
    enough here: the server hands out the only validators clients can have)."""
    if reply.status != 200 or not (reply.etag or reply.last_modified):
        return reply
    if_none_match = handler.headers.get("If-None-Match")
    if if_none_match is not None:
        matches = reply.etag is not None and reply.etag in [tag.strip() for tag in if_none_match.split(",")]
    else:
        since = handler.headers.get("If-Modified-Since")
        matches = since is not None and since == reply.last_modified
    if not matches:
        return reply
    return Reply(b"", 304, reply.content_type, reply.delay, reply.headers, reply.etag, reply.last_modified)
