"""A board of a million jobs beside a small one, in one crawl: the big one ends at the postings
cap, incomplete and closing nothing, and the small one is stored complete without waiting for it;
the digest that follows, for a recipient of both, is delivered. The crawl and the digest each run
in a subprocess of their own, so that their peak memory can be read and shown."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from pipeline.db import open_database, session_factory
from pipeline.models import Event, Posting, Source
from rolewatch.boardserver import BoardServer, Reply
from tests.conftest import real_payload

ROOT = Path(__file__).resolve().parent.parent
BIG_JOBS = 1_000_000
CAP = 20_000
# Crawls the config named on the command line; prints the outcomes, then the peak resident
# memory of the largest process the crawl ran (the crawl process or one of its workers).
DRIVER = """
import json, resource, sys
from dataclasses import asdict
from config.loader import load_config
from rolewatch.cycle import crawl_sources
outcomes = crawl_sources(load_config(sys.argv[1]))
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"outcomes": [asdict(outcome) for outcome in outcomes], "peak_kb": peak}))
"""
# Sends the digests due for the config named on the command line, in a process of its own.
DIGEST = """
import json, resource, subprocess, sys
done = subprocess.run([sys.executable, "-m", "rolewatch", "digest", "--config", sys.argv[1]])
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"returncode": done.returncode, "peak_kb": peak}))
"""


def million_job_board() -> bytes:
    """A Greenhouse listing of a million small jobs, about 35 MB: under the download limit."""
    jobs = ",".join(f'{{"id":{number},"title":"Job {number}"}}' for number in range(10**6, 10**6 + BIG_JOBS))
    return f'{{"jobs":[{jobs}],"meta":{{"total":{BIG_JOBS}}}}}'.encode()


def crawl(config: Path) -> tuple[list[dict[str, Any]], float]:
    """The crawl's outcomes in the order the sources finished, and its peak memory in MB."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, str(config)], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    print(f"\ncrawl took {time.monotonic() - started:.1f} s")
    assert done.returncode == 0, done.stderr[-2000:]
    printed = json.loads(done.stdout.splitlines()[-1])
    return printed["outcomes"], printed["peak_kb"] / 1024


def test_a_million_job_board_stops_at_the_cap_and_holds_back_no_other_board(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'rolewatch.db'}"
    small = real_payload("greenhouse/homepl-eu-jobs-minimal.json")
    before = {"jobs": [{"id": number, "title": f"Old job {number}"} for number in (1, 2, 3)]}
    with BoardServer() as server:
        config = tmp_path / "rolewatch.yaml"
        config.write_text(
            f'database: "{database}"\n'
            "mail: {transport: maildir, maildir: " + str(tmp_path / "mail") + "}\n"
            "watches: [{name: everything}]\n"
            "recipients: [{email: ops@example.com, watches: [everything], backfill: full,"
            " digest: {immediate: true}}]\n"
            "sources:\n"
            f"  - {{name: big, type: greenhouse, board: big, api_base: '{server.url}',"
            " timeout: 2m, close_after_missing: 1}\n"
        )
        server.set("/v1/boards/big/jobs", json.dumps(before))
        (first,), _ = crawl(config)
        assert first["result"]["status"] == "complete" and first["result"]["new"] == 3

        server.set("/v1/boards/big/jobs", Reply(million_job_board()))
        server.set("/v1/boards/small/jobs", json.dumps(small))
        config.write_text(
            config.read_text()
            + f"  - {{name: small, type: greenhouse, board: small, api_base: '{server.url}', timeout: 2m}}\n"
        )
        outcomes, peak_mb = crawl(config)

    finished = [outcome["source"] for outcome in outcomes]
    print(f"\ncrawl peak RSS {peak_mb:.0f} MB; finished in order {finished}; {json.dumps(outcomes)}")
    results = {outcome["source"]: outcome["result"] for outcome in outcomes}
    assert results["small"]["status"] == "complete"
    assert results["small"]["new"] == len(small["jobs"])
    big = results["big"]
    assert big["status"] == "incomplete"
    assert big["problems"] == [
        "the board lists more than 20,000 postings: kept the first 20,000; raise max_postings"
    ]
    assert big["seen"] == big["new"] == CAP and big["closed"] == 0
    # Stored as it finished, while the big board was still being parsed and stored.
    assert finished == ["small", "big"]
    engine = open_database(database)
    with session_factory(engine)() as session:
        closed = session.scalar(select(func.count()).select_from(Event).where(Event.type == "closed"))
        statuses = dict(
            session.execute(
                select(Posting.status, func.count())
                .join(Source)
                .where(Source.name == "big")
                .group_by(Posting.status)
            ).all()
        )
    engine.dispose()
    assert closed == 0
    assert statuses == {"open": CAP + 3}
    assert peak_mb < 900  # the listing parsed once, the rest kept to the cap

    # The digest for a recipient of both boards: 20,000 and more events, read in bounded pages.
    sent = subprocess.run(
        [sys.executable, "-c", DIGEST, str(config)], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    printed = json.loads(sent.stdout.splitlines()[-1])
    digest_mb = printed["peak_kb"] / 1024
    print(f"\ndigest peak RSS {digest_mb:.0f} MB")
    assert printed["returncode"] == 0, sent.stderr[-2000:]
    [message] = list((tmp_path / "mail" / "new").iterdir())
    text = message.read_text(errors="replace")
    events = CAP + 3 + len(small["jobs"])
    assert f"and {events - 500:,} more" in text
    assert digest_mb < 400
