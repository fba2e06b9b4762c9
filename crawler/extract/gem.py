"""Gem job boards: `GET https://api.gem.com/job_board/v0/{board}/job_posts/`, every post in
one array, no paging."""

from __future__ import annotations

from itertools import islice
from typing import Any

from crawler.extract.common import label, names, read_each, text_or_none, unescape_html
from crawler.items import ExtractResult, RawPosting

# Gem's `location_type`, as `pipeline.workplace` reads workplaces.
_WORKPLACES = {"in_office": "onsite", "hybrid": "hybrid", "remote": "remote"}


def extract_gem(payload: Any, company: str | None = None, limit: int | None = None) -> ExtractResult:
    """Postings from a Gem board's job posts; posts without id or title are dropped. At most
    `limit` postings are read."""
    if not isinstance(payload, list):
        raise ValueError("Gem payload is not a list of job posts")
    result = ExtractResult()
    read = read_each(
        payload, result, "job_posts", lambda _, post, post_id, title: _posting(post, post_id, title, company)
    )
    result.postings += islice(read, limit)
    return result


def _posting(post: dict[str, Any], external_id: str, title: str, company: str | None) -> RawPosting:
    location_type = text_or_none(post.get("location_type"))
    return RawPosting(
        external_id=external_id,
        title=title,
        url=text_or_none(post.get("absolute_url")),
        company=company,
        locations=_locations(post),
        department=", ".join(names(post.get("departments"))) or None,
        employment_type=text_or_none(post.get("employment_type")),
        workplace=_WORKPLACES.get(location_type, location_type) if location_type else None,
        description_html=unescape_html(post.get("content")),
        # Gem's plain text of the same ad, for a post whose HTML is missing.
        description_text=None
        if text_or_none(post.get("content"))
        else text_or_none(post.get("content_plain")),
        posted_at=text_or_none(post.get("first_published_at")) or text_or_none(post.get("created_at")),
        updated_at=text_or_none(post.get("updated_at")),
    )


def _locations(post: dict[str, Any]) -> list[str]:
    """Every office's place; an office whose place is blank by its name ("Miami, FL"), and the
    post's own `location` when it names no office."""
    offices = [office for office in post.get("offices") or [] if isinstance(office, dict)]
    found = [label(office.get("location"), "name") or text_or_none(office.get("name")) for office in offices]
    if not any(found):
        found = [label(post.get("location"), "name")]
    return list(dict.fromkeys(place for place in found if place))
