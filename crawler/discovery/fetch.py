"""Fetching the URLs a user hands to `rolewatch add`, within bounds: http(s) only, a size and a
time cap, a few redirects, and no loopback, private, link-local or reserved address unless
allowed explicitly (each hop's host is resolved and checked before it is connected to).

A host map sends a host's requests to another base URL (a local test server, a proxy); a
mapped host is the user's explicit choice, so it is not checked for private addresses.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests

from crawler.private_hosts import not_public

MAX_BYTES = 5 * 1024 * 1024
TIMEOUT_SECONDS = 15.0
MAX_REDIRECTS = 5
USER_AGENT = "rolewatch board discovery"


class FetchRefused(Exception):
    """Raised when a URL is not fetched or its answer not read: the reason is one line for the
    user (a scheme, a private address, a size or redirect cap, a network error)."""


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects, as the user would see it (host map undone)
    status: int
    body: bytes
    headers: Mapping[str, str]
    redirects: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class Fetcher:
    allow_private: bool = False
    host_map: Mapping[str, str] = field(default_factory=dict)  # host -> base URL
    max_bytes: int = MAX_BYTES
    timeout: float = TIMEOUT_SECONDS
    max_redirects: int = MAX_REDIRECTS
    session: requests.Session = field(default_factory=requests.Session)

    def fetch(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fetched:
        seen: list[str] = []
        current = url
        for _ in range(self.max_redirects + 1):
            response = self._one(current, method, body, headers or {})
            if response.status_code in (301, 302, 303, 307, 308) and "location" in response.headers:
                response.close()
                target = urljoin(current, response.headers["location"])
                if target in seen or target == current:
                    raise FetchRefused(f"{url}: redirect loop at {target}")
                seen.append(current)
                current = target
                if response.status_code == 303:
                    method, body = "GET", None
                continue
            data = self._read(response, current)
            return Fetched(current, response.status_code, data, dict(response.headers), seen)
        raise FetchRefused(f"{url}: more than {self.max_redirects} redirects")

    def _one(
        self, url: str, method: str, body: bytes | None, headers: Mapping[str, str]
    ) -> requests.Response:
        target = self._routed(url)
        try:
            return self.session.request(
                method,
                target,
                data=body,
                headers={"User-Agent": USER_AGENT, **headers},
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
            )
        except requests.RequestException as error:
            raise FetchRefused(f"{url}: {type(error).__name__}: {_first_line(error)}") from None

    def _routed(self, url: str) -> str:
        """The URL to connect to: http(s) only, through the host map, never to a refused address."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchRefused(
                f"{url}: only http and https URLs are fetched, not {parts.scheme or 'no scheme'}"
            )
        host = (parts.hostname or "").lower()
        if not host:
            raise FetchRefused(f"{url}: no host")
        if host in self.host_map:
            base = urlsplit(self.host_map[host])
            return urlunsplit((base.scheme, base.netloc, base.path.rstrip("/") + parts.path, parts.query, ""))
        if not self.allow_private:
            refuse_private_host(url, host)
        return url

    @property
    def _cap(self) -> str:
        return f"{self.max_bytes / 1024 / 1024:g} MB"

    def _read(self, response: requests.Response, url: str) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response.close()
            raise FetchRefused(f"{url}: the answer is larger than {self._cap}")
        chunks, size, deadline = [], 0, time.monotonic() + self.timeout
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchRefused(
                        f"{url}: the answer is larger than {self.max_bytes // 1024 // 1024} MB"
                    )
                if time.monotonic() > deadline:
                    raise FetchRefused(f"{url}: the answer took longer than {self.timeout:.0f} s")
                chunks.append(chunk)
        except requests.RequestException as error:
            raise FetchRefused(f"{url}: {type(error).__name__}: {_first_line(error)}") from None
        finally:
            response.close()
        return b"".join(chunks)


def refuse_private_host(url: str, host: str) -> None:
    """Raise FetchRefused when `host` is, or resolves to, an address no public board has."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except (socket.gaierror, UnicodeError) as error:
        raise FetchRefused(f"{url}: cannot resolve {host}: {error}") from None
    for address in sorted(str(address) for address in addresses):
        if not_public(address):
            raise FetchRefused(
                f"{url}: {host} is a private, loopback or reserved address ({address}); "
                "not fetched (--allow-private allows it)"
            )


def _first_line(error: Exception) -> str:
    return (str(error).splitlines() or [""])[0][:200]
