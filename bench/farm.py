"""A farm of Greenhouse boards built from recorded payloads, served on loopback.

Board `i` is Stripe's big recorded board when `i % 10 == 0` and one of the small recorded
boards otherwise. Every board gets its own job ids (the recorded id plus `(i + 1) * 10**10`, in
the `id` field and in the URLs that carry it) and its own company name, so no two boards look
like copies of one job: rolewatch links equal company + title + location across sources.

Boards are spread over 127.0.0.2 … 127.0.0.9 (Linux routes all of 127.0.0.0/8 to lo), so
Scrapy's per-host slots do not throttle what is measured. The server runs in its own process
(`python -m bench.farm --boards N`), so its CPU is not counted in the crawl being timed; it
keeps one template per recorded payload and splices each board's ids into it per request,
because 2,000 pre-encoded copies of a 2 MB board would take 4 GB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path("/work/shared/fixtures/real/greenhouse")
BIG = "stripe-jobs-content-2026-08-04.json"
SMALL = (
    "smarterdx-jobs-content.json",
    "homepl-eu-jobs-minimal.json",
    "stripe-jobs-content-trimmed-2026-07.json",
    "stripe-jobs-list-2026-08.json",
)
# The home.pl capture carries no company_name; the board's owner, as the capture names it.
DEFAULT_COMPANY = {"homepl-eu-jobs-minimal.json": "home.pl"}
HOSTS = tuple(f"127.0.0.{last}" for last in range(2, 10))
ID_STRIDE = 10**10
BOARD_PATH = re.compile(rb"^/v1/boards/b(\d+)/jobs$")
_MARK = re.compile(r'"@@N(\d+)@@"|@@S(\d+)@@|@@COMPANY@@')


@dataclass(frozen=True)
class Template:
    """A payload cut at every id and company name: `pieces` has one more entry than `slots`.

    A slot is `("id", k)` for job k's new id or `("company", -1)` for the board's company name
    (already JSON-escaped, quotes not included).
    """

    fixture: str
    pieces: tuple[bytes, ...]
    slots: tuple[tuple[str, int], ...]
    ids: tuple[int, ...]
    company: str
    jobs: int

    def render(self, index: int) -> list[bytes]:
        """Board `index`'s body as a list of byte strings (written out without joining)."""
        offset = (index + 1) * ID_STRIDE
        company = json.dumps(board_company(self.company, index), ensure_ascii=False)[1:-1].encode()
        parts = [self.pieces[0]]
        for (kind, k), piece in zip(self.slots, self.pieces[1:], strict=True):
            parts.append(str(self.ids[k] + offset).encode() if kind == "id" else company)
            parts.append(piece)
        return parts

    def body(self, index: int) -> bytes:
        return b"".join(self.render(index))


def board_company(company: str, index: int) -> str:
    return f"{company} {board_name(index)}"


def board_name(index: int) -> str:
    return f"b{index:05d}"


def board_host(index: int) -> str:
    return HOSTS[index % len(HOSTS)]


def board_fixture(index: int) -> str:
    return BIG if index % 10 == 0 else SMALL[index % len(SMALL)]


def board_url(index: int, port: int) -> str:
    return f"http://{board_host(index)}:{port}/v1/boards/{board_name(index)}/jobs?content=true"


@cache
def template(fixture: str) -> Template:
    payload = json.loads((FIXTURES / fixture).read_text(encoding="utf-8"))
    jobs: list[dict[str, Any]] = payload["jobs"]
    ids: list[int] = []
    for k, job in enumerate(jobs):
        original = job["id"]
        if int(original) >= ID_STRIDE:
            raise ValueError(f"{fixture}: job id {original} does not fit under the board offset")
        ids.append(int(original))
        # URL fields repeat the id (gh_jid=…, /jobs/…); the description is left alone.
        for key, value in job.items():
            if isinstance(value, str) and key != "content" and str(original) in value:
                job[key] = value.replace(str(original), f"@@S{k}@@")
        job["id"] = f"@@N{k}@@" if isinstance(original, int) else f"@@S{k}@@"
        job["company_name"] = "@@COMPANY@@"
    # A recorded board cut in size says it has more jobs than it lists, which rolewatch (rightly)
    # takes as an incomplete crawl that may close nothing; a farm board is whole.
    if isinstance(payload.get("meta"), dict) and "total" in payload["meta"]:
        payload["meta"]["total"] = len(jobs)
    company = DEFAULT_COMPANY.get(fixture) or _company(fixture)
    # Greenhouse's API (Rails) sends minified JSON with & < > escaped; the Stripe capture is such
    # a raw body, and this encoding gives it back byte for byte apart from ids and company.
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    pieces: list[bytes] = []
    slots: list[tuple[str, int]] = []
    at = 0
    for match in _MARK.finditer(text):
        pieces.append(text[at : match.start()].encode())
        number = match.group(1) or match.group(2)
        slots.append(("id", int(number)) if number else ("company", -1))
        at = match.end()
    pieces.append(text[at:].encode())
    return Template(fixture, tuple(pieces), tuple(slots), tuple(ids), company, len(jobs))


def _company(fixture: str) -> str:
    payload = json.loads((FIXTURES / fixture).read_text(encoding="utf-8"))
    names = {job.get("company_name") for job in payload["jobs"]} - {None}
    if len(names) != 1:
        raise ValueError(f"{fixture}: expected one company_name, found {sorted(names)}")
    return str(names.pop())


def farm_postings(boards: int) -> int:
    """Postings listed over the first `boards` boards."""
    return sum(template(board_fixture(index)).jobs for index in range(boards))


class FarmProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, GET only: just enough for Scrapy, with no per-request parsing
    beyond the request line and the Connection header."""

    def __init__(self, farm: Farm) -> None:
        self.farm = farm
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None and b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            self._answer(head)

    def _answer(self, head: bytes) -> None:
        assert self.transport is not None
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        target = parts[1] if len(parts) == 3 else b"/"
        close = any(
            line.lower().startswith(b"connection:") and b"close" in line.lower() for line in lines[1:]
        )
        status, body = self.farm.reply(target)
        size = sum(len(part) for part in body)
        header = (
            f"HTTP/1.1 {status}\r\nContent-Type: application/json; charset=utf-8\r\n"
            f"Content-Length: {size}\r\n{'Connection: close' if close else 'Connection: keep-alive'}\r\n\r\n"
        ).encode()
        self.transport.writelines([header, *body])
        if close:
            self.transport.close()
            self.transport = None


class Farm:
    """What the server answers, and its counts (served at /stats for the benchmark to check)."""

    def __init__(self, boards: int) -> None:
        self.boards = boards
        self.counts = {"boards": 0, "bytes": 0, "robots": 0, "not_found": 0}
        for fixture in {board_fixture(index) for index in range(min(boards, 10))}:
            template(fixture)  # built before the first request, not during a timed crawl

    def reply(self, target: bytes) -> tuple[str, list[bytes]]:
        path = target.split(b"?", 1)[0]
        match = BOARD_PATH.match(path)
        if match and int(match.group(1)) < self.boards:
            body = template(board_fixture(int(match.group(1)))).render(int(match.group(1)))
            self.counts["boards"] += 1
            self.counts["bytes"] += sum(len(part) for part in body)
            return "200 OK", body
        if path == b"/stats":
            return "200 OK", [json.dumps(self.counts).encode()]
        if path == b"/robots.txt":
            self.counts["robots"] += 1
        else:
            self.counts["not_found"] += 1
        return "404 Not Found", [b'{"status":404,"error":"Not found"}']


def _sockets(port: int) -> list[socket.socket]:
    """One listening socket per farm address, all on one port (the first free one when 0)."""
    for _ in range(20):
        made: list[socket.socket] = []
        try:
            for host in HOSTS:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((host, port or (made[0].getsockname()[1] if made else 0)))
                sock.listen(1024)
                made.append(sock)
            return made
        except OSError:
            for sock in made:
                sock.close()
            if port:
                raise
    raise OSError("no port free on every farm address")


async def serve(boards: int, port: int) -> None:
    farm = Farm(boards)
    loop = asyncio.get_running_loop()
    servers = [await loop.create_server(lambda: FarmProtocol(farm), sock=sock) for sock in _sockets(port)]
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # The parent reads this line to learn the port; closing our stdin also stops the farm.
    print(json.dumps({"port": servers[0].sockets[0].getsockname()[1], "hosts": HOSTS}), flush=True)
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not os.read(sys.stdin.fileno(), 4096) else None)
    await stop.wait()
    for server in servers:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--boards", type=int, required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(serve(args.boards, args.port))


if __name__ == "__main__":
    main()
