"""A board on a public host cannot send the crawler to a loopback, private, link-local or reserved
address (by a redirect or any other request); a source configured on such an address (a test
server, a local mirror) may, and so may every source with `crawl.allow_private`.

The public board is a name this machine resolves to 127.0.0.1 (its own host name), so nothing
leaves loopback; each refused target is an address the crawler must not connect to at all.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from pathlib import Path

import pytest

from config.loader import load_config
from rolewatch.boardserver import BoardServer, Reply
from rolewatch.cycle import crawl_sources
from rolewatch.demo_boards import board_before

LISTING = "/v1/boards/{name}/jobs"


def public_name() -> str:
    """A host name, not loopback by name, that resolves to loopback here."""
    name = socket.gethostname()
    addresses = {info[4][0] for info in socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)}
    assert name != "localhost" and addresses, name
    assert all(ipaddress.ip_address(address).is_loopback for address in addresses), addresses
    return name


def write_config(tmp_path: Path, sources: dict[str, str], allow_private: bool = False) -> Path:
    listed = "".join(
        f"  - {{name: {name}, type: greenhouse, board: {name}, api_base: '{base}', timeout: 20s}}\n"
        for name, base in sources.items()
    )
    path = tmp_path / "rolewatch.yaml"
    path.write_text(
        f"database: sqlite:///{tmp_path / 'rolewatch.db'}\n"
        f"crawl: {{allow_private: {str(allow_private).lower()}}}\nsources:\n{listed}"
    )
    return path


def problems_of(outcome: object) -> str:
    result = getattr(outcome, "result", {}) or {}
    return " | ".join(result.get("problems") or []) or (getattr(outcome, "error", None) or "")


@pytest.mark.parametrize("allow_private", [False, True])
def test_a_public_board_redirecting_to_a_private_address_is_refused_before_any_connection(
    tmp_path: Path, allow_private: bool
) -> None:
    board = json.dumps(board_before())
    with BoardServer() as public, BoardServer() as inside:
        port = public.url.rpartition(":")[2]
        targets = {
            "loopback": inside.url,
            "loopbackname": inside.url.replace("127.0.0.1", "localhost"),
            "private": "http://10.0.0.1",
            "linklocal": "http://169.254.169.254",
        }
        for name, target in targets.items():
            public.set(LISTING.format(name=name), Reply(b"", 302, headers={"Location": target + "/landed"}))
        landed = inside.url + "/landed"
        inside.set("/landed", Reply(board.encode()))
        # A source on loopback itself: a redirect to loopback is its own business.
        public.set(LISTING.format(name="local"), Reply(b"", 302, headers={"Location": landed}))
        sources = {name: f"http://{public_name()}:{port}" for name in targets}
        sources["local"] = public.url
        if allow_private:
            # Allowed, these would leave the machine: only the loopback ones are followed here.
            del sources["private"], sources["linklocal"]
        config = load_config(write_config(tmp_path, sources, allow_private))

        outcomes = {outcome.source: outcome for outcome in crawl_sources(config)}
        reached = [path for _, path in inside.requests]

    assert outcomes["local"].ok, problems_of(outcomes["local"])
    if allow_private:
        assert outcomes["loopback"].ok and outcomes["loopbackname"].ok
        assert reached.count("/landed") == 3
        return
    assert sorted(reached) == ["/landed", "/robots.txt"], "only the source on loopback reached it"
    for name in targets:
        problem = problems_of(outcomes[name])
        assert not outcomes[name].ok
        assert "private, loopback or reserved address" in problem, (name, problem)
        assert "timed out" not in problem and "Connection" not in problem, (name, problem)
