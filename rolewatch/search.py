"""Full-text search over stored postings, with the filters users know from watches: most
relevant first (a title hit above a description hit), then newest.

What SQL can decide is asked of the database, beside the full-text match; places, the exact
pay rule and a watch's terms are the matcher's (`notifier.matcher.RuleSet`), applied to the
ranked rows a page at a time until enough pass.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session, contains_eager

from config.schema import Config, MinSalary, WatchRule
from notifier.matcher import RuleSet
from pipeline.casefold import casefold_among
from pipeline.models import Posting, PostingVersion, Source
from pipeline.record import PostingRecord
from pipeline.search import index_query
from pipeline.states import PostingStatus
from rolewatch.queries import NotFound, posting_row
from rolewatch.search_text import SearchTerms, parse_query

# Ranked rows read per page while the matcher passes some over; pages grow to `MAX_PAGE`.
FIRST_PAGE = 200
MAX_PAGE = 5_000

_DATA = PostingVersion.data
_COMPANY = _DATA["company"].as_string()


@dataclass(frozen=True)
class SearchFilter:
    """Which postings a search may return. Lists are "any of"; `since` means posted on or
    after it (the board's date, else first seen); `watch` names a watch of the config whose
    rule the posting must match."""

    status: PostingStatus | None = None
    companies: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    workplace: tuple[str, ...] = ()
    min_pay: MinSalary | None = None
    since: datetime | None = None
    watch: str | None = None

    def rule(self) -> WatchRule | None:
        """Places, workplace and pay as a watch rule, so they mean what they mean in watches."""
        if not (self.places or self.workplace or self.min_pay):
            return None
        return WatchRule.model_validate(
            {
                "name": "search",
                "locations": list(self.places),
                "workplace": list(self.workplace),
                "min_salary": self.min_pay,
            }
        )


@dataclass(frozen=True)
class SearchHit:
    """One posting found, as its current version shows it; `score`: lower is more relevant."""

    posting: Posting
    record: PostingRecord
    seen_at: datetime
    score: float

    def as_dict(self) -> dict[str, Any]:
        """The posting as `rolewatch postings --json` prints it."""
        return posting_row(self.posting, self.record, self.seen_at)


def search_postings(
    session: Session,
    query: str | SearchTerms,
    where: SearchFilter = SearchFilter(),
    limit: int = 50,
    config: Config | None = None,
) -> list[SearchHit]:
    """The `limit` most relevant postings (0: all) holding every word and phrase of `query`
    that pass `where`. Raises `rolewatch.search_text.SearchQueryError` for a query with nothing
    to search for, NotFound for a watch the config does not define."""
    terms = parse_query(query) if isinstance(query, str) else query
    rules = [rule for rule in (where.rule(), _watch(config, where.watch)) if rule is not None]
    ranked = _ranked(session.get_bind().dialect.name, terms, where, rules)
    if not rules and where.since is None:
        # Everything is decided in SQL: one page of exactly what is asked.
        return _load(session, session.execute(ranked.limit(limit or None)).all())
    matcher = RuleSet(rules)
    found: list[SearchHit] = []
    seen: set[int] = set()
    for hit in _pages(session, ranked):
        # Rows may move between pages when a crawl writes meanwhile: each is taken once.
        if hit.posting.id in seen or not _passes(hit, matcher, len(rules), where.since):
            continue
        seen.add(hit.posting.id)
        found.append(hit)
        if limit and len(found) >= limit:
            break
    return found


def _watch(config: Config | None, name: str | None) -> WatchRule | None:
    if name is None:
        return None
    from notifier.stream import UnknownWatch, find_watch

    if config is None:
        raise NotFound(f"no watch named {name!r}: no config given")
    try:
        return find_watch(config, name)
    except UnknownWatch as error:
        raise NotFound(str(error)) from None


def _ranked(
    dialect: str, terms: SearchTerms, where: SearchFilter, rules: Sequence[WatchRule]
) -> Select[int, float]:
    """(posting id, score) of every posting matching the text and what SQL can check of
    `where` and `rules`, most relevant first, then the newest."""
    index = index_query(dialect, terms.phrases)
    query = (
        select(index.posting_id, index.score)
        .select_from(index.table)
        .join(Posting, Posting.id == index.posting_id)
        .where(index.matches)
    )
    conditions: list[ColumnElement[bool]] = []
    # Conditions on the current version's data, which needs joining.
    on_data: list[ColumnElement[bool]] = []
    sources = [set(where.sources)] if where.sources else []
    if where.status is not None:
        conditions.append(Posting.status == where.status)
    if where.since is not None:
        # Posted on or after `since` means still listed then (see `list_postings`).
        conditions.append(Posting.last_seen >= where.since)
    if where.companies:
        on_data.append(casefold_among(_COMPANY, where.companies))
    for rule in rules:
        on_data += _rule_conditions(rule)
        if rule.sources:
            sources.append(set(rule.sources))
    if sources:
        query = query.join(Source, Source.id == Posting.source_id)
        conditions.append(Source.name.in_(sorted(set.intersection(*sources))))
    if on_data:
        query = query.join(PostingVersion, _current_version())
    return query.where(*conditions, *on_data).order_by(
        index.score, Posting.first_seen.desc(), Posting.id.desc()
    )


def _rule_conditions(rule: WatchRule) -> list[ColumnElement[bool]]:
    """What SQL can tell of a rule: conditions every posting it matches meets (the matcher
    still decides), so that the rows read in Python are few."""
    conditions: list[ColumnElement[bool]] = []
    if rule.companies:
        conditions.append(casefold_among(_COMPANY, rule.companies))
    if rule.companies_none:
        conditions.append(~casefold_among(_COMPANY, rule.companies_none))
    if rule.workplace:
        # A version's workplace is a JSON list of these plain words.
        offered = _DATA["workplace"].as_string()
        conditions.append(or_(*(offered.like(f'%"{kind}"%') for kind in rule.workplace)))
    pay = rule.min_salary
    if pay is not None and not pay.include_unknown:
        top, bottom = _DATA["salary_max"].as_float(), _DATA["salary_min"].as_float()
        period = _DATA["salary_period"].as_string()
        conditions += [
            _DATA["salary_currency"].as_string() == pay.currency,
            or_(top >= pay.amount, bottom >= pay.amount),
            or_(period.is_(None), period == "year"),
        ]
    return conditions


def _current_version() -> ColumnElement[bool]:
    return (PostingVersion.posting_id == Posting.id) & (PostingVersion.number == Posting.version_count)


def _load(session: Session, ranked: Sequence[Any]) -> list[SearchHit]:
    """The postings of ranked (id, score) rows, in their order, each with its current version."""
    if not ranked:
        return []
    rows = session.execute(
        select(Posting, PostingVersion.data, PostingVersion.seen_at)
        .join(Posting.source)
        .join(PostingVersion, _current_version())
        .options(contains_eager(Posting.source))
        .where(Posting.id.in_([posting_id for posting_id, _ in ranked]))
    )
    by_id = {posting.id: (posting, data, seen_at) for posting, data, seen_at in rows}
    hits = []
    for posting_id, score in ranked:
        if (found := by_id.get(posting_id)) is not None:
            posting, data, seen_at = found
            hits.append(SearchHit(posting, PostingRecord.from_data(data), seen_at, float(score)))
    return hits


def _pages(session: Session, ranked: Select[int, float]) -> Iterator[SearchHit]:
    """Every row of `ranked`, in order, read in growing pages."""
    offset, size = 0, FIRST_PAGE
    while True:
        page = session.execute(ranked.offset(offset).limit(size)).all()
        yield from _load(session, page)
        if len(page) < size:
            return
        offset, size = offset + size, min(size * 2, MAX_PAGE)


def _passes(hit: SearchHit, matcher: RuleSet, rules: int, since: datetime | None) -> bool:
    if since is not None and datetime.fromisoformat(hit.as_dict()["posted"]) < since:
        return False
    return len(matcher.matching(hit.record.as_dict(), hit.posting.source.name)) == rules
