"""A digest read from the store in bounded queries: whatever its number of items, the database
counts them (by event type, by company) and only a page of them is loaded.

A digest lists at most `LISTED` events one by one (its oldest); the rest are counted and the
message says how many more there are and where to see them. A first-crawl summary's postings
are ranked by pay in the database, and only those it shows (at most `LISTED`) are loaded.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnClause, Select, case, func, literal_column, select
from sqlalchemy.orm import Session, selectinload

from config.schema import Recipient
from notifier.render import BestPaid, DigestRow, DigestView, assemble_view, main_currency
from pipeline.dates import parse_posted, shown_date
from pipeline.models import Digest, Event, OutboxItem, Posting, PostingVersion, Source
from pipeline.salary import PERIODS_PER_YEAR, Salary
from pipeline.states import EventType

# The most events one digest lists one by one: no one reads further in one email.
LISTED = 500
# How many companies the "and N more" line counts the unlisted events of.
MORE_COMPANIES = 10
# Rows read at a time when a query's whole result is walked (a summary's ranking).
BATCH = 5_000


def _field(name: str) -> Any:
    return PostingVersion.data[name]


# The company a row is listed under, as `notifier.render.company_of` says it; grouped and
# ordered by its label (PostgreSQL cannot tell that two bound JSON keys are the same).
COMPANY = func.coalesce(func.nullif(_field("company").as_string(), ""), Source.name).label("company")
BY_COMPANY: ColumnClause[Any] = literal_column("company")


def _items(digest_id: int) -> Select[Any]:
    """The digest's items with their events, for counting, ranking and paging."""
    return (
        select(OutboxItem.event_id)
        .join(Event, OutboxItem.event_id == Event.id)
        .where(OutboxItem.digest_id == digest_id)
    )


def _with_data(items: Select[Any]) -> Select[Any]:
    return items.join(PostingVersion, Event.version_id == PostingVersion.id)


def _with_company(items: Select[Any]) -> Select[Any]:
    return (
        _with_data(items)
        .join(Posting, Event.posting_id == Posting.id)
        .join(Source, Posting.source_id == Source.id)
    )


def digest_view(
    session: Session, digest: Digest, settings: Recipient | None
) -> tuple[DigestView, list[DigestRow]]:
    """The digest's view, and the rows of its first `LISTED` events for outlets that take events
    (a webhook). A recipient no longer in the config gets the default summary."""
    summarising = (settings.backfill if settings else "summary") == "summary"
    top = min(settings.backfill_top if settings else 10, LISTED)
    items = _items(digest.id)
    counts: Counter[EventType] = Counter()
    backfill_total = 0
    grouped = items.with_only_columns(Event.type, Event.backfill, func.count()).group_by(
        Event.type, Event.backfill
    )
    for kind, backfill, count in session.execute(grouped):
        counts[kind] += count
        backfill_total += count if summarising and backfill else 0
    # Listed one by one: everything, or all but a first crawl's postings when they are summarised.
    listing = items.where(Event.backfill.is_(False)) if summarising else items
    listed = _rows(session, listing.order_by(OutboxItem.event_id).limit(LISTED))
    summarised = items.where(Event.backfill.is_(True))
    shown = _best_paid(session, summarised, top) if backfill_total and top else []
    names, company_count = _company_names(session, items)
    more = counts.total() - len(listed) - backfill_total
    by_company: list[tuple[str, int]] = []
    if more and listed:
        by_company = _counts_by_company(session, listing.where(OutboxItem.event_id > listed[-1].event_id))
    view = assemble_view(
        digest.recipient,
        listed=listed,
        counts=counts,
        backfill_total=backfill_total,
        backfill=shown,
        company_names=names,
        company_count=company_count,
        more=more,
        more_by_company=by_company,
    )
    machine = listed if not summarising else _rows(session, items.order_by(OutboxItem.event_id).limit(LISTED))
    return view, machine


def _streamed(session: Session, query: Select[Any]) -> Iterator[Any]:
    """Every row of `query`, fetched `BATCH` at a time (a server-side cursor on PostgreSQL), as
    plain rows: no ORM loading for what is only read once."""
    yield from session.connection().execute(query.execution_options(yield_per=BATCH))


def _company_names(session: Session, items: Select[Any]) -> tuple[list[str], int]:
    """The first `LISTED` of the digest's companies in name order, and how many there are."""
    count = 0

    def names() -> Iterator[str]:
        nonlocal count
        grouped = _with_company(items).with_only_columns(COMPANY).group_by(BY_COMPANY)
        for (name,) in _streamed(session, grouped):
            count += 1
            yield name

    first = heapq.nsmallest(LISTED, names(), key=str.casefold)
    return first, count


def _counts_by_company(session: Session, query: Select[Any]) -> list[tuple[str, int]]:
    count = func.count().label("events")
    grouped = (
        _with_company(query)
        .with_only_columns(COMPANY, count)
        .group_by(BY_COMPANY)
        .order_by(literal_column("events").desc(), BY_COMPANY)
        .limit(MORE_COMPANIES)
    )
    return [(name, number) for name, number in session.execute(grouped)]


def _best_paid(session: Session, summarised: Select[Any], top: int) -> list[DigestRow]:
    """The summary's `top` best paid, loaded alone. The database ranks pay within each currency
    and returns the `top` best of each (and their ties), which `BestPaid` orders exactly; the
    postings stating no pay are read only when too few state it."""
    # Each field read from the JSON once, below; the ranking works on the columns.
    fields = _with_data(summarised).with_only_columns(
        OutboxItem.event_id,
        *[_field(f"salary_{name}").as_float().label(name) for name in ("min", "max")],
        *[_field(f"salary_{name}").as_string().label(name) for name in ("currency", "period")],
        _field("title").as_string().label("title"),
    )
    read = fields.subquery()
    pay = case((func.coalesce(read.c.max, 0) != 0, read.c.max), else_=read.c.min)  # as `Salary.top`
    yearly = pay * case(PERIODS_PER_YEAR, value=read.c.period, else_=1)
    # Each row also says how many state pay in its currency, and the first of them.
    ranked = (
        select(
            *read.c,
            func.rank().over(partition_by=read.c.currency, order_by=yearly.desc()).label("place"),
            func.count().over(partition_by=read.c.currency).label("stated"),
            func.min(read.c.event_id).over(partition_by=read.c.currency).label("first"),
        )
        .where(pay.is_not(None))
        .subquery()
    )
    best = select(*[column for column in ranked.c if column.name != "place"]).where(ranked.c.place <= top)
    ranking: BestPaid[int] = BestPaid(top)
    currencies: dict[str | None, tuple[int, int]] = {}
    for event_id, *figures, title, stated, first in _streamed(session, best.order_by(ranked.c.event_id)):
        salary = Salary(*figures)
        ranking.add(salary, title or "(untitled)", event_id)
        currencies[salary.currency] = (stated, first)
    if sum(stated for stated, _ in currencies.values()) < top:
        unpaid = select(*read.c).where(pay.is_(None)).order_by(read.c.event_id)
        for event_id, *figures, title in _streamed(session, unpaid):
            ranking.add(Salary(*figures), title or "(untitled)", event_id)
    # The most common currency, the first seen of equally common ones.
    by_first = sorted(currencies.items(), key=lambda found: found[1][1])
    chosen = ranking.best(main_currency(Counter({name: stated for name, (stated, _) in by_first})))
    if not chosen:
        return []
    rows = {row.event_id: row for row in _rows(session, summarised.where(OutboxItem.event_id.in_(chosen)))}
    return [rows[event_id] for event_id in chosen]


def _rows(session: Session, query: Select[Any]) -> list[DigestRow]:
    """The rows of a bounded query of a digest's items (by event id), in its order: each event
    with its posting's record, its diff, and the same job's links on other sources."""
    page = query.with_only_columns(OutboxItem).options(
        selectinload(OutboxItem.event).selectinload(Event.version),
        selectinload(OutboxItem.event).selectinload(Event.posting).selectinload(Posting.source),
    )
    items = session.scalars(page).all()
    duplicates: dict[int, list[str]] = {}
    for original, url in session.execute(
        select(Posting.duplicate_of_id, Posting.url).where(
            Posting.duplicate_of_id.in_([item.event.posting_id for item in items]), Posting.url.is_not(None)
        )
    ):
        if original is not None and url is not None:
            duplicates.setdefault(original, []).append(url)
    rows = []
    for item in items:
        event, version = item.event, item.event.version
        record = version.record
        rows.append(
            DigestRow(
                event=event.type,
                record=record,
                diff=event.diff,
                source=event.posting.source.name,
                watches=item.watches.split(","),
                backfill=event.backfill,
                also_at=duplicates.get(event.posting_id, []),
                posted=shown_date(parse_posted(record.posted_at, version.seen_at), event.posting.first_seen),
                event_id=event.id,
                time=event.created_at,
                posting_id=event.posting_id,
                external_id=event.posting.external_id,
            )
        )
    return rows
