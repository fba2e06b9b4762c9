"""One crawl for many sources: fifty local boards crawled together in one crawl process, one of
them hanging, one failing, one truncated, one paged; and a crawl process killed mid-crawl."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from config.loader import load_config
from config.schema import Config
from pipeline.db import open_database, session_factory
from pipeline.models import CrawlRun, Event, Posting, Source
from rolewatch.boardserver import BoardServer, Incoming, Reply
from rolewatch.cycle import crawl_sources
from rolewatch.demo_boards import board_before
from tests.conftest import real_payload, version_and_event_counts

ROOT = Path(__file__).resolve().parent.parent
GREENHOUSE_BOARDS = 46
SR_LIST = "/v1/companies/Tieto2/postings"


def greenhouse_board(index: int) -> dict[str, Any]:
    """A slice of Stripe's real board as another company's: distinct ids and company name."""
    jobs = copy.deepcopy(board_before()["jobs"][index * 5 : index * 5 + 3 + index % 4])
    for job in jobs:
        job["id"] = int(f"{index + 1}{job['id']}")
        job["company_name"] = f"Company {index}"
    return {"jobs": jobs, "meta": {"total": len(jobs)}}


def serve_smartrecruiters(server: BoardServer) -> int:
    """The recorded Tieto list, paged two at a time, with a detail for each posting."""
    items = real_payload("smartrecruiters/tieto-postings.json")["content"]
    job_ad = real_payload("smartrecruiters/visa-posting-detail.json")["jobAd"]

    def list_page(request: Incoming) -> str:
        offset = int(request.query["offset"][0])
        content = items[offset : offset + 2]
        return json.dumps({"offset": offset, "limit": 2, "totalFound": len(items), "content": content})

    server.handle(SR_LIST, list_page)
    for item in items:
        server.set(f"{SR_LIST}/{item['id']}", json.dumps({**item, "jobAd": job_ad}))
    return len(items)


def sources_yaml(url: str, names: list[str], extra: dict[str, str] | None = None) -> str:
    lines = []
    for name in names:
        lines.append(
            f"  - name: {name}\n    type: greenhouse\n    board: {name}\n    api_base: {url}\n"
            + (extra or {}).get(name, "")
        )
    return "".join(lines)


def make_config_file(tmp_path: Path, url: str, names: list[str], extra: str = "") -> Config:
    path = tmp_path / "rolewatch.yaml"
    path.write_text(
        f'database: "sqlite:///{tmp_path / "rolewatch.db"}"\n{extra}sources:\n' + sources_yaml(url, names)
    )
    return load_config(path)


def test_fifty_boards_in_one_crawl_each_finish_on_their_own_with_exactly_their_events(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    names = [f"gh{index:02d}" for index in range(GREENHOUSE_BOARDS)]
    boards = {name: greenhouse_board(index) for index, name in enumerate(names)}
    for name, board in boards.items():
        board_server.set(f"/v1/boards/{name}/jobs", json.dumps(board))
    board_server.set("/v1/boards/hang/jobs", Reply(b'{"jobs": []}', delay=60))
    sr_postings = serve_smartrecruiters(board_server)
    healthy_later = {"flaky": greenhouse_board(60), "cut": greenhouse_board(61)}
    for name, board in healthy_later.items():
        board_server.set(f"/v1/boards/{name}/jobs", json.dumps(board))
    extra = {"hang": "    timeout: 3s\n", "gh01": "    close_after_missing: 1\n"}
    config = make_config(
        f'database: "{database_url}"\ncrawl: {{per_host: 8}}\nsources:\n'
        + sources_yaml(board_server.url, [*names, "hang", "flaky", "cut"], extra)
        + f"  - name: tieto\n    type: smartrecruiters\n    board: Tieto2\n    api_base: {board_server.url}\n"
    )
    assert len(config.sources) == 50

    started = time.monotonic()
    first = {outcome.source: outcome for outcome in crawl_sources(config)}
    elapsed = time.monotonic() - started

    assert set(first) == {source.name for source in config.sources}
    hang = first.pop("hang")
    assert hang.result["status"] == "incomplete"
    assert hang.result["problems"] == ["crawl ended early: its time budget (3s) ran out"]
    # The hanging board was cut by its own budget, not by the end of the whole crawl.
    assert elapsed < 50
    assert first["tieto"].result["new"] == sr_postings
    expected = {name: len(board["jobs"]) for name, board in {**boards, **healthy_later}.items()}
    expected["tieto"] = sr_postings
    assert {name: (o.result["status"], o.result["new"]) for name, o in first.items()} == {
        name: ("complete", count) for name, count in expected.items()
    }
    assert all(outcome.error is None for outcome in first.values())

    # Second crawl: one board fails, one is truncated, one changed a title, one lost a job.
    board_server.set("/v1/boards/flaky/jobs", Reply(b"down", status=500, content_type="text/plain"))
    board_server.set("/v1/boards/cut/jobs", json.dumps(healthy_later["cut"])[:-40])
    changed = copy.deepcopy(boards["gh00"])
    changed["jobs"][0]["title"] += " (Remote)"
    board_server.set("/v1/boards/gh00/jobs", json.dumps(changed))
    shrunk = copy.deepcopy(boards["gh01"])
    gone = shrunk["jobs"].pop()
    shrunk["meta"]["total"] -= 1
    board_server.set("/v1/boards/gh01/jobs", json.dumps(shrunk))
    before = version_and_event_counts(database_url)

    second = {outcome.source: outcome for outcome in crawl_sources(config)}

    flaky, cut = second.pop("flaky"), second.pop("cut")
    assert flaky.result["status"] == "incomplete" and flaky.result["closed"] == 0
    assert any("HTTP 500" in problem for problem in flaky.result["problems"])
    assert cut.result["status"] == "incomplete" and cut.result["closed"] == 0
    assert any("not valid JSON" in problem for problem in cut.result["problems"])
    second.pop("hang")
    events = {
        name: (o.result["new"], o.result["changed"], o.result["closed"], o.result["reopened"])
        for name, o in second.items()
    }
    assert events == {name: (0, 0, 0, 0) for name in second} | {"gh00": (0, 1, 0, 0), "gh01": (0, 0, 1, 0)}
    # Boards sent exactly as before were not normalized again.
    for name, outcome in second.items():
        if name not in ("gh00", "gh01", "tieto"):
            assert outcome.result["unchanged"] == outcome.result["seen"] == expected[name], name
    assert version_and_event_counts(database_url) == (before[0] + 1, before[1] + 2)
    engine = open_database(database_url)
    with session_factory(engine)() as session:
        still_open = session.scalar(
            select(func.count())
            .select_from(Posting)
            .join(Source)
            .where(Source.name.in_(["flaky", "cut"]), Posting.status == "open")
        )
        closed = session.scalars(select(Posting.external_id).where(Posting.status == "closed")).all()
    engine.dispose()
    assert still_open == len(healthy_later["flaky"]["jobs"]) + len(healthy_later["cut"]["jobs"])
    assert closed == [str(gone["id"])]


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def test_a_killed_crawl_process_leaves_its_unfinished_sources_failed_and_the_next_crawl_completes(
    board_server: BoardServer, tmp_path: Path
) -> None:
    names = [f"slow{index:02d}" for index in range(12)]
    for index, name in enumerate(names):
        # Each board answers after a second, two at a time: the crawl takes about six seconds.
        body = json.dumps(greenhouse_board(index)).encode()
        board_server.set(f"/v1/boards/{name}/jobs", Reply(body, delay=1.0))
    database_url = f"sqlite:///{tmp_path / 'rolewatch.db'}"
    config_path = tmp_path / "rolewatch.yaml"
    config_path.write_text(
        f'database: "{database_url}"\ncrawl: {{per_host: 2, autothrottle: false}}\nsources:\n'
        + sources_yaml(board_server.url, names)
    )
    crawl = subprocess.Popen(
        [sys.executable, "-m", "rolewatch", "crawl", "--json", "--config", str(config_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert crawl.stdout is not None
    done_before_kill = [json.loads(crawl.stdout.readline()) for _ in range(2)]
    (child,) = _children(crawl.pid)
    os.kill(child, signal.SIGKILL)
    rest = [json.loads(line) for line in crawl.stdout]
    assert crawl.wait(timeout=60) != 0

    assert all(line["status"] == "complete" for line in done_before_kill)
    failed = [line for line in rest if line["error"]]
    assert failed, "the kill came before the crawl ended"
    assert {line["source"] for line in done_before_kill + rest} == set(names)
    engine = open_database(database_url)
    with session_factory(engine)() as session:
        runs = session.execute(select(Source.name, CrawlRun.status, CrawlRun.problems).join(Source)).all()
    engine.dispose()
    assert not [run for run in runs if run.status == "running"]
    reason = failed[0]["error"]
    assert reason.startswith("crawl process exited -9 before finishing")
    assert {run.name for run in runs if run.status == "failed"} == {line["source"] for line in failed}
    assert all(run.problems == reason for run in runs if run.status == "failed")

    again = subprocess.run(
        [sys.executable, "-m", "rolewatch", "crawl", "--json", "--config", str(config_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    results = {line["source"]: line for line in map(json.loads, again.stdout.splitlines())}
    assert all(result["status"] == "complete" for result in results.values())
    engine = open_database(database_url)
    with session_factory(engine)() as session:
        new_events = session.scalar(select(func.count()).select_from(Event).where(Event.type == "new"))
        postings = session.scalar(select(func.count()).select_from(Posting))
    engine.dispose()
    # Every posting announced exactly once across the killed crawl and the next one.
    assert new_events == postings == sum(len(greenhouse_board(i)["jobs"]) for i in range(len(names)))


def test_boards_on_one_host_share_its_per_host_limit(board_server: BoardServer, tmp_path: Path) -> None:
    names = [f"host{index}" for index in range(8)]
    for index, name in enumerate(names):
        board_server.set(
            f"/v1/boards/{name}/jobs", Reply(json.dumps(greenhouse_board(index)).encode(), delay=0.5)
        )
    config = make_config_file(
        tmp_path, board_server.url, names, "crawl: {per_host: 2, autothrottle: false}\n"
    )

    outcomes = crawl_sources(config)

    assert [outcome.result["status"] for outcome in outcomes] == ["complete"] * len(names)
    listings = [r for r in board_server.received if r.path.startswith("/v1/boards/")]
    # Each answer takes 0.5 s; count how many were being answered at once.
    in_flight = max(sum(1 for other in listings if other.at <= r.at < other.at + 0.5) for r in listings)
    assert in_flight == 2


def test_sources_begin_as_there_is_room_so_a_long_queue_spends_no_budget_waiting(
    board_server: BoardServer, tmp_path: Path
) -> None:
    # One request at a time, 0.3 s each: 30 boards take 9 s, over twice each source's budget (of
    # which fetching may take nine tenths).
    # Begun all at once, the last ones would run out of budget before their turn came.
    names = [f"queue{index:02d}" for index in range(30)]
    for index, name in enumerate(names):
        board_server.set(
            f"/v1/boards/{name}/jobs", Reply(json.dumps(greenhouse_board(index)).encode(), delay=0.3)
        )
    path = tmp_path / "rolewatch.yaml"
    path.write_text(
        f'database: "sqlite:///{tmp_path / "rolewatch.db"}"\n'
        "crawl: {concurrency: 1, per_host: 1, autothrottle: false}\nsources:\n"
        + sources_yaml(board_server.url, names, {name: "    timeout: 4s\n" for name in names})
    )

    outcomes = crawl_sources(load_config(path))

    assert {outcome.source: outcome.result["status"] for outcome in outcomes} == dict.fromkeys(
        names, "complete"
    )


def test_a_url_past_scrapys_length_limit_is_a_problem_not_a_request_waited_for(
    board_server: BoardServer, tmp_path: Path
) -> None:
    # Scrapy's URL length filter drops such a request without calling back: the source would
    # otherwise wait for it until its budget ran out.
    long_board = "b" * 2100
    board_server.set("/v1/boards/fine/jobs", json.dumps(greenhouse_board(0)))
    path = tmp_path / "rolewatch.yaml"
    path.write_text(
        f'database: "sqlite:///{tmp_path / "rolewatch.db"}"\nsources:\n'
        + sources_yaml(board_server.url, ["fine"])
        + f"  - name: long\n    type: greenhouse\n    board: {long_board}\n    api_base: {board_server.url}\n"
    )

    outcomes = {outcome.source: outcome for outcome in crawl_sources(load_config(path))}

    assert outcomes["fine"].result["status"] == "complete"
    long = outcomes["long"].result
    assert long["status"] == "incomplete"
    assert long["problems"] == [
        f"{board_server.url}/v1/boards/{long_board}"[:200]
        + "...: URL longer than 2083 characters, not fetched"
    ]


def test_a_source_past_its_postings_cap_ends_incomplete_and_a_source_may_raise_its_own(
    board_server: BoardServer, tmp_path: Path
) -> None:
    listed = serve_smartrecruiters(board_server)
    roomy = greenhouse_board(3)
    board_server.set("/v1/boards/roomy/jobs", json.dumps(roomy))
    assert listed > 2 and len(roomy["jobs"]) > 2
    path = tmp_path / "rolewatch.yaml"
    path.write_text(
        f'database: "sqlite:///{tmp_path / "rolewatch.db"}"\ncrawl: {{max_postings: 2}}\nsources:\n'
        + sources_yaml(board_server.url, ["roomy"], {"roomy": "    max_postings: 100\n"})
        + f"  - name: tieto\n    type: smartrecruiters\n    board: Tieto2\n    api_base: {board_server.url}\n"
    )

    outcomes = {outcome.source: outcome.result for outcome in crawl_sources(load_config(path))}

    assert outcomes["roomy"]["status"] == "complete"
    assert outcomes["roomy"]["new"] == len(roomy["jobs"])
    tieto = outcomes["tieto"]
    assert (tieto["status"], tieto["new"], tieto["closed"]) == ("incomplete", 2, 0)
    assert tieto["problems"] == ["the board lists more than 2 postings: kept the first 2; raise max_postings"]
