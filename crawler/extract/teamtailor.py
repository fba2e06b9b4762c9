"""Teamtailor's job feed: `GET https://{company}.teamtailor.com/jobs.rss?offset=N&per_page=100`,
RSS 2.0 with a `tt:` namespace for places, department and role. The feed carries each job's
whole description; it has no pay and no employment type."""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from itertools import islice
from typing import Any

from crawler.extract.common import join_parts, read_each, text_or_none, unescape_html
from crawler.extract.xmlfeed import child_text, parse_xml
from crawler.items import ExtractResult, RawPosting

NAMESPACES = {"tt": "https://teamtailor.com/locations"}

# `remoteStatus`: "temporary" (remote for now) says nothing lasting, so the text decides.
WORKPLACES = {"fully": "remote", "hybrid": "hybrid", "none": "onsite"}


def extract_teamtailor(feed: bytes, company: str | None = None, limit: int | None = None) -> ExtractResult:
    """Postings from one page of the RSS feed (at most `limit`); items without a guid or title
    are dropped. ValueError when the body is no RSS feed."""
    channel = parse_xml(feed).find("channel")
    if channel is None:
        raise ValueError("Teamtailor feed has no RSS <channel>")
    # The channel is titled with the company's name.
    company = child_text(channel, "title") or company
    items = [_fields(item) for item in channel.iterfind("item")]
    result = ExtractResult()
    read = read_each(items, result, "item", lambda _, item, guid, title: _posting(item, guid, title, company),
                     id_key="guid")  # fmt: skip
    result.postings += islice(read, limit)
    return result


def feed_items(result: ExtractResult) -> int:
    """How many items the page listed, read or not: what tells a full page from the last one."""
    return len(result.postings) + len(result.dropped) + len(result.unreadable)


def _fields(item: Any) -> dict[str, Any]:
    """An `<item>` as a dict of its texts, its places as a list of dicts."""
    fields: dict[str, Any] = {
        name: child_text(item, name, NAMESPACES)
        for name in ("title", "guid", "link", "pubDate", "description", "remoteStatus",
                     "tt:department", "tt:division")
    }  # fmt: skip
    fields["locations"] = [
        {name: child_text(place, f"tt:{name}", NAMESPACES) for name in ("name", "city", "country")}
        for place in item.iterfind("tt:locations/tt:location", NAMESPACES)
    ]
    return fields


def _posting(item: dict[str, Any], guid: str, title: str, company: str | None) -> RawPosting:
    status = (item["remoteStatus"] or "").lower()
    return RawPosting(
        external_id=guid,
        title=title,
        url=item["link"],
        company=company,
        locations=_places(item["locations"]),
        department=item["tt:department"] or item["tt:division"],
        workplace=WORKPLACES.get(status),
        description_html=unescape_html(item["description"]),
        posted_at=_rfc822(item["pubDate"]),
    )


def _places(locations: list[dict[str, str | None]]) -> list[str]:
    """ "City, Country" of each place; its name when it has no city (a region such as "EU")."""
    found = [join_parts(place["city"], place["country"]) or place["name"] for place in locations]
    return list(dict.fromkeys(place for place in found if place))


def _rfc822(value: str | None) -> str | None:
    """ "Fri, 04 Sep 2026 14:50:13 +0300" as ISO 8601; anything else as the feed wrote it."""
    if value is None:
        return None
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError):
        return text_or_none(value)
