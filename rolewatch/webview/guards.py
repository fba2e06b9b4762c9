"""What keeps the web view to its reader: loopback host names only when no token is set (DNS
rebinding), the token when one is, and security headers on every answer."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOKEN_COOKIE = "rolewatch_token"
# The browser keeps the token this long after the last page it loaded (seconds).
TOKEN_COOKIE_MAX_AGE = 30 * 24 * 3600
SECURITY_HEADERS = {
    # The pages load their stylesheet from /static and run no script.
    "content-security-policy": (
        "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    # Links to boards would otherwise tell them a ?token= in the address.
    "referrer-policy": "no-referrer",
}


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address, IPv6 with or without brackets) is this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]")).is_loopback
    except ValueError:
        return False


def is_loopback_authority(value: str) -> bool:
    """Whether a Host header names this machine: localhost, 127.x.x.x or [::1], any port."""
    if not value or any(char in value for char in "@/?#\\ \t"):
        return False
    parts = urlsplit(f"//{value}")
    try:
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        return False
    return parts.hostname is not None and is_loopback(parts.hostname)


class SecurityHeaders:
    """Sets `SECURITY_HEADERS` on every response the wrapped application sends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


class LoopbackHostOnly:
    """Answers 421 to a request whose Host is not a loopback name. A page elsewhere can point
    its own name at 127.0.0.1 (DNS rebinding) and read what it loads: it still says its name."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not is_loopback_authority(Headers(scope=scope).get("host", "")):
            refused = PlainTextResponse("this view answers only to localhost, 127.0.0.1 or [::1]\n", 421)
            await refused(scope, receive, send)
            return
        await self.app(scope, receive, send)


def token_required(
    token: str,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """A dispatch for BaseHTTPMiddleware: the token from Authorization (any case of "Bearer",
    RFC 7235), ?token= or the cookie, else 401."""

    async def check(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        given = credentials.strip() if scheme.lower() == "bearer" else ""
        given = given or request.query_params.get("token") or request.cookies.get(TOKEN_COOKIE) or ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            return PlainTextResponse(
                "a token is needed: Authorization: Bearer TOKEN, or ?token=TOKEN\n",
                401,
                headers={"WWW-Authenticate": 'Bearer realm="rolewatch"'},
            )
        response = await call_next(request)
        # Links carry no token: the browser keeps it for the pages that follow.
        response.set_cookie(
            TOKEN_COOKIE, token, max_age=TOKEN_COOKIE_MAX_AGE, httponly=True, samesite="strict"
        )
        return response

    return check
