"""The only module that writes crawl results: versions, events and closings, in batches.

A crawl run is opened when the spider starts (so a killed crawl leaves a visible `running`
run), postings are stored one transaction per batch, and the run is finished last: only a
complete crawl, of a board that did not shrink suspiciously, may close postings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from config.schema import SourceConfig
from pipeline.db import insert_ignoring
from pipeline.diff import field_diff
from pipeline.identity import content_hash, fingerprint
from pipeline.models import CrawlRun, Event, Posting, PostingVersion, Source, utcnow
from pipeline.process import crawling_elsewhere, this_process
from pipeline.record import MATERIAL_FIELDS, PostingRecord
from pipeline.search import index_new, reindex
from pipeline.states import CrawlHealth, EventType, PostingStatus, RunStatus

BATCH_SIZE = 500

# A posting's raw hash starts so while its latest version came from its listing alone (its
# detail could not be fetched): the version its detail brings later is the posting filled in,
# news only in what every listing gives (`LISTED_FIELDS`), not a change of the rest.
LISTING_ONLY_HASH = "listing:"
# What a listing entry is trusted to say of a job: its title and, when it names any, its places.
LISTED_FIELDS = ("title", "locations")


def listing_only_hash(digest: str) -> str:
    """The raw hash kept for a posting stored from its listing alone."""
    return LISTING_ONLY_HASH + digest


@dataclass(frozen=True)
class EventRecord:
    """An event as written, for the hook: what the outbox needs without loading any rows."""

    id: int
    type: str
    posting_id: int
    source_id: int
    source_name: str
    duplicate_of_id: int | None
    data: dict[str, Any]  # the normalized posting of the event's version
    diff: dict[str, Any] | None
    backfill: bool
    announced: bool
    # An announcement given again: the job was stored from its listing alone, and its detail
    # has filled it in (see `_announcement_of`). No news for the run's counts.
    again: bool = False


# Called inside the transaction that writes the events, so the outbox commits with them.
EventHook = Callable[[Session, Sequence[EventRecord]], None]


def no_hook(session: Session, events: Sequence[EventRecord]) -> None:
    return None


@dataclass
class CrawlVerdict:
    """How a crawl ended; `problems` explain why it is not complete."""

    problems: list[str] = field(default_factory=list)
    dropped: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    failed: bool = False
    # The digest of a listing read in full in one response (see `pipeline.ingest.listing_digest`).
    listing: str | None = None
    # Jobs listed but unreadable (external ids): not stored anew, and not closed for it.
    kept: frozenset[str] = frozenset()
    # What was read around without making the crawl incomplete (why each job was kept, ...).
    notes: list[str] = field(default_factory=list)
    # Jobs whose detail could not be fetched, given as their listing had them (title, place,
    # link): stored when new, and a job stored already keeps its stored version.
    listing_only: frozenset[str] = frozenset()
    # Jobs whose listing knows them only by the path of their page (Workday's externalPath),
    # not by the id their detail gives: external id -> that path. A job given from its listing
    # alone is stored under its path; see `pipeline.ingest.SourceIngest.sort_out`.
    listing_paths: dict[str, str] = field(default_factory=dict)
    # How the board answered (None: ok for a complete crawl, else broken); `skipped`: not
    # crawled at all, its host or vendor left alone by an open circuit breaker.
    health: CrawlHealth | None = None
    skipped: bool = False

    @property
    def complete(self) -> bool:
        return not self.problems and not self.failed and not self.skipped

    @property
    def status(self) -> RunStatus:
        if self.failed:
            return RunStatus.FAILED
        if self.skipped:
            return RunStatus.SKIPPED
        return RunStatus.COMPLETE if self.complete else RunStatus.INCOMPLETE


def ensure_source(session: Session, source: SourceConfig, lock: bool = False) -> Source:
    """The source's row, created when new (see `ensure_sources`)."""
    return ensure_sources(session, [source], lock)[source.name]


def ensure_sources(
    session: Session, sources: Sequence[SourceConfig], lock: bool = False
) -> dict[str, Source]:
    """The sources' rows by name, created when new: two processes starting on one new source
    create it once (INSERT … ON CONFLICT DO NOTHING). `lock`: held (FOR UPDATE) until the
    transaction ends. Rows are written and locked in name order, so two processes beginning
    overlapping sets of sources never wait on each other in a circle."""
    ordered = sorted({source.name: source for source in sources}.values(), key=lambda source: source.name)
    if not ordered:
        return {}
    new_rows = [{"name": source.name, "type": source.type} for source in ordered]
    session.execute(insert_ignoring(session, Source, ["name"]).values(new_rows))
    query = select(Source).where(Source.name.in_([source.name for source in ordered])).order_by(Source.name)
    rows = {row.name: row for row in session.scalars(query.with_for_update() if lock else query)}
    for source in ordered:
        if rows[source.name].type != source.type:
            rows[source.name].type = source.type
    return rows


class SourceBusy(Exception):
    """Raised when a source is being crawled already by a process that is still there."""


BUSY = "already being crawled"


def begin_crawl(sessions: sessionmaker[Session], source: SourceConfig) -> int:
    with sessions.begin() as session:
        return begin_crawl_in(session, source)


def begin_crawl_in(session: Session, source: SourceConfig) -> int:
    """Open a crawl run in the caller's transaction (see `begin_crawls_in`); raises SourceBusy."""
    begun = begin_crawls_in(session, [source])[source.name]
    if isinstance(begun, SourceBusy):
        raise begun
    return begun


def begin_crawls_in(session: Session, sources: Sequence[SourceConfig]) -> dict[str, int | SourceBusy]:
    """Open a crawl run for each source in the caller's transaction, with a few statements for
    all of them: source name -> its run's id, or SourceBusy when a process that is still there
    crawls it, so two crawls of one source never store it at once. A run still "running" whose
    process is gone (or past its budget) is failed."""
    rows = ensure_sources(session, sources, lock=True)  # serializes beginnings of one source
    by_id = {rows[source.name].id: source for source in sources}
    now = utcnow()
    begun: dict[str, int | SourceBusy] = {}
    for run_id, source_id, owner, started in session.execute(
        select(CrawlRun.id, CrawlRun.source_id, CrawlRun.owner, CrawlRun.started_at).where(
            CrawlRun.source_id.in_(by_id), CrawlRun.status == RunStatus.RUNNING
        )
    ):
        source = by_id[source_id]
        if crawling_elsewhere(owner) and started > now - source.timeout - BUSY_GRACE:
            begun[source.name] = SourceBusy(f"{source.name}: {BUSY} by {owner} (crawl run {run_id})")
    free = [source_id for source_id, source in by_id.items() if source.name not in begun]
    if not free:
        return begun
    session.execute(
        update(CrawlRun)
        .where(CrawlRun.source_id.in_(free), CrawlRun.status == RunStatus.RUNNING)
        .values(status=RunStatus.FAILED, finished_at=now, problems="crawl process ended without finishing")
    )
    owner = this_process()
    opened = session.execute(
        insert(CrawlRun).returning(CrawlRun.source_id, CrawlRun.id),
        [{"source_id": source_id, "owner": owner} for source_id in free],
    )
    for source_id, run_id in opened:
        begun[by_id[source_id].name] = run_id
    return begun


# A run older than its source's budget plus this is no longer crawled by anyone.
BUSY_GRACE = timedelta(minutes=10)


def store_postings(
    sessions: sessionmaker[Session],
    run_id: int,
    postings: Iterable[PostingRecord],
    hook: EventHook = no_hook,
    raw_hashes: Mapping[str, str] | None = None,
    renamed: Mapping[str, int] | None = None,
) -> set[str]:
    """Store what a crawl saw, one transaction per batch; returns the external ids seen.
    `raw_hashes` (external id -> hash of the posting as the board sent it) are kept for the
    next crawl to skip what did not change. `renamed` (external id -> row id): postings stored
    under another id so far, re-keyed to this one as their batch is stored — the same row, its
    versions and events kept."""
    latest: dict[str, PostingRecord] = {}
    for posting in postings:
        latest[posting.external_id] = posting  # a board listing a job twice: last one wins
    items = list(latest.values())
    if not items:
        return set()
    with sessions() as session:
        run = session.get_one(CrawlRun, run_id)
        source_id, source_name = run.source_id, run.source.name
        # Until a crawl of the board has completed, what it lists was there before the user
        # watched it: a first crawl cut short does not turn the rest into hundreds of "new".
        backfill = not session.scalar(
            select(func.count())
            .select_from(CrawlRun)
            .where(CrawlRun.source_id == source_id, CrawlRun.status == RunStatus.COMPLETE)
        )
    where = _Where(source_id, source_name, run_id, backfill)
    for start in range(0, len(items), BATCH_SIZE):
        with sessions.begin() as session:
            batch = items[start : start + BATCH_SIZE]
            _rekey(session, where.source_id, batch, renamed or {})
            records = _store_batch(session, where, batch, raw_hashes or {})
            hook(session, records)
            _count(session.get_one(CrawlRun, run_id), records)
    return set(latest)


@dataclass(frozen=True)
class _Where:
    """The source and crawl run a batch is stored for."""

    source_id: int
    source_name: str
    run_id: int
    backfill: bool


def _rekey(
    session: Session, source_id: int, batch: Sequence[PostingRecord], renamed: Mapping[str, int]
) -> None:
    for posting in batch:
        if (row_id := renamed.get(posting.external_id)) is not None:
            session.execute(
                update(Posting)
                .where(Posting.id == row_id, Posting.source_id == source_id)
                .values(external_id=posting.external_id)
                .execution_options(synchronize_session=False)
            )


def _store_batch(
    session: Session, where: _Where, batch: Sequence[PostingRecord], raw_hashes: Mapping[str, str]
) -> list[EventRecord]:
    ids = [posting.external_id for posting in batch]
    existing = {
        row.external_id: row
        for row in session.scalars(
            select(Posting).where(Posting.source_id == where.source_id, Posting.external_id.in_(ids))
        )
    }
    fresh = [posting for posting in batch if posting.external_id not in existing]
    records = _insert_new(session, where, fresh, raw_hashes)
    now = utcnow()
    events: list[Event] = []
    # Announcements of postings stored from their listing alone, now told of in full.
    refilled: list[Event] = []
    # (posting id, previous data, new data) of each new current version, for the search index.
    rewritten: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
    for posting in batch:
        row = existing.get(posting.external_id)
        if row is None:
            continue
        row.last_seen, row.missing_count, row.url = now, 0, posting.url or row.url
        filling_in = (row.raw_hash or "").startswith(LISTING_ONLY_HASH)
        row.raw_hash = raw_hashes.get(posting.external_id)
        material = posting.material()
        digest = content_hash(material)
        if digest == row.current_hash and row.status == PostingStatus.OPEN:
            continue  # seen again, unchanged; no version loaded
        previous = row.versions[-1]
        version, diff = previous, {}
        if digest != row.current_hash:
            version = _add_version(session, row, posting, digest, where.run_id)
            rewritten.append((row.id, previous.data, version.data))
            row.current_hash = digest
            row.fingerprint = fingerprint(posting.company, posting.title, posting.locations)
            diff = field_diff(_material_of(previous), material)
            if filling_in:
                diff = _listed_changes(previous, diff)
                # A closed one is reopened, below: that event tells of it in full.
                if row.status == PostingStatus.OPEN and (
                    announced := _announcement_of(session, row, previous)
                ):
                    announced.version = version
                    refilled.append(announced)
        if row.status == PostingStatus.CLOSED:
            row.status, row.closed_at = PostingStatus.OPEN, None
            _stand_alone_if_original_closed(session, row)
            events.append(
                Event(
                    posting=row,
                    version=version,
                    crawl_run_id=where.run_id,
                    type=EventType.REOPENED,
                    diff=diff,
                )
            )
        elif diff:
            events.append(
                Event(
                    posting=row, version=version, crawl_run_id=where.run_id, type=EventType.CHANGED, diff=diff
                )
            )
    reindex(session, rewritten)
    for event in events:
        event.announced = event.posting.duplicate_of_id is None
    session.add_all(events)
    session.flush()
    again = [replace(_record(event, where.source_name), again=True) for event in refilled]
    return records + again + [_record(event, where.source_name) for event in events]


def _announcement_of(session: Session, row: Posting, listed: PostingVersion) -> Event | None:
    """The event that announced a version stored from the job's listing alone (its `new` or
    `reopened`). When the detail fills the job in, that event is pointed at the full version and
    given to the hook again: watches that match only what the listing lacked (its department,
    its text) hear of the job then, as new, and digests not sent yet show it in full."""
    return session.scalar(
        select(Event)
        .where(
            Event.posting_id == row.id,
            Event.version_id == listed.id,
            Event.type.in_([EventType.NEW, EventType.REOPENED]),
        )
        .order_by(Event.id.desc())
        .limit(1)
    )


def _insert_new(
    session: Session, where: _Where, fresh: Sequence[PostingRecord], raw_hashes: Mapping[str, str]
) -> list[EventRecord]:
    """First sightings, written with one multi-row INSERT per table: the bulk of a first crawl.

    Rows come back from RETURNING in no promised order, so each is matched by its key."""
    if not fresh:
        return []
    now = utcnow()
    prints = {p.external_id: fingerprint(p.company, p.title, p.locations) for p in fresh}
    _hold_linking_lock(session, where.run_id)
    originals = _originals_elsewhere(session, where.source_id, set(prints.values()))
    datas = {p.external_id: p.as_dict() for p in fresh}
    hashes = {
        p.external_id: content_hash({name: datas[p.external_id][name] for name in MATERIAL_FIELDS})
        for p in fresh
    }
    posting_ids: dict[str, int] = _pairs(
        session.execute(
            insert(Posting).returning(Posting.external_id, Posting.id),
            [
                {
                    "source_id": where.source_id,
                    "external_id": p.external_id,
                    "url": p.url,
                    "fingerprint": prints[p.external_id],
                    "duplicate_of_id": originals.get(prints[p.external_id]),
                    "current_hash": hashes[p.external_id],
                    "raw_hash": raw_hashes.get(p.external_id),
                    "first_seen": now,
                    "last_seen": now,
                    "status": PostingStatus.OPEN,
                    "missing_count": 0,
                    "version_count": 1,
                }
                for p in fresh
            ],
        )
    )
    version_ids: dict[int, int] = _pairs(
        session.execute(
            insert(PostingVersion).returning(PostingVersion.posting_id, PostingVersion.id),
            [
                {
                    "posting_id": posting_ids[p.external_id],
                    "number": 1,
                    "content_hash": hashes[p.external_id],
                    "data": datas[p.external_id],
                    "seen_at": now,
                    "crawl_run_id": where.run_id,
                }
                for p in fresh
            ],
        )
    )
    index_new(session, [(posting_ids[p.external_id], datas[p.external_id]) for p in fresh])
    records = [
        EventRecord(
            id=0,  # known once the row is written, below
            type=EventType.NEW,
            posting_id=posting_ids[p.external_id],
            source_id=where.source_id,
            source_name=where.source_name,
            duplicate_of_id=originals.get(prints[p.external_id]),
            data=datas[p.external_id],
            diff=None,
            backfill=where.backfill,
            announced=originals.get(prints[p.external_id]) is None,
        )
        for p in fresh
    ]
    rows = [
        {
            "posting_id": record.posting_id,
            "version_id": version_ids[record.posting_id],
            "crawl_run_id": where.run_id,
            "type": EventType.NEW,
            "backfill": record.backfill,
            "announced": record.announced,
            "created_at": now,
        }
        for record in records
    ]
    event_ids: dict[int, int] = _pairs(
        session.execute(insert(Event).returning(Event.posting_id, Event.id), rows)
    )
    return [replace(record, id=event_ids[record.posting_id]) for record in records]


def _pairs(rows: Iterable[Any]) -> dict[Any, Any]:
    """RETURNING rows of (key, id) as a mapping: a Result has `keys()`, so `dict()` misreads it."""
    return {key: value for key, value in rows}


def _record(event: Event, source_name: str) -> EventRecord:
    posting = event.posting
    return EventRecord(
        id=event.id,
        type=event.type,
        posting_id=posting.id,
        source_id=posting.source_id,
        source_name=source_name,
        duplicate_of_id=posting.duplicate_of_id,
        data=event.version.data,
        diff=event.diff,
        backfill=event.backfill,
        announced=event.announced,
    )


# Key of the PostgreSQL advisory lock under which first sightings are linked to their copies.
_LINKING_LOCK_KEY = 7_264_051_916


def _hold_linking_lock(session: Session, run_id: int) -> None:
    """Until this transaction ends, no other one may insert first sightings: two sources stored
    at once (two processes, two workers) would each miss the other's copy of a job, and both
    announce it. PostgreSQL: an advisory transaction lock. SQLite: a write now, which takes the
    database's write lock before the lookup instead of after it."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_LINKING_LOCK_KEY)))
    else:
        # A column no key refers to: rewriting the id would check every table that refers to it.
        claim = update(CrawlRun).where(CrawlRun.id == run_id).values(seen=CrawlRun.seen)
        session.execute(claim.execution_options(synchronize_session=False))


def _originals_elsewhere(session: Session, source_id: int, fingerprints: set[str]) -> dict[str, int]:
    """Open postings on other sources with these fingerprints: the same job seen before."""
    if not fingerprints:
        return {}
    # Only the fingerprint is filtered in SQL: given `duplicate_of_id IS NULL`, SQLite picks that
    # column's index, which nearly every posting matches, and scans the table once per batch.
    rows = session.execute(
        select(Posting.fingerprint, Posting.id, Posting.source_id, Posting.status, Posting.duplicate_of_id)
        .where(Posting.fingerprint.in_(fingerprints))
        .order_by(Posting.id)
    )
    originals: dict[str, int] = {}
    for fp, posting_id, other_source, status, duplicate_of in rows:
        if other_source != source_id and status == PostingStatus.OPEN and duplicate_of is None:
            originals.setdefault(fp, posting_id)
    return originals


def _add_version(
    session: Session, row: Posting, posting: PostingRecord, digest: str, run_id: int
) -> PostingVersion:
    row.version_count += 1
    version = PostingVersion(
        posting=row,
        number=row.version_count,
        content_hash=digest,
        data=posting.as_dict(),
        crawl_run_id=run_id,
    )
    session.add(version)
    return version


def _material_of(version: PostingVersion) -> dict[str, Any]:
    return version.record.material()


def _listed_changes(listed: PostingVersion, diff: dict[str, Any]) -> dict[str, Any]:
    """What of `diff` is news when the version before it came from the job's listing alone:
    only what the listing said (its title, its places if it named any); the rest the detail
    filled in."""
    record = listed.record
    return {name: change for name, change in diff.items() if name in LISTED_FIELDS and getattr(record, name)}


def finish_crawl(
    sessions: sessionmaker[Session],
    run_id: int,
    source: SourceConfig,
    seen: set[str],
    verdict: CrawlVerdict,
    hook: EventHook = no_hook,
    seen_unchanged: Sequence[int] = (),
) -> CrawlRun:
    """Close what a complete crawl no longer lists, guarded against a board that shrank.
    `seen_unchanged`: rows seen exactly as last time, marked seen in the same transaction."""
    with sessions.begin() as session:
        mark_seen(session, seen_unchanged)
        run = session.get_one(CrawlRun, run_id)
        problems = list(verdict.problems)
        events: list[Event] = []
        waiting = 0
        if verdict.complete:
            events, warning, waiting = _close_missing(session, run, source, seen | verdict.kept)
            if warning:
                problems.append(warning)
            session.add_all(events)
            session.flush()
            records = [_record(event, run.source.name) for event in events]
            hook(session, records)
            _count(run, records)
        run.status = verdict.status
        run.health = verdict.health or (CrawlHealth.OK if verdict.complete else CrawlHealth.BROKEN)
        run.seen, run.dropped = len(seen), verdict.dropped
        run.problems = _problems_text([*problems, *verdict.notes])
        run.stats = verdict.stats or None
        run.finished_at = utcnow()
        # The same listing next time may skip extraction only if this crawl left the stored
        # postings exactly as the listing says: nothing dropped, nothing missing still open.
        clean = run.status == RunStatus.COMPLETE and not run.problems and not verdict.dropped and not waiting
        if not verdict.skipped:  # a skipped crawl read nothing: what the last one read holds
            run.source.listing_hash = verdict.listing if clean else None
        session.flush()
        session.expunge(run)
        return run


# Problems kept per crawl run: a board whose every job is unreadable says so in a few lines.
MAX_PROBLEMS = 50


def _problems_text(problems: list[str]) -> str | None:
    if len(problems) > MAX_PROBLEMS:
        problems = [*problems[:MAX_PROBLEMS], f"... and {len(problems) - MAX_PROBLEMS} more"]
    # PostgreSQL text cannot hold U+0000, and a problem may quote a board's value.
    return "\n".join(problems).replace("\x00", "") or None


def mark_seen(session: Session, row_ids: Sequence[int]) -> None:
    """Seen again, exactly as before: one UPDATE per batch, no objects loaded."""
    now = utcnow()
    for start in range(0, len(row_ids), BATCH_SIZE):
        session.execute(
            update(Posting)
            .where(Posting.id.in_(row_ids[start : start + BATCH_SIZE]))
            .values(last_seen=now, missing_count=0)
        )


def _close_missing(
    session: Session, run: CrawlRun, source: SourceConfig, seen: set[str]
) -> tuple[list[Event], str | None, int]:
    """The closings of a complete crawl, a warning when it closed nothing because the board
    shrank too much, and how many missing postings stay open until missed again."""
    # Only the missing postings are loaded as objects: on a recrawl that is none or a few.
    open_ids = session.execute(
        select(Posting.id, Posting.external_id).where(
            Posting.source_id == run.source_id, Posting.status == PostingStatus.OPEN
        )
    ).all()
    missing_ids = [row_id for row_id, external_id in open_ids if external_id not in seen]
    # Compare with the last complete listing, not with what is open: a shrink that the next
    # complete crawl confirms is real (a filled board, a hiring freeze) and then closes.
    previous = session.scalar(
        select(CrawlRun.seen)
        .where(
            CrawlRun.source_id == run.source_id, CrawlRun.status == RunStatus.COMPLETE, CrawlRun.id != run.id
        )
        .order_by(CrawlRun.id.desc())
        .limit(1)
    )
    baseline = previous if previous is not None else len(open_ids)
    if baseline and (baseline - len(seen)) / baseline > source.max_shrink and len(missing_ids) > 1:
        return (
            [],
            (
                f"board shrank from {baseline} to {len(seen)} postings; nothing closed"
                f" (more than {source.max_shrink:.0%} gone at once; a second complete crawl confirms it)"
            ),
            len(missing_ids),
        )
    missing = [
        row
        for start in range(0, len(missing_ids), BATCH_SIZE)
        for row in session.scalars(
            select(Posting)
            .where(Posting.id.in_(missing_ids[start : start + BATCH_SIZE]))
            .order_by(Posting.id)
        )
    ]
    events = []
    waiting = 0
    now = utcnow()
    for row in missing:
        row.missing_count += 1
        if row.missing_count < source.close_after_missing:
            waiting += 1
            continue
        row.status, row.closed_at = PostingStatus.CLOSED, now
        # A copy's closing, or an original's whose copy takes over, is news only to watchers who
        # followed the job here and nowhere it is still open (notifier.outbox decides who).
        copy = row.duplicate_of_id is not None
        handed_over = not copy and _hand_over_to_copy(session, row)
        announced = not (copy or handed_over)
        events.append(
            Event(
                posting=row,
                version=row.versions[-1],
                crawl_run_id=run.id,
                type=EventType.CLOSED,
                announced=announced,
            )
        )
    return events, None, waiting


def _stand_alone_if_original_closed(session: Session, row: Posting) -> None:
    """A copy back on its board while its original stays closed is the job's original now:
    everyone was told the job closed, so everyone is told it is back."""
    if row.duplicate_of_id is None:
        return
    original = session.get(Posting, row.duplicate_of_id)
    if original is None or original.status == PostingStatus.CLOSED:
        row.duplicate_of_id = None


def _hand_over_to_copy(session: Session, row: Posting) -> bool:
    """When a job closes on one source but its copy on another is still open, the copy becomes
    the original (announced from now on); the closing is not announced to everyone."""
    copies = list(
        session.scalars(
            select(Posting)
            .where(Posting.duplicate_of_id == row.id, Posting.status == PostingStatus.OPEN)
            .order_by(Posting.id)
        )
    )
    if not copies:
        return False
    heir, *others = copies
    heir.duplicate_of_id = None
    for other in others:
        other.duplicate_of_id = heir.id
    row.duplicate_of_id = heir.id
    return True


def _count(run: CrawlRun, events: Sequence[EventRecord]) -> None:
    """A run's counts are of news: what a copy of a job seen elsewhere did, or an announcement
    given again, is not counted."""
    for event in events:
        if event.announced and not event.again:
            setattr(run, event.type, getattr(run, event.type) + 1)
