"""No board on a public host sends the crawler to a loopback, private, link-local or reserved
address — by a redirect, a link, a sitemap — which would let a board probe the network the
crawler runs in (cloud metadata at 169.254.169.254, an admin page on 10.x, a local service).

`PrivateAddressMiddleware` checks every request, redirected ones included (each redirect
comes back through the downloader middlewares), before any connection is made: a literal IP as
it is, a host name by resolving it. A source configured on such an address itself (a test
server, a local mirror: its `api_base` or `urls` on 127.0.0.1, 10.x, `localhost`) is left
alone, as is the host its configuration names; `crawl.allow_private` turns the check off.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from functools import lru_cache
from typing import Self
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from config.schema import SourceConfig

# Request meta key: the hosts a request's source is configured on (its `api_base`, `urls`).
OWN_HOSTS = "rolewatch_own_hosts"
# Host verdicts kept; a crawl rarely meets more hosts than this.
_REMEMBERED = 10_000


class PrivateAddressRefused(IgnoreRequest):
    """Raised for a request to an address no public board has; its errback records it."""


def own_hosts(source: SourceConfig) -> list[str]:
    """The hosts `source` is configured on, lower-cased: the user chose these."""
    urls = [source.api_base, *source.urls] if source.api_base else list(source.urls)
    return sorted({host for url in urls if (host := (urlsplit(url).hostname or "").lower())})


def not_public(address: str) -> bool:
    """An address no public board has: loopback, private, link-local, reserved, multicast."""
    ip = ipaddress.ip_address(address.split("%")[0])
    return not ip.is_global or ip.is_multicast


def literal_address(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


@lru_cache(maxsize=4096)  # asked for every request of a source, of the same few hosts
def is_local(host: str) -> bool:
    """Loopback or private by how it is written, without resolving: an IP, or `localhost`."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    address = literal_address(host)
    return address is not None and not_public(address)


def resolved_addresses(host: str) -> set[str]:
    try:
        return {str(info[4][0]) for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except (OSError, UnicodeError):
        return set()  # the download fails on it as it would have, saying why


class PrivateAddressMiddleware:
    """Downloader middleware: refuses a request of a source on a public host to an address no
    public board has (see the module's docstring)."""

    def __init__(self) -> None:
        self.verdicts: dict[str, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if crawler.settings.getbool("ROLEWATCH_ALLOW_PRIVATE"):
            raise NotConfigured("crawl.allow_private is on")
        return cls()

    async def process_request(self, request: Request, spider: object = None) -> None:
        host = (urlsplit(request.url).hostname or "").lower()
        configured: Iterable[str] = request.meta.get(OWN_HOSTS) or ()
        if not host or host in configured or any(is_local(each) for each in configured):
            return
        if OWN_HOSTS not in request.meta:
            return  # Scrapy's own (robots.txt) for a host a board's request was allowed to
        refused = await self.refused(host)
        if refused:
            raise PrivateAddressRefused(
                f"{host} is a private, loopback or reserved address ({refused}): a board on a public"
                " host may not send the crawler there (crawl.allow_private allows it)"
            )

    async def refused(self, host: str) -> str | None:
        """The address that makes `host` refused, or None."""
        if host in self.verdicts:
            return self.verdicts[host]
        literal = literal_address(host)
        if literal is not None:
            addresses = {literal}
        else:
            addresses = await maybe_deferred_to_future(deferToThread(resolved_addresses, host))
        verdict = next((address for address in sorted(addresses) if not_public(address)), None)
        if len(self.verdicts) >= _REMEMBERED:
            self.verdicts.clear()
        self.verdicts[host] = verdict
        return verdict
