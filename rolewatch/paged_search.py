"""Full-text search (`rolewatch.search`) in keyset pages: hits come most relevant first, then
newest, and a page's cursor names its last hit, so the next page starts right after that
posting wherever it ranks by then."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from config.schema import Config
from pipeline.states import PostingStatus
from rolewatch.paged import (
    BadRequest,
    NotOurs,
    Page,
    PostingSearch,
    cursor_id,
    decode_cursor,
    encode_cursor,
    jsonable,
)
from rolewatch.search import SearchFilter, SearchHit, search_postings
from rolewatch.search_text import SearchQueryError, parse_min_pay, parse_query

WORKPLACES = ("remote", "hybrid", "onsite")


@dataclass(frozen=True)
class HitKey:
    """The last hit of a page and its place in the ranking then; `shown`: how many hits the
    pages so far gave, which tells how far down the ranking to read for the next."""

    score: float
    first_seen: datetime
    id: int
    shown: int

    def before(self, hit: SearchHit) -> bool:
        """Whether `hit` ranks after this place (a lower score ranks higher)."""
        if hit.score != self.score:
            return hit.score > self.score
        if hit.posting.first_seen != self.first_seen:
            return hit.posting.first_seen < self.first_seen
        return hit.posting.id < self.id


def search_filter(search: PostingSearch) -> SearchFilter:
    """The API's filters as `rolewatch search` reads its options."""
    for kind in search.workplace:
        if kind not in WORKPLACES:
            raise BadRequest(f"workplace: {kind!r} is not one of {', '.join(WORKPLACES)}")
    try:
        min_pay = parse_min_pay(search.min_pay) if search.min_pay else None
    except SearchQueryError as error:
        raise BadRequest(f"min_pay: {error}") from None
    return SearchFilter(
        status=PostingStatus(search.status) if search.status else None,
        companies=search.companies,
        sources=search.sources,
        places=search.places,
        workplace=search.workplace,
        min_pay=min_pay,
        since=search.since,
        watch=search.watch,
    )


def search_page(
    session: Session, config: Config, search: PostingSearch, cursor: str | None, limit: int
) -> Page:
    """The `limit` hits after the cursor's, read down the ranking to where that hit now stands
    (postings stored meanwhile may push it down, and change every score on SQLite, where
    relevance weighs each word by how rare it is among all postings)."""
    try:
        terms = parse_query(search.text or "")
    except SearchQueryError as error:
        raise BadRequest(f"q: {error}") from None
    where = search_filter(search)
    after = _key(cursor) if cursor else None
    depth = (after.shown if after else 0) + limit + 1
    while True:
        hits = search_postings(session, terms, where, depth, config)
        exhausted = len(hits) < depth
        rest = _after(hits, after, exhausted)
        if (rest is not None and len(rest) > limit) or exhausted:
            break
        depth *= 2
    rest = rest or []
    shown = rest[:limit]
    next_cursor = None
    if len(rest) > limit:
        last = shown[-1]
        count = (after.shown if after else 0) + len(shown)
        place = (last.score, last.posting.first_seen.isoformat(), last.posting.id, count)
        next_cursor = encode_cursor("search", *place)
    return Page(jsonable([hit.as_dict() for hit in shown]), next_cursor)


def _after(hits: list[SearchHit], key: HitKey | None, exhausted: bool) -> list[SearchHit] | None:
    """The hits after the cursor's: after that posting where it ranks now, or, once the whole
    ranking is read without it (closed or reworded since), after its old place; None while
    neither is known."""
    if key is None:
        return hits
    for index, hit in enumerate(hits):
        if hit.posting.id == key.id:
            return hits[index + 1 :]
    return [hit for hit in hits if key.before(hit)] if exhausted else None


def _key(cursor: str) -> HitKey:
    try:
        score, first_seen, posting_id, shown = decode_cursor(cursor, "search")
        moment = datetime.fromisoformat(first_seen)
        if type(score) not in (int, float) or moment.tzinfo is None:
            raise NotOurs
        return HitKey(float(score), moment, cursor_id(posting_id), cursor_id(shown))
    except (NotOurs, TypeError, ValueError):
        raise BadRequest("cursor: not one this API gave") from None
