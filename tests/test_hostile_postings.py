"""Hostile and malformed postings: 1,000 generated ones among a real board's jobs.

Each one is either stored cleaned (no control, bidirectional or zero-width characters in its
one-line fields, no link that is not http(s), no pay no job pays) or left out with its id and a
reason in the crawl's problems — and never costs the rest of the board: the crawl is complete,
every real job is stored, nothing is closed, and the digest carries no script, no handler
attribute, no foreign link and no injected header. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import copy
import json
import math
import random
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from crawler.jsontext import MAX_DEPTH, clamp_depth, loads_forgiving
from pipeline.db import open_database, session_factory
from pipeline.models import CrawlRun, Posting, PostingVersion
from pipeline.normalize import MAX_DESCRIPTION, canonical_url, clean_text, normalize
from pipeline.raw import RawPosting
from rolewatch.boardserver import BoardServer, Reply
from rolewatch.demo_boards import board_before
from tests.conftest import SmtpSink

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = 1_000
SEED = 20261202
# Nothing of this may remain in a stored one-line field.
UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")

Job = dict[str, Any]


def _title(job: Job, text: str) -> None:
    job["title"] = text


def _content(job: Job, text: str) -> None:
    job["content"] = text


# Each kind: a name and how it spoils a copy of a real job (`n` makes each copy distinct).
KINDS: list[tuple[str, Callable[[Job, int], None]]] = [
    ("script in title", lambda job, n: _title(job, f"<script>alert({n})</script> SRE")),
    ("handler attribute", lambda job, n: _content(job, f'<img src=x onerror="alert({n})"><p>Platform</p>')),
    ("javascript link", lambda job, n: job.update(absolute_url=f"javascript:alert({n})")),
    ("data link", lambda job, n: job.update(absolute_url="data:text/html,<script>alert(1)</script>")),
    ("unparseable link", lambda job, n: job.update(absolute_url=f"http://[::1/{n}")),
    ("CRLF in title", lambda job, n: _title(job, f"Engineer {n}\r\nBcc: victim@example.com")),
    ("CRLF in company", lambda job, n: job.update(company_name="Evil\r\nX-Injected: yes")),
    ("right-to-left override", lambda job, n: _title(job, f"Engineer {n} \u202egnp.exe")),
    ("zero-width characters", lambda job, n: _title(job, f"Infra\u200b\u200dstructure\ufeff Engineer {n}")),
    ("terminal escapes", lambda job, n: _title(job, f"\x1b[2J\x1b[31mEngineer {n}\x07")),
    ("NUL in id and title", lambda job, n: job.update(id=f"{job['id']}\x00{n}", title=f"Null\x00 {n}")),
    ("title a number", lambda job, n: job.update(title=n)),
    ("location a string", lambda job, n: job.update(location="Berlin")),
    ("departments a number", lambda job, n: job.update(departments=n)),
    ("metadata a string", lambda job, n: job.update(metadata="x")),
    ("content a number", lambda job, n: job.update(content=n)),
    ("metadata a number", lambda job, n: job.update(metadata=n)),
    ("pay of 1e400", lambda job, n: job.update(pay_input_ranges=[{"min_cents": "@INF@", "max_cents": 1}])),
    ("absurd pay", lambda job, n: job.update(pay_input_ranges=[{"min_cents": 10**17, "max_cents": 10**18}])),
    ("negative pay", lambda job, n: job.update(pay_input_ranges=[{"min_cents": -5, "max_cents": -1}])),
    (
        "absurd pay in text",
        lambda job, n: _content(job, "<p>Salary: $900,000,000,000 - $990,000,000,000</p>"),
    ),
    ("description 300 deep", lambda job, n: _content(job, "<div>" * 300 + "deep text" + "</div>" * 300)),
    ("description 5000 deep", lambda job, n: _content(job, "<div>" * 5000 + "deeper" + "</div>" * 5000)),
    ("metadata nested 5000 deep", lambda job, n: job.update(metadata="@DEEP@")),
    ("invalid UTF-8 byte", lambda job, n: _title(job, f"Engineer @BADBYTE@ {n}")),
]
# Rare on purpose: each costs the body 10 MB.
HUGE = ("10 MB text node", lambda job, n: _content(job, "<p>" + "x" * 10_500_000 + "</p>"))


def hostile_board() -> tuple[bytes, list[str], dict[str, str]]:
    """The recorded Stripe board plus HOSTILE spoiled copies of its jobs: the body, the real
    jobs' ids, and each hostile job's id (as a board would send it) with its kind."""
    real = board_before()["jobs"]  # the recorded Stripe board
    chooser = random.Random(SEED)
    hostile: list[Job] = []
    kinds: dict[str, str] = {}
    for n in range(HOSTILE):
        name, spoil = HUGE if n in (0, 1) else chooser.choice(KINDS)
        job = copy.deepcopy(chooser.choice(real))
        job["id"] = 900_000_000 + n
        spoil(job, n)
        hostile.append(job)
        kinds[str(job["id"])] = name
    text = json.dumps({"jobs": real + hostile, "meta": {"total": len(real) + len(hostile)}})
    text = text.replace('"@INF@"', "1e400").replace('"@DEEP@"', "[" * 5000 + "]" * 5000)
    body = text.encode().replace(b"@BADBYTE@", b"\xff\xfe")
    return body, [str(job["id"]) for job in real], kinds


def write_config(folder: Path, database: str, api_base: str, smtp_port: int) -> Path:
    path = folder / "rolewatch.yaml"
    path.write_text(
        f'database: "{database}"\n'
        "mail: {transport: smtp, from: rolewatch@example.com, "
        f"smtp: {{host: 127.0.0.1, port: {smtp_port}, starttls: false}}}}\n"
        f"sources: [{{name: acme, type: greenhouse, board: acme, api_base: '{api_base}', timeout: 5m}}]\n"
        "watches: [{name: everything}]\n"
        "recipients: [{email: me@example.com, watches: [everything], backfill: full}]\n"
    )
    return path


def rolewatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rolewatch", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def test_hostile_postings_are_cleaned_or_left_out_and_never_cost_the_board(
    tmp_path: Path, database_url: str, smtp_server: tuple[Controller, SmtpSink]
) -> None:
    controller, sink = smtp_server
    body, real_ids, kinds = hostile_board()
    with BoardServer() as server:
        server.set("/v1/boards/acme/jobs", Reply(body))
        config = write_config(tmp_path, database_url, server.url, controller.port)
        first = rolewatch("run", "--json", "--config", str(config))
        assert first.returncode == 0, first.stderr[-3000:]

        engine = open_database(database_url)
        with session_factory(engine)() as session:
            (run,) = session.scalars(select(CrawlRun)).all()
            stored = {
                posting.external_id: data
                for posting, data in session.execute(
                    select(Posting, PostingVersion.data).join(
                        PostingVersion, PostingVersion.posting_id == Posting.id
                    )
                )
            }
        problems = run.problems or ""
        assert run.status == "complete", problems[:3000]
        assert set(real_ids) <= set(stored)

        outcome: Counter[str] = Counter()
        for external_id, kind in kinds.items():
            clean_id = external_id.replace("\x00", "")
            if clean_id in stored:
                check_clean(stored[clean_id], kind)
                outcome[f"{kind}: stored cleaned"] += 1
            else:
                assert f"(id {clean_id[:80]})" in problems or f"posting {clean_id[:80]}:" in problems, kind
                outcome[f"{kind}: left out with a reason"] += 1
        assert sum(outcome.values()) == HOSTILE
        print("\n".join(f"{count:5} {what}" for what, count in sorted(outcome.items())))
        # The whole body was read around its bad bytes and its deep value, and said so.
        assert "invalid UTF-8 byte(s) read as U+FFFD" in problems
        assert f"nested deeper than {MAX_DEPTH} levels read as null" in problems

        # The same board again: nothing new, nothing changed, nothing closed.
        second = rolewatch("crawl", "--json", "--config", str(config))
        assert second.returncode == 0, second.stderr[-3000:]
        report = json.loads(second.stdout.splitlines()[-1])
        assert (report["status"], report["new"], report["changed"], report["closed"]) == ("complete", 0, 0, 0)
        engine.dispose()

    (message,) = sink.messages
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    assert message["Bcc"] is None and message["X-Injected"] is None
    html = message.get_body(("html",)).get_content()
    assert "<script" not in html.lower()
    assert not re.search(r"<[^>]+\son\w+\s*=", html), "an event-handler attribute reached the digest"
    links = re.findall(r'href="([^"]*)"', html)
    assert links and all(link.startswith(("https://", "http://", "mailto:")) for link in links)
    text = message.get_body(("plain",)).get_content()
    assert not UNPRINTABLE.search(text.replace("\r\n", "").replace("\n", ""))


def check_clean(data: dict[str, Any], kind: str) -> None:
    for name in ("title", "company", "department", "employment_type"):
        assert not UNPRINTABLE.search(data.get(name) or ""), (kind, name, data.get(name))
    assert all(not UNPRINTABLE.search(place) for place in data["locations"]), kind
    assert data["url"] is None or data["url"].startswith(("http://", "https://")), kind
    for name in ("salary_min", "salary_max"):
        figure = data.get(name)
        assert figure is None or (math.isfinite(figure) and 0 < figure < 10_000_000), (kind, name, figure)
    if kind.startswith("description") or kind == "10 MB text node":
        assert data["description"].strip(), kind
        assert len(data["description"]) <= MAX_DESCRIPTION


def test_a_stored_job_that_turns_unreadable_stays_open_and_the_rest_of_the_board_closes(
    tmp_path: Path, database_url: str
) -> None:
    jobs = board_before()["jobs"][:4]
    spoiled = [*copy.deepcopy(jobs[:2]), {**jobs[2], "metadata": 12345}]  # jobs[3] is gone
    with BoardServer() as server:
        config = write_config(tmp_path, database_url, server.url, 9)
        text = config.read_text().replace("timeout: 5m", "timeout: 5m, close_after_missing: 1")
        config.write_text(text)
        server.set("/v1/boards/acme/jobs", Reply(json.dumps({"jobs": jobs}).encode()))
        assert rolewatch("crawl", "--config", str(config)).returncode == 0
        server.set("/v1/boards/acme/jobs", Reply(json.dumps({"jobs": spoiled}).encode()))
        again = rolewatch("crawl", "--json", "--config", str(config))
        assert again.returncode == 0, again.stderr[-2000:]
    report = json.loads(again.stdout.splitlines()[-1])
    assert (report["status"], report["closed"]) == ("complete", 1)
    assert report["problems"] == [
        f"jobs[2] (id {jobs[2]['id']}): cannot read it (TypeError: 'int' object is not iterable)"
    ]
    engine = open_database(database_url)
    with session_factory(engine)() as session:
        statuses = {
            row.external_id: row.status
            for row in session.execute(select(Posting.external_id, Posting.status))
        }
    engine.dispose()
    assert statuses == {
        str(jobs[0]["id"]): "open",
        str(jobs[1]["id"]): "open",
        str(jobs[2]["id"]): "open",
        str(jobs[3]["id"]): "closed",
    }


# -- the pure pieces, one by one ----------------------------------------------------------------


def test_a_body_with_invalid_utf8_is_read_with_the_bytes_replaced_and_a_note() -> None:
    payload, notes = loads_forgiving(b'{"jobs": [{"id": 1, "title": "A\xffB"}, {"id": 2, "title": "C"}]}')
    assert [job["title"] for job in payload["jobs"]] == ["A\ufffdB", "C"]
    assert notes == ["1 invalid UTF-8 byte(s) read as U+FFFD"]


def test_a_value_nested_too_deep_becomes_null_and_the_rest_is_read() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    payload, notes = loads_forgiving(b'{"jobs": [{"id": 1, "m": ' + deep + b', "t": "a]\\"["}, {"id": 2}]}')
    assert payload["jobs"][1] == {"id": 2} and payload["jobs"][0]["t"] == 'a]"['
    assert notes == [f"1 value(s) nested deeper than {MAX_DEPTH} levels read as null"]
    assert clamp_depth(b"[[[1]],[[2,[3]]]]", 2) == (b"[[null],[null]]", 2)
    assert loads_forgiving(b'{"a": [1, 2]}') == ({"a": [1, 2]}, [])
    with pytest.raises(ValueError):
        loads_forgiving(b'{"a": ')


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,x",
        "http://[::1/x",
        "https://evil.example/\u202ex",
        "ftp://x/y",
        " ",
    ],
)
def test_only_well_formed_http_links_are_kept(url: str) -> None:
    assert canonical_url(url) is None


def test_one_line_fields_lose_controls_and_invisible_characters_and_pay_must_be_plausible() -> None:
    raw = RawPosting(
        external_id="7\x00",
        title="\x1b[31mSite\u200b Reliability\r\nEngineer\u202e",
        company="Acme\r\nBcc: x@example.com",
        locations=["Berlin\u2066"],
        department="\ufeffCore Infrastructure",
        salary={"min": float("inf"), "max": 1.0, "currency": "USD"},
        description_html="<p>Pay: $150,000 - $200,000 a year</p>",
    )
    posting = normalize(raw)
    assert posting.external_id == "7"
    assert posting.title == "[31mSite Reliability Engineer"
    assert posting.company == "Acme Bcc: x@example.com"
    assert (posting.locations, posting.department) == (["Berlin"], "Core Infrastructure")
    # The structured pay is unusable, so the text's pay stands.
    assert (posting.salary_min, posting.salary_max) == (150_000, 200_000)
    absurd = normalize(RawPosting("8", "SRE", salary={"min": 1e12, "max": 2e12, "currency": "USD"}))
    assert absurd.salary_max is None
    # A large figure in a currency whose figures run large is still pay.
    assert (
        normalize(RawPosting("9", "SRE", salary={"min": 8e7, "max": 1.2e8, "currency": "KRW"})).salary_max
        == 1.2e8
    )


def test_deep_or_huge_descriptions_keep_their_text() -> None:
    assert clean_text("<div>" * 300 + "deep text" + "</div>" * 300) == "deep text"
    assert clean_text("<div>" * 5000 + "deeper &amp; deeper" + "</div>" * 5000) == "deeper & deeper"
    huge = clean_text("<p>" + "x" * 10_500_000 + "</p>")
    assert len(huge) == MAX_DESCRIPTION and huge.endswith("…")


def test_pay_in_currencies_whose_figures_run_large_or_with_a_zero_minimum_is_kept() -> None:
    def top(salary: dict[str, Any]) -> float | None:
        return normalize(RawPosting("1", "SRE", salary=salary)).salary_max

    assert top({"min": 1.2e8, "max": 1.5e8, "currency": "IDR"}) == 1.5e8  # not a code known here
    assert top({"min": 8e6, "max": 1e7, "currency": "jpy"}) == 1e7
    assert top({"min": 0, "max": 120_000, "currency": "USD"}) == 120_000
    assert top({"min": 0, "max": 0, "currency": "USD"}) is None


def test_a_link_with_a_space_is_kept_encoded_and_a_script_is_no_description() -> None:
    assert canonical_url("https://jobs.example.com/Senior Engineer?loc=New York") == (
        "https://jobs.example.com/Senior%20Engineer?loc=New+York"
    )
    assert clean_text("<style>.a{color:red}</style><script>track()</script>") == ""
    deep = "<div>" * 5000 + "<script>track()</script>Text" + "</div>" * 5000
    assert clean_text(deep) == "Text"


def test_a_nul_in_an_id_is_dropped_before_the_job_is_kept_or_stored() -> None:
    from crawler.extract.greenhouse import extract_greenhouse

    result = extract_greenhouse(
        {"jobs": [{"id": "7\x00", "title": "SRE", "metadata": 5}, {"id": "8\x00", "title": "SRE"}]}
    )
    assert list(result.unreadable) == ["7"]
    assert [posting.external_id for posting in result.postings] == ["8"]


def test_a_title_or_field_sent_as_an_object_or_list_is_absent_not_its_repr() -> None:
    from crawler.extract.greenhouse import extract_greenhouse
    from crawler.extract.lever import extract_lever

    result = extract_greenhouse(
        {
            "jobs": [
                {"id": 1, "title": {"x": 1}},
                {"id": 2, "title": ["SRE"]},
                {"id": 3, "title": True},
                {"id": 4, "title": "SRE", "company_name": {"x": 1}, "absolute_url": ["https://a.example/"]},
                {"id": 5, "title": 1984},
            ]
        }
    )
    assert result.dropped == ["jobs[0]: missing title", "jobs[1]: missing title", "jobs[2]: missing title"]
    assert [(p.external_id, p.title, p.company, p.url) for p in result.postings] == [
        ("4", "SRE", None, None),
        ("5", "1984", None, None),
    ]
    lever = extract_lever([{"id": "a", "text": "SRE", "categories": {"team": {"name": "Infra"}}}])
    assert lever.postings[0].department is None
