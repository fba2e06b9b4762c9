"""A real digest rendered by headless Chromium: the screenshot must show the styled digest.

Chromium comes from Debian's `chromium` package (`apt-get install chromium`; `.ci/run` installs
it). Without it this test fails with instructions; on a developer machine
`ROLEWATCH_SKIP_BROWSER=1` turns that failure into a skip. Set `ROLEWATCH_DIGEST_PNG=PATH` to
keep the screenshot (that is how `docs/digest-example.png` is made).
"""

from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
import zlib
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from config.loader import parse_config
from notifier.digest import send_digests
from notifier.transports import MaildirTransport
from pipeline.db import open_database, session_factory
from rolewatch.demo_boards import board_after, board_before
from tests.test_digest import crawl

CHROMIUM = Path("/usr/bin/chromium")
WIDTH, HEIGHT = 800, 1200
BROWSER_TIMEOUT = 90  # seconds; a first start on a cold machine takes a few

# Colours from notifier/templates/digest.html.j2 that a styled digest must show.
PAGE_BACKGROUND = (0xF4, 0xF5, 0xF7)
BADGES = {
    "new": (0x1A, 0x7F, 0x37),
    "changed": (0x9A, 0x67, 0x00),
    "closed": (0x6E, 0x77, 0x81),
}
CARD = (0xFF, 0xFF, 0xFF)

CONFIG = """
database: "{database}"
mail: {{transport: maildir, maildir: "{maildir}", from: "rolewatch <alerts@example.com>"}}
sources:
  - {{name: stripe, type: greenhouse, board: stripe, close_after_missing: 1}}
watches:
  - name: infra-remote
    extends: infrastructure
    workplace: [remote, hybrid]
    min_salary: {{amount: 150000, currency: USD}}
  - name: infra-anywhere
    extends: infrastructure
recipients:
  - email: me@example.com
    watches: [infra-remote, infra-anywhere]
"""


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    how = (
        f"{CHROMIUM} not found: this test renders a digest in headless Chromium. Install it with "
        "`sudo apt-get install chromium` (Debian/Ubuntu), or set ROLEWATCH_SKIP_BROWSER=1 to skip "
        "this test on a machine without it."
    )
    if os.environ.get("ROLEWATCH_SKIP_BROWSER") == "1":
        pytest.skip(how)
    pytest.fail(how)


def second_digest_html(tmp_path: Path) -> str:
    """The HTML part of the digest mailed after the demo board changed: new, changed, closed."""
    config = parse_config(
        CONFIG.format(database=f"sqlite:///{tmp_path / 'rolewatch.db'}", maildir=tmp_path / "mail"),
        "digest.yaml",
    )
    engine = open_database(config.database)
    sessions = session_factory(engine)
    try:
        crawl(sessions, config, board_before())
        send_digests(sessions, config, MaildirTransport(tmp_path / "first"))
        crawl(sessions, config, board_after())
        report = send_digests(sessions, config, MaildirTransport(tmp_path / "second"))
    finally:
        engine.dispose()
    assert [r.status for r in report.reports] == ["sent"]
    (path,) = (tmp_path / "second" / "new").iterdir()
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["Subject"] == "[rolewatch] 1 new, 1 changed, 1 closed — Stripe"
    body = message.get_body(("html",))
    assert body is not None, "the digest has no HTML part"
    html: str = body.get_content()
    return html


def run_chromium(page: Path | str, profile: Path, *options: str, what: str) -> tuple[bytes, str]:
    """Headless Chromium on a file or a URL: its standard output, and the tail of its log."""
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *options,
        page.as_uri() if isinstance(page, Path) else page,
    ]
    # Its own process group, so a hung browser is stopped with all its helper processes.
    browser = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        output, errors = browser.communicate(timeout=BROWSER_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(browser.pid, signal.SIGKILL)
        browser.communicate()
        pytest.fail(f"Chromium did not {what} within {BROWSER_TIMEOUT} s")
    log = errors.decode(errors="replace")[-3000:]
    assert browser.returncode == 0, f"Chromium exited with {browser.returncode}:\n{log}"
    return output, log


def screenshot(page: Path | str, png: Path, profile: Path) -> None:
    """A screenshot of a file or a URL."""
    _, log = run_chromium(
        page, profile, "--hide-scrollbars", f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={png}",
        what="write a screenshot",
    )  # fmt: skip
    assert png.is_file() and png.stat().st_size > 0, f"Chromium wrote no screenshot:\n{log}"


def read_png(path: Path) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Width, height and RGB pixels of an 8-bit RGB or RGBA, non-interlaced PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    position, chunks = 8, []
    header = b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    channels = 3 if colour == 2 else 4
    stride = width * channels
    raw = zlib.decompress(b"".join(chunks))
    assert len(raw) == height * (stride + 1)
    pixels: list[tuple[int, int, int]] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, row = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        unfilter(kind, row, previous, channels)
        pixels.extend(zip(row[0::channels], row[1::channels], row[2::channels], strict=True))
        previous = row
    return width, height, pixels


def unfilter(kind: int, row: bytearray, previous: bytearray, bpp: int) -> None:
    """Undo one PNG scanline filter in place (PNG spec, section 9)."""
    if kind == 0:
        return
    if kind == 2:
        row[:] = bytes((a + b) & 0xFF for a, b in zip(row, previous, strict=True))
        return
    for i in range(len(row)):
        left = row[i - bpp] if i >= bpp else 0
        up = previous[i]
        if kind == 1:
            row[i] = (row[i] + left) & 0xFF
        elif kind == 3:
            row[i] = (row[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            up_left = previous[i - bpp] if i >= bpp else 0
            estimate = left + up - up_left
            pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - up_left)
            nearest = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
            row[i] = (row[i] + nearest) & 0xFF
        else:
            raise ValueError(f"unknown PNG filter {kind}")


def test_digest_renders_in_chromium_as_a_styled_page(tmp_path: Path) -> None:
    require_chromium()
    html = second_digest_html(tmp_path)
    for text in (
        "Engineering Manager - Core Performance",
        "$155,700 – $285,600 per year",
        "$165,000 – $295,000 per year",
        "Infrastructure Engineer, Privy",
    ):
        assert text in html
    page = tmp_path / "digest.html"
    page.write_text(html, encoding="utf-8")
    png = tmp_path / "digest.png"

    screenshot(page, png, tmp_path / "chromium-profile")

    width, height, pixels = read_png(png)
    assert (width, height) == (WIDTH, HEIGHT)
    colours = Counter(pixels)
    assert len(colours) > 200, f"only {len(colours)} distinct colours: a blank or unstyled page"
    background = colours[PAGE_BACKGROUND] / len(pixels)
    assert 0.2 < background < 0.95, f"page background covers {background:.0%} of the screenshot"
    assert colours[CARD] / len(pixels) > 0.1, "the white posting cards are missing"
    for event, rgb in BADGES.items():
        # A badge is roughly 40-70 x 16 px of solid colour.
        assert colours[rgb] > 300, f"the {event} badge colour #{bytes(rgb).hex()} is missing"
    if keep := os.environ.get("ROLEWATCH_DIGEST_PNG"):
        shutil.copyfile(png, keep)


def test_a_missing_browser_fails_unless_skipping_is_asked_for(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(f"{__name__}.CHROMIUM", tmp_path / "chromium")
    monkeypatch.delenv("ROLEWATCH_SKIP_BROWSER", raising=False)
    with pytest.raises(pytest.fail.Exception, match="apt-get install chromium"):
        require_chromium()
    monkeypatch.setenv("ROLEWATCH_SKIP_BROWSER", "1")
    with pytest.raises(pytest.skip.Exception):
        require_chromium()


def test_every_kind_of_digest_entry_renders_in_chromium(tmp_path: Path) -> None:
    """New, changed (pay and text), closed, reopened and a first crawl's summary, in one page."""
    from notifier.render import build_view, render
    from pipeline.diff import description_diff
    from tests.test_digest_layout import PAY, row

    text_change = {"description": {"lines": description_diff("We run Go and Rust.", "We run Go and Zig.")}}
    rows = [
        row("new", "Site Reliability Engineer", ["infra"], workplace=["remote"], posted_at="2026-11-30"),
        row(
            "changed",
            "Storage Engineer",
            ["infra"],
            diff={"salary_max": {"old": 230000.0, "new": 250000.0}, **text_change},
            **PAY,
        ),  # fmt: skip
        row("closed", "Network Engineer", ["infra"], locations=["Dublin"]),
        row("reopened", "Database Engineer", ["infra"], locations=["Berlin"], workplace=["hybrid"]),
        *(row("new", f"Platform Engineer {n}", ["infra"], backfill=True, **PAY) for n in range(3)),
    ]
    _, html = render(build_view("me@example.com", rows, backfill_top=2))
    expected = ("Site Reliability Engineer", "Database Engineer", "and 1 more", ">Rust.</del>", ">Zig.</ins>",
                "Already on the board when first watched: 3")  # fmt: skip
    for shown in expected:
        assert shown in html, shown
    page = tmp_path / "kinds.html"
    page.write_text(html, encoding="utf-8")
    png = tmp_path / "kinds.png"

    require_chromium()
    screenshot(page, png, tmp_path / "chromium-profile")

    _, _, pixels = read_png(png)
    colours = Counter(pixels)
    for kind, rgb in {**BADGES, "reopened": (0x82, 0x50, 0xDF)}.items():
        assert colours[rgb] > 300, f"the {kind} badge colour #{bytes(rgb).hex()} is missing"
