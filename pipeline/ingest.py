"""The ingest of a crawl, composed in one place: begin → add raw postings → finish with the
crawl's verdict → versions, events and closings.

The Scrapy adapter, the benchmark and the tests all go through `Ingest`. A posting the board
sends exactly as last time (same raw hash) is neither normalized, diffed nor matched again:
it is only marked as seen, which is what keeps an unchanged recrawl close to the cost of the
fetch. A board whose whole listing comes in one response, byte for byte as at its last clean
crawl, is not even parsed: every posting stored open is seen again (`same_listing`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.schema import SourceConfig
from pipeline.models import Posting as PostingRow
from pipeline.models import Source
from pipeline.normalize import canonical_url, normalize
from pipeline.raw import RawPosting
from pipeline.record import PostingRecord
from pipeline.report import CrawlReport
from pipeline.states import PostingStatus
from pipeline.store import (
    CrawlVerdict,
    EventHook,
    SourceBusy,
    begin_crawl_in,
    begin_crawls_in,
    finish_crawl,
    listing_only_hash,
    no_hook,
    store_postings,
)

# Sources begun in one transaction at most: few statements for many boards, and a source's
# budget starts soon after its batch is begun.
BEGIN_BATCH = 50

Stored = dict[str, tuple[int, str | None, str]]  # external id -> (row id, raw hash, status)

# Part of every raw hash and listing digest: bump it when extraction or normalization changes
# what it makes of the same payload, so every stored posting is normalized afresh once.
NORMALIZATION_VERSION = "1"


def raw_hash(raw: RawPosting, company: str | None) -> str:
    """A digest of the posting exactly as the board sent it (and the company it is filed under),
    or its `listing_key`: its detail is read again only when its listing entry changes."""
    if raw.listing_key:
        return raw.listing_key
    # Its listing_key (None) left out: the hashes stored before it was added still hold.
    fields = {name: value for name, value in raw.__dict__.items() if name != "listing_key"}
    encoded = json.dumps([NORMALIZATION_VERSION, company, fields], sort_keys=True, default=str)
    return hashlib.blake2b(encoded.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


def listing_digest(body: bytes, source: SourceConfig) -> str:
    """A digest of a listing response and of the source settings it was read with."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(f"{NORMALIZATION_VERSION}\0{source.model_dump_json()}\0".encode())
    digest.update(body)
    return digest.hexdigest()


class Ingest:
    """Stores the crawls of one process; the database is opened by the caller and shared."""

    def __init__(self, sessions: sessionmaker[Session], hook: EventHook = no_hook) -> None:
        self.sessions = sessions
        self.hook = hook

    def begin(self, source: SourceConfig) -> SourceIngest:
        """Open a crawl run (visible as `running` until finished) and read what is stored."""
        with self.sessions.begin() as session:
            return self._source_ingest(session, source, begin_crawl_in(session, source))

    def begin_many(
        self, sources: Sequence[SourceConfig], read_stored: bool = True
    ) -> dict[str, SourceIngest | Exception]:
        """`begin` for each source, in one transaction of a few statements for all of them: a
        crawl of thousands of boards begins them in batches. Each source's outcome by name: its
        ingest, or why it could not begin (SourceBusy, or the database's refusal, found by
        beginning each source on its own once the batch is refused). Without `read_stored`,
        what is stored is not read: for a crawl stored elsewhere (`resume`)."""
        if not sources:
            return {}
        try:
            with self.sessions.begin() as session:
                runs = begin_crawls_in(session, sources)
                names = [source.name for source in sources]
                stored = _stored_hashes_of(session, names) if read_stored else {}
                begun: dict[str, SourceIngest | Exception] = {}
                for source in sources:
                    run = runs[source.name]
                    if isinstance(run, SourceBusy):
                        begun[source.name] = run
                    else:
                        hashes, listing = stored.get(source.name, ({}, None))
                        begun[source.name] = SourceIngest(self, source, run, hashes, listing)
                return begun
        except Exception as error:
            if len(sources) == 1:
                return {sources[0].name: error}
        outcomes: dict[str, SourceIngest | Exception] = {}
        for source in sources:
            try:
                outcomes[source.name] = self.begin(source)
            except Exception as error:  # the source that the database refuses fails alone
                outcomes[source.name] = error
        return outcomes

    def resume(self, source: SourceConfig, run_id: int) -> SourceIngest:
        """A crawl run opened elsewhere (by the scheduler of a fleet of workers), to be stored here."""
        with self.sessions() as session:
            return self._source_ingest(session, source, run_id)

    def _source_ingest(self, session: Session, source: SourceConfig, run_id: int) -> SourceIngest:
        """What is stored for the source: its postings' raw hashes and its last clean listing."""
        hashes, known_listing = _stored_hashes_of(session, [source.name]).get(source.name, ({}, None))
        return SourceIngest(self, source, run_id, hashes, known_listing)


class SourceIngest:
    """One source's crawl: postings are kept until the crawl's verdict is known, since only
    then may it close anything; the crawl caps how many a source may bring."""

    def __init__(
        self,
        ingest: Ingest,
        source: SourceConfig,
        run_id: int,
        stored: Stored,
        known_listing: str | None = None,
    ) -> None:
        self.ingest = ingest
        self.source = source
        self.run_id = run_id
        # The digest of the listing read by the last clean crawl, if any.
        self.known_listing = known_listing
        self._stored = stored
        self._raws: dict[str, RawPosting] = {}
        self._same_listing = False

    def add(self, raw: RawPosting) -> None:
        # A board listing a job twice: the last one wins, as it always has.
        self._raws[raw.external_id] = raw

    def same_listing(self) -> None:
        """The board sent `known_listing` again: every posting stored open is seen unchanged."""
        self._same_listing = True

    def finish(self, verdict: CrawlVerdict) -> CrawlReport:
        """Sort out, normalize and store in one go (see `sort_out` and `store` to split it)."""
        batch = self.sort_out(verdict.listing_only, verdict.listing_paths)
        return self.store(verdict, batch, normalize_all(batch.to_normalize, self.source.company))

    def open_raw_hashes(self) -> dict[str, str]:
        """The raw hash of each job stored open: a board fetching a detail per job compares the
        keys of its listing entries with them (`RawPosting.listing_key`)."""
        return {
            ext: digest
            for ext, (_, digest, status) in self._stored.items()
            if digest and status == PostingStatus.OPEN
        }

    def sort_out(
        self, listing_only: frozenset[str] = frozenset(), listing_paths: Mapping[str, str] | None = None
    ) -> Sorted:
        """What changed since the last crawl, by raw hash: only that needs normalizing. A job
        given only as its listing had it (`listing_only`) and stored already is seen, as stored:
        the listing lacks its text, which is no change of the job. New, it is stored with a raw
        hash marking it so (`store.LISTING_ONLY_HASH`): its detail, once it comes, fills it in.

        `listing_paths` (external id -> path of the job's page) are for boards whose listing
        knows a job only by that path, its id coming from its detail. A job given from its
        listing alone is stored under its path. Given with its id later, a job stored under its
        path is that row, re-keyed to the id (`Sorted.renamed`); given from its listing alone
        while stored under its id, it is the stored job whose link ends with that path."""
        batch = Sorted()
        for _ in self.sorting_out(batch, listing_only, listing_paths):
            pass
        return batch

    def sorting_out(
        self,
        batch: Sorted,
        listing_only: frozenset[str] = frozenset(),
        listing_paths: Mapping[str, str] | None = None,
        step: int = 500,
    ) -> Iterator[None]:
        """`sort_out` into `batch`, pausing after every `step` postings: hashing a big board's
        postings takes long enough that a crawl serves other work in between."""
        if self._same_listing:
            batch.unchanged = {
                ext: row for ext, (row, _, status) in self._stored.items() if status == PostingStatus.OPEN
            }
        company = self.source.company
        paths = listing_paths or {}
        by_link = self._stored_by_link(
            {paths[ext] for ext in listing_only if ext in paths and ext not in self._stored}
        )
        for count, (external_id, raw) in enumerate(self._raws.items(), 1):
            if count % step == 0:
                yield
            stored_as = self._stored_as(external_id, external_id in listing_only, paths, by_link)
            row_id, stored_hash, status = self._stored.get(stored_as, (0, None, ""))
            if external_id in listing_only and row_id:
                if status == PostingStatus.OPEN:
                    batch.unchanged[stored_as] = row_id
                continue
            if stored_as != external_id:  # stored again, under its id: re-keyed as it is
                batch.renamed[external_id] = (row_id, stored_as)
            digest = raw_hash(raw, company)
            if digest == stored_hash and status == PostingStatus.OPEN and stored_as == external_id:
                batch.unchanged[external_id] = row_id
            else:
                batch.to_normalize.append(raw)
                batch.hashes[external_id] = (
                    listing_only_hash(digest) if external_id in listing_only else digest
                )
        self._raws.clear()

    def _stored_as(
        self, external_id: str, listing_only: bool, paths: Mapping[str, str], by_link: Mapping[str, str]
    ) -> str:
        """The id the job is stored under: its own, unless it is stored under its listing's path
        (given with its id now) or, given from its listing alone, under the id of the stored job
        whose link ends with that path."""
        path = paths.get(external_id)
        if external_id in self._stored or path is None:
            return external_id
        if listing_only:
            return by_link.get(path, external_id)
        return path if path in self._stored else external_id

    def _stored_by_link(self, paths: set[str]) -> dict[str, str]:
        """Path -> the external id of the stored job of the source whose link ends with it (an
        open one first, then the first stored). Read only when such paths are asked for."""
        wanted = {link: path for path in paths if (link := _link_path(path))}
        if not wanted:
            return {}
        tails: dict[str, list[str]] = {}
        for link in wanted:
            tails.setdefault(link.rsplit("/", 1)[-1], []).append(link)
        found: dict[str, str] = {}
        with self.ingest.sessions() as session:
            rows = session.execute(
                select(PostingRow.external_id, PostingRow.url)
                .join(Source, Source.id == PostingRow.source_id)
                .where(Source.name == self.source.name, PostingRow.url.is_not(None))
                .order_by(PostingRow.status != PostingStatus.OPEN, PostingRow.id)
            )
            for external_id, url in rows:
                stored = urlsplit(str(url)).path
                for link in tails.get(stored.rsplit("/", 1)[-1], ()):
                    if stored.endswith(link) and external_id != wanted[link]:
                        found.setdefault(wanted[link], external_id)
        return found

    def store(self, verdict: CrawlVerdict, batch: Sorted, normalized: Normalized) -> CrawlReport:
        """Write the crawl: versions and events for what changed, then the verdict's closings."""
        writing = Writing(self, batch)
        writing.add(normalized)
        return writing.finish(verdict)


class Writing:
    """A crawl's changed postings written part by part (`add`), then its verdict (`finish`): a
    crawl writing a big board may serve other work between parts, or stop early. A part is
    one transaction per batch of postings, as `store_postings` writes it."""

    def __init__(self, source_ingest: SourceIngest, batch: Sorted) -> None:
        self.source_ingest = source_ingest
        self.batch = batch
        self.seen: set[str] = set()
        self.unreadable: dict[str, str] = {}
        self._renamed = {new: row_id for new, (row_id, _) in batch.renamed.items()}

    def add(self, normalized: Normalized) -> None:
        postings, unreadable = normalized
        self.unreadable.update(unreadable)
        ingest, run_id = self.source_ingest.ingest, self.source_ingest.run_id
        self.seen |= store_postings(
            ingest.sessions, run_id, postings, ingest.hook, self.batch.hashes, self._renamed
        )

    def finish(self, verdict: CrawlVerdict) -> CrawlReport:
        """The verdict's closings (a complete crawl's only), and what the crawl did."""
        batch, unreadable = self.batch, self.unreadable
        # A job to be re-keyed but unreadable stays stored under its old id, and is kept open.
        kept_as = {old for new, (_, old) in batch.renamed.items() if new in unreadable}
        verdict = replace(
            verdict,
            kept=verdict.kept | unreadable.keys() | kept_as,
            notes=[*verdict.notes, *unreadable.values()],
            stats={**verdict.stats, "rolewatch/unchanged": len(batch.unchanged)},
        )
        ingest, source = self.source_ingest.ingest, self.source_ingest.source
        seen = self.seen | set(batch.unchanged)
        run = finish_crawl(
            ingest.sessions,
            self.source_ingest.run_id,
            source,
            seen,
            verdict,
            ingest.hook,
            list(batch.unchanged.values()),
        )
        return CrawlReport(
            source=source.name,
            crawl_run=run.id,
            status=run.status,
            health=run.health,
            seen=run.seen,
            dropped=run.dropped,
            new=run.new,
            changed=run.changed,
            closed=run.closed,
            reopened=run.reopened,
            unchanged=len(batch.unchanged),
            problems=run.problems.splitlines() if run.problems else [],
        )


@dataclass
class Sorted:
    """A crawl's postings sorted out: seen unchanged (external id -> row id), or to be
    normalized and stored with their raw hashes."""

    unchanged: dict[str, int] = field(default_factory=dict)
    to_normalize: list[RawPosting] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)
    # Jobs stored under another id so far (external id -> (row id, the id it is stored under)).
    renamed: dict[str, tuple[int, str]] = field(default_factory=dict)


Normalized = tuple[list[PostingRecord], dict[str, str]]  # postings, and why each one that failed did (by id)


def normalize_all(raws: list[RawPosting], company: str | None) -> Normalized:
    """Normalize a source's changed postings (pure: may run in another process); a posting
    that cannot be normalized is left out, by id with the reason, and the others go on."""
    postings, unreadable = [], {}
    for raw in raws:
        try:
            postings.append(normalize(raw, company))
        except Exception as error:  # one bad posting is reported; the board goes on
            unreadable[raw.external_id] = f"posting {raw.external_id[:80]}: cannot normalize: {error}"
    return postings, unreadable


def _link_path(path: str) -> str:
    """A page's path as it ends a stored (canonical) link; empty if it is no path."""
    if not path.startswith("/") or path == "/":
        return ""
    return urlsplit(canonical_url("http://host" + path) or "").path


def _stored_hashes_of(session: Session, names: Sequence[str]) -> dict[str, tuple[Stored, str | None]]:
    """Per source name: its postings' raw hashes, and its last clean listing's digest."""
    found: dict[str, tuple[Stored, str | None]] = {
        name: ({}, listing)
        for name, listing in session.execute(
            select(Source.name, Source.listing_hash).where(Source.name.in_(names))
        )
    }
    rows = session.execute(
        select(Source.name, PostingRow.external_id, PostingRow.id, PostingRow.raw_hash, PostingRow.status)
        .join(Source, Source.id == PostingRow.source_id)
        .where(Source.name.in_(names))
    )
    for name, external_id, row_id, digest, status in rows:
        found[name][0][external_id] = (row_id, digest, status)
    return found
