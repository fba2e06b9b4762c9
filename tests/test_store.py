"""Versions and events from sequences of real board captures (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from config.schema import SourceConfig
from crawler.extract.greenhouse import extract_greenhouse
from pipeline.db import open_database, session_factory
from pipeline.ingest import Ingest, SourceIngest
from pipeline.models import CrawlRun, Event, Posting, PostingVersion
from pipeline.process import this_process
from pipeline.store import CrawlVerdict, SourceBusy, begin_crawl
from tests.conftest import real_payload

SOURCE = SourceConfig(name="stripe", type="greenhouse", board="stripe", close_after_missing=1)


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = open_database(database_url)
    yield session_factory(engine)
    engine.dispose()


def stripe_board() -> dict[str, Any]:
    """The recorded Stripe board (268 jobs), as a test's starting point."""
    return real_payload("stripe-jobs-content-2026-08-04.json")


def crawl(
    sessions: sessionmaker[Session],
    board: dict[str, Any] | None,
    problems: list[str] | None = None,
    source: SourceConfig = SOURCE,
) -> CrawlRun:
    """What the shared crawl stores for one source, through the same ingest; `board=None` is a
    failed fetch."""
    ingest = Ingest(sessions).begin(source)
    for raw in extract_greenhouse(board).postings if board else []:
        ingest.add(raw)
    report = ingest.finish(CrawlVerdict(problems=problems or []))
    with sessions() as session:
        run = session.get_one(CrawlRun, report.crawl_run)
        session.expunge(run)
    return run


def events(sessions: sessionmaker[Session], run: CrawlRun, announced: bool = True) -> list[tuple[str, str]]:
    """A run's events: the news (`announced`), or what copies of jobs seen elsewhere did."""
    with sessions() as session:
        rows = session.execute(
            select(Event.type, Posting.external_id)
            .join(Posting)
            .where(Event.crawl_run_id == run.id, Event.announced == announced)
            .order_by(Event.id)
        ).all()
    return [(kind, external_id) for kind, external_id in rows]


def count(sessions: sessionmaker[Session], model: type[Any]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def job(board: dict[str, Any], job_id: int) -> dict[str, Any]:
    return next(j for j in board["jobs"] if j["id"] == job_id)


def test_first_crawl_stores_one_version_and_one_new_event_per_posting(
    sessions: sessionmaker[Session],
) -> None:
    run = crawl(sessions, stripe_board())
    assert run.status == "complete"
    assert (run.seen, run.new, run.changed, run.closed) == (268, 268, 0, 0)
    assert count(sessions, PostingVersion) == 268
    with sessions() as session:
        assert session.scalar(select(func.count()).where(Event.backfill.is_(True))) == 268


def test_unchanged_recrawl_creates_no_version_and_no_event(sessions: sessionmaker[Session]) -> None:
    crawl(sessions, stripe_board())
    again = crawl(sessions, stripe_board())
    assert events(sessions, again) == []
    assert count(sessions, PostingVersion) == 268


def test_volatile_fields_and_tracking_parameters_make_no_version(
    sessions: sessionmaker[Session],
) -> None:
    board = stripe_board()
    crawl(sessions, board)
    noisy = copy.deepcopy(board)
    for entry in noisy["jobs"]:
        entry["updated_at"] = "2026-09-01T00:00:00-04:00"
        entry["absolute_url"] += "&utm_source=newsletter&gh_src=abc"
        entry["content"] = entry["content"].replace("&lt;/p&gt;", "&lt;/p&gt;\n\n  ")
    noisy["jobs"].reverse()
    run = crawl(sessions, noisy)
    assert events(sessions, run) == []
    assert count(sessions, PostingVersion) == 268


def test_salary_change_gives_one_changed_event_with_old_and_new_salary(
    sessions: sessionmaker[Session],
) -> None:
    board = stripe_board()
    crawl(sessions, board)
    changed = copy.deepcopy(board)
    growth = job(changed, 8008880)  # Growth Engineer, "$190,400 – $285,600"
    growth["content"] = growth["content"].replace("$190,400", "$200,000")
    run = crawl(sessions, changed)
    assert events(sessions, run) == [("changed", "8008880")]
    with sessions() as session:
        diff = session.scalars(select(Event.diff).where(Event.crawl_run_id == run.id)).one()
    assert diff["salary_min"] == {"old": 190400, "new": 200000}
    assert "salary_max" not in diff
    assert any(line.startswith("+") and "$200,000" in line for line in diff["description"]["lines"])
    assert count(sessions, PostingVersion) == 269


def test_title_change_is_a_change_of_that_posting_only(sessions: sessionmaker[Session]) -> None:
    board = stripe_board()
    crawl(sessions, board)
    renamed = copy.deepcopy(board)
    # The real rename seen between the Aug 4 and Aug 17 captures (SOURCES.md).
    job(renamed, 8023928)["title"] = "Account Executive, Bridge (Stripe Crypto and Stablecoins)"
    run = crawl(sessions, renamed)
    assert events(sessions, run) == [("changed", "8023928")]
    with sessions() as session:
        diff = session.scalars(select(Event.diff).where(Event.crawl_run_id == run.id)).one()
    assert diff == {
        "title": {
            "old": "Account Executive, Bridge",
            "new": "Account Executive, Bridge (Stripe Crypto and Stablecoins)",
        }
    }


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param((None, ["listing failed: HTTP 500"]), id="http-500"),
        pytest.param((None, ["response is not valid JSON"]), id="truncated-json"),
        pytest.param(({"jobs": [], "meta": {"total": 0}}, []), id="empty-list"),
    ],
)
def test_failed_or_empty_board_closes_nothing(
    sessions: sessionmaker[Session], failure: tuple[dict[str, Any] | None, list[str]]
) -> None:
    crawl(sessions, stripe_board())
    board, problems = failure
    run = crawl(sessions, board, problems)
    assert events(sessions, run) == []
    with sessions() as session:
        assert session.scalar(select(func.count()).where(Posting.status == "closed")) == 0
    if problems:
        assert run.status == "incomplete"
    else:
        # Complete, but the board shrank past the guard: a warning instead of 268 closings.
        assert run.status == "complete"
        assert run.problems and "nothing closed" in run.problems


def test_posting_that_leaves_and_returns_is_closed_then_reopened(
    sessions: sessionmaker[Session],
) -> None:
    board = stripe_board()
    crawl(sessions, board)
    without = copy.deepcopy(board)
    without["jobs"] = [j for j in without["jobs"] if j["id"] != 7462961]
    gone = crawl(sessions, without)
    assert events(sessions, gone) == [("closed", "7462961")]
    back = crawl(sessions, board)
    assert events(sessions, back) == [("reopened", "7462961")]
    with sessions() as session:
        posting = session.scalars(select(Posting).where(Posting.external_id == "7462961")).one()
        assert (posting.status, posting.closed_at, posting.version_count) == ("open", None, 1)


def test_incomplete_crawl_missing_postings_closes_nothing(sessions: sessionmaker[Session]) -> None:
    board = stripe_board()
    crawl(sessions, board)
    partial = copy.deepcopy(board)
    partial["jobs"] = partial["jobs"][:200]
    run = crawl(sessions, partial, ["crawl ended early: its time budget (15m) ran out"])
    assert run.status == "incomplete"
    assert events(sessions, run) == []


def test_close_after_missing_waits_for_consecutive_complete_crawls(
    sessions: sessionmaker[Session],
) -> None:
    patient = SOURCE.model_copy(update={"close_after_missing": 2})
    board = stripe_board()
    crawl(sessions, board, source=patient)
    without = copy.deepcopy(board)
    without["jobs"] = [j for j in without["jobs"] if j["id"] != 7462961]
    assert events(sessions, crawl(sessions, without, source=patient)) == []
    assert events(sessions, crawl(sessions, without, source=patient)) == [("closed", "7462961")]


def test_a_killed_crawl_is_marked_failed_when_the_next_one_starts(
    sessions: sessionmaker[Session],
) -> None:
    begin_crawl(sessions, SOURCE)  # the process died here: no finish
    crawl(sessions, stripe_board())
    with sessions() as session:
        statuses = list(session.scalars(select(CrawlRun.status).order_by(CrawlRun.id)))
    assert statuses == ["failed", "complete"]


def test_the_same_job_on_two_sources_is_announced_once(sessions: sessionmaker[Session]) -> None:
    mirror = SourceConfig(name="stripe-careers", type="greenhouse", board="stripe")
    board = stripe_board()
    first = crawl(sessions, board)
    second = crawl(sessions, board, source=mirror)
    assert first.new == 268
    assert (second.new, second.seen) == (0, 268)
    assert len(events(sessions, second, announced=False)) == 268, "kept for the mirror's own watchers"
    with sessions() as session:
        duplicates = session.scalar(select(func.count()).where(Posting.duplicate_of_id.is_not(None)))
    assert duplicates == 268
    changed = copy.deepcopy(board)
    job(changed, 8008880)["title"] = "Growth Engineer II"
    on_mirror = crawl(sessions, changed, source=mirror)
    assert (events(sessions, on_mirror), on_mirror.changed) == ([], 0)
    assert events(sessions, on_mirror, announced=False) == [("changed", "8008880")]
    assert events(sessions, crawl(sessions, changed)) == [("changed", "8008880")]


def test_a_shrink_confirmed_by_the_next_complete_crawl_closes(sessions: sessionmaker[Session]) -> None:
    board = stripe_board()
    crawl(sessions, board)
    small = copy.deepcopy(board)
    small["jobs"] = small["jobs"][:10]
    guarded = crawl(sessions, small)
    assert events(sessions, guarded) == []
    assert guarded.problems and "nothing closed" in guarded.problems
    confirmed = crawl(sessions, small)
    assert [kind for kind, _ in events(sessions, confirmed)] == ["closed"] * 258


def test_when_the_original_closes_its_open_copy_takes_over_silently(sessions: sessionmaker[Session]) -> None:
    mirror = SourceConfig(name="stripe-careers", type="greenhouse", board="stripe", close_after_missing=1)
    board = stripe_board()
    crawl(sessions, board)
    crawl(sessions, board, source=mirror)
    without = copy.deepcopy(board)
    without["jobs"] = [j for j in without["jobs"] if j["id"] != 7462961]
    handed_over = crawl(sessions, without)
    assert events(sessions, handed_over) == [], "still open on the other source"
    assert events(sessions, handed_over, announced=False) == [("closed", "7462961")], "for its own watchers"
    changed = copy.deepcopy(board)
    job(changed, 7462961)["title"] = "Infrastructure Engineer II, Privy"
    assert events(sessions, crawl(sessions, changed, source=mirror)) == [("changed", "7462961")]


def test_backfill_lasts_until_a_crawl_completes(sessions: sessionmaker[Session]) -> None:
    board = stripe_board()
    partial = copy.deepcopy(board)
    partial["jobs"] = partial["jobs"][:100]
    crawl(sessions, partial, ["crawl ended early: its time budget (15m) ran out"])
    crawl(sessions, board)
    with sessions() as session:
        flags = set(session.scalars(select(Event.backfill).where(Event.type == "new")))
    assert flags == {True}


def test_long_page_ids_and_urls_are_stored_on_every_database(sessions: sessionmaker[Session]) -> None:
    long_url = "https://careers.example.com/jobs/" + "platform-engineer-" * 60 + "?lang=en"
    board = {"jobs": [{"id": long_url, "title": "Platform Engineer", "absolute_url": long_url}]}
    run = crawl(sessions, board)
    assert (run.status, run.new) == ("complete", 1)
    with sessions() as session:
        assert session.scalars(select(Posting.external_id)).one() == long_url


def test_sources_begun_together_each_get_their_run_or_say_why_not(sessions: sessionmaker[Session]) -> None:
    """One transaction begins them all; a source another process crawls is busy, and one the
    database refuses fails alone (the batch is begun again source by source)."""
    names = ("a", "busy", "refused", "c")
    a, busy, refused, c = (SourceConfig(name=name, type="greenhouse", board=name) for name in names)
    begin_crawl(sessions, busy)
    with sessions.begin() as session:
        session.execute(update(CrawlRun).values(owner="another-machine:42"))  # still crawling it
        if session.get_bind().dialect.name == "sqlite":
            session.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON sources WHEN NEW.name = 'refused'"
                    " BEGIN SELECT RAISE(ABORT, 'no such source here'); END"
                )
            )
        else:
            session.execute(text("ALTER TABLE sources ADD CONSTRAINT refuse CHECK (name <> 'refused')"))
    try:
        begun = Ingest(sessions).begin_many([a, busy, refused, c])
        alone = Ingest(sessions).begin_many([refused])  # a batch of one says why, too
    finally:
        with sessions.begin() as session:
            if session.get_bind().dialect.name == "sqlite":
                session.execute(text("DROP TRIGGER refuse"))
            else:
                session.execute(text("ALTER TABLE sources DROP CONSTRAINT refuse"))

    assert isinstance(begun["busy"], SourceBusy) and "already being crawled" in str(begun["busy"])
    assert isinstance(begun["refused"], Exception) and not isinstance(begun["refused"], SourceIngest)
    assert isinstance(alone["refused"], Exception) and not isinstance(alone["refused"], SourceIngest)
    opened = {name: ingest.run_id for name, ingest in begun.items() if isinstance(ingest, SourceIngest)}
    assert set(opened) == {"a", "c"}
    with sessions() as session:
        runs = session.execute(
            select(CrawlRun.id, CrawlRun.status, CrawlRun.owner).order_by(CrawlRun.id)
        ).all()
    assert [(status, owner) for _, status, owner in runs] == [("running", "another-machine:42")] + [
        ("running", this_process())
    ] * 2
    assert sorted(opened.values()) == [run_id for run_id, _, _ in runs[1:]]
