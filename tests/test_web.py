"""`rolewatch serve`: the web view on a real uvicorn server on 127.0.0.1, read by headless
Chromium (the seed posting's salary change, a failed source's problem) and over HTTP."""

from __future__ import annotations

import copy
import json
import os
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from click.testing import CliRunner

from config.loader import load_config
from config.schema import Config
from crawler.extract.greenhouse import extract_greenhouse
from notifier.outbox import outbox_hook
from pipeline.db import open_database, session_factory
from pipeline.normalize import normalize
from pipeline.store import CrawlVerdict, begin_crawl, finish_crawl, store_postings
from rolewatch.cli import main
from rolewatch.demo_boards import SEED_JOB_ID, board_after, board_before
from rolewatch.webview.app import create_app
from tests.conftest import free_port
from tests.test_render_browser import read_png, require_chromium, run_chromium, screenshot

PROBLEM = "listing https://boards-api.greenhouse.io/v1/boards/gone/jobs failed: HTTP 503"
HOSTILE = "<script>alert('x')</script> Engineer"

CONFIG = """\
database: "sqlite:///{folder}/rolewatch.db"
sources:
  - {{name: stripe, type: greenhouse, board: stripe, close_after_missing: 1}}
  - {{name: gone, type: greenhouse, board: gone}}
  - {{name: odd, type: greenhouse, board: odd}}
watches:
  - {{name: infra, extends: infrastructure}}
recipients:
  - {{email: me@example.com, watches: [infra]}}
feeds: {{dir: "{folder}/feeds"}}
"""


def store(config: Config, name: str, board: dict[str, object] | None) -> None:
    """One crawl of the named source: the board's postings, or a failed crawl when None."""
    source = next(s for s in config.sources if s.name == name)
    engine = open_database(config.database)
    try:
        sessions = session_factory(engine)
        hook = outbox_hook(config)
        run_id = begin_crawl(sessions, source)
        if board is None:
            finish_crawl(sessions, run_id, source, set(), CrawlVerdict(problems=[PROBLEM], failed=True), hook)
            return
        postings = [normalize(raw) for raw in extract_greenhouse(board).postings]
        seen = store_postings(sessions, run_id, postings, hook)
        finish_crawl(sessions, run_id, source, seen, CrawlVerdict(), hook)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    folder = tmp_path_factory.mktemp("web")
    path = folder / "rolewatch.yaml"
    path.write_text(CONFIG.format(folder=folder))
    loaded = load_config(path)
    store(loaded, "stripe", board_before())
    store(loaded, "stripe", board_after())
    store(loaded, "gone", None)
    hostile = copy.deepcopy(board_before())
    hostile["jobs"] = [{**hostile["jobs"][0], "title": HOSTILE}]  # type: ignore[index]
    store(loaded, "odd", hostile)
    return loaded


class Served:
    def __init__(self, url: str) -> None:
        self.url = url

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
        request = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def serving(config: Config, token: str | None = None) -> Iterator[Served]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(config, token), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the web view did not start"
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def web(config: Config) -> Iterator[Served]:
    yield from serving(config)


def seed_posting(config: Config) -> int:
    engine = open_database(config.database)
    try:
        with session_factory(engine)() as session:
            from rolewatch.queries import find_posting

            return find_posting(session, f"stripe:{SEED_JOB_ID}").id
    finally:
        engine.dispose()


def dump_dom(url: str, profile: Path) -> str:
    """The page as headless Chromium rendered it."""
    output, _ = run_chromium(url, profile, "--dump-dom", what=f"load {url}")
    return output.decode()


def test_chromium_shows_the_salary_change_and_a_failed_sources_problem(
    config: Config, web: Served, tmp_path: Path
) -> None:
    require_chromium()
    history_url = f"{web.url}/postings/{seed_posting(config)}"

    history = dump_dom(history_url, tmp_path / "profile")
    health = dump_dom(f"{web.url}/sources", tmp_path / "profile")

    assert "Backend Engineer, Core Technology" in history
    assert (
        'Salary: <span class="old">$155,700 – $285,600 per year</span> → '
        '<span class="new-value">$165,000 – $295,000 per year</span>'
    ) in history
    assert '<tr class="failed">' in health
    assert f"<li>{PROBLEM}</li>" in health
    png = tmp_path / "web.png"
    screenshot(history_url, png, tmp_path / "profile")
    _, _, pixels = read_png(png)
    colours = Counter(pixels)
    assert len(colours) > 100, "a blank or unstyled page"
    assert colours[(0x24, 0x29, 0x2F)] > 1000, "the page header bar is missing"
    if keep := os.environ.get("ROLEWATCH_WEB_PNG"):
        shutil.copyfile(png, keep)


def test_pages_escape_what_boards_write(web: Served) -> None:
    status, page = web.get("/events?source=odd")
    assert status == 200
    assert "&lt;script&gt;" in page and "<script>" not in page


def test_events_filter_by_watch_type_and_company(web: Served) -> None:
    status, page = web.get("/events?type=changed")
    assert status == 200 and "Backend Engineer, Core Technology" in page
    assert page.count('<span class="badge changed">') == 1
    _, by_watch = web.get("/events?watch=infra")
    assert "Backend Engineer, Core Technology" in by_watch and "Motion Designer" not in by_watch
    assert web.get("/events?watch=nope")[0] == 404
    assert web.get("/events?type=bogus")[0] == 404
    _, none = web.get("/events?company=nobody")
    assert "No events." in none


def test_unknown_pages_are_404_and_feeds_are_atom(web: Served) -> None:
    assert web.get("/postings/999999")[0] == 404
    assert web.get("/postings/stripe:nope")[0] == 404
    assert web.get("/feeds/watch-nope.xml")[0] == 404
    status, feed = web.get("/feeds/watch-infra.xml")
    assert status == 200 and feed.startswith("<?xml") and "<feed" in feed
    _, listing = web.get("/feeds")
    assert 'href="/feeds/watch-infra.xml"' in listing


def test_with_a_token_every_request_must_carry_it(config: Config) -> None:
    for served in serving(config, token="t0ken"):
        assert served.get("/sources")[0] == 401
        assert served.get("/sources", {"Authorization": "Bearer wrong"})[0] == 401
        assert served.get("/sources", {"Authorization": "Bearer t0ken"})[0] == 200
        assert served.get("/sources?token=wrong")[0] == 401
        with urllib.request.urlopen(served.url + "/sources?token=t0ken", timeout=30) as answer:
            assert answer.status == 200
            cookie = answer.headers["set-cookie"].split(";")[0]
        # The browser's next page carries the token in the cookie, not in the link.
        assert served.get("/events", {"Cookie": cookie})[0] == 200
        assert served.get("/events", {"Cookie": "rolewatch_token=wrong"})[0] == 401


def test_serving_beyond_this_machine_needs_a_token(config: Config, tmp_path: Path) -> None:
    path = tmp_path / "rolewatch.yaml"
    path.write_text(f'database: "{config.database}"\nsources: [{{name: s, type: greenhouse, board: s}}]\n')

    refused = CliRunner().invoke(main, ["serve", "--config", str(path), "--host", "0.0.0.0"], env={
        "ROLEWATCH_WEB_TOKEN": ""})  # fmt: skip

    assert refused.exit_code == 2
    assert "set ROLEWATCH_WEB_TOKEN to a secret token first" in refused.output


def test_history_json_carries_the_changes_the_page_shows(config: Config, web: Served, tmp_path: Path) -> None:
    path = tmp_path / "rolewatch.yaml"
    path.write_text(f'database: "{config.database}"\nsources: [{{name: s, type: greenhouse, board: s}}]\n')
    shown = CliRunner().invoke(main, ["history", "--config", str(path), "--json", f"stripe:{SEED_JOB_ID}"])
    assert shown.exit_code == 0, shown.output
    first, second = (json.loads(line) for line in shown.output.splitlines())
    assert first["changes"] == []
    salary = next(change for change in second["changes"] if change["field"] == "Salary")
    assert salary == {
        "field": "Salary",
        "old": "$155,700 – $285,600 per year",
        "new": "$165,000 – $295,000 per year",
    }
    _, page = web.get(f"/postings/{seed_posting(config)}")
    assert (
        f'<span class="old">{salary["old"]}</span> → <span class="new-value">{salary["new"]}</span>' in page
    )


# Each source's row and its cells, link and badge, as Chromium styles them, written into the page.
COMPUTED_STYLES = """
<script>
const shown = {};
for (const row of document.querySelectorAll("tr[class]")) {
  const link = row.querySelector("a"), badge = row.querySelector(".badge");
  shown[link.textContent] = {
    row: getComputedStyle(row).backgroundColor,
    cells: [...row.cells].map((cell) => getComputedStyle(cell).backgroundColor),
    link: getComputedStyle(link).color,
    badge: badge && getComputedStyle(badge).backgroundColor,
  };
}
const out = document.createElement("pre");
out.id = "computed";
out.textContent = JSON.stringify(shown);
document.body.append(out);
</script>
"""
TRANSPARENT = "rgba(0, 0, 0, 0)"


def test_only_a_sources_badge_carries_its_states_colour_so_its_link_stays_readable(
    web: Served, tmp_path: Path
) -> None:
    require_chromium()
    status, page = web.get("/sources")
    _, stylesheet = web.get("/static/rolewatch.css")
    assert status == 200 and '<tr class="complete">' in page and '<span class="badge complete">' in page
    # The served page and stylesheet, with a script reading the styles (the server's CSP allows none).
    local = tmp_path / "sources.html"
    local.write_text(
        page.replace('<link rel="stylesheet" href="/static/rolewatch.css">', f"<style>{stylesheet}</style>")
        .replace("</body>", f"{COMPUTED_STYLES}</body>"),
        encoding="utf-8",
    )  # fmt: skip

    dom = dump_dom(local.as_uri(), tmp_path / "profile")

    shown = json.loads(dom.split('<pre id="computed">', 1)[1].split("</pre>", 1)[0].replace("&quot;", '"'))
    complete = shown["stripe"]
    assert complete["row"] == TRANSPARENT
    assert set(complete["cells"]) == {TRANSPARENT}, "a complete source's cells are painted"
    assert complete["badge"] == "rgb(26, 127, 55)"
    assert complete["link"] == "rgb(9, 105, 218)"
    failed = shown["gone"]
    assert failed["row"] == TRANSPARENT and failed["badge"] == "rgb(207, 34, 46)"
    assert failed["badge"] not in failed["cells"], "a failed source's row is painted in its badge's red"


def test_the_sources_page_tells_each_last_crawl_relative_to_now(web: Served) -> None:
    import re

    _, page = web.get("/sources")
    # The fixture crawled every source moments ago (yesterday only just after midnight).
    told = re.findall(r"<td>((?:\d\d:\d\d UTC, (?:just now|\d+ min ago))|yesterday \d\d:\d\d UTC)</td>", page)
    assert len(told) == 3, page
    assert "+00:00" not in page
