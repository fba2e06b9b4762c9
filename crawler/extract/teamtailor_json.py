"""Teamtailor's JSON Feed: `GET https://{company}.teamtailor.com/jobs.json`, JSON Feed 1.1 whose
items carry a schema.org JobPosting (`_jobposting`). It gives less than the RSS feed (no
department, no remote status, no pay), so the board reads the RSS; this reads the same job
under the same id (the item's `id` is the RSS `guid`)."""

from __future__ import annotations

from itertools import islice
from typing import Any

from crawler.extract.common import join_parts, label, read_each, text_or_none, unescape_html
from crawler.items import ExtractResult, RawPosting


def extract_teamtailor_json(
    payload: Any, company: str | None = None, limit: int | None = None
) -> ExtractResult:
    """Postings from a JSON Feed (at most `limit`); items without an id or title are dropped.
    ValueError when the payload is no JSON Feed."""
    if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
        raise ValueError("Teamtailor payload is not a JSON Feed with items")
    # The feed is titled with the company's name (with a trailing space at times).
    company = text_or_none(payload.get("title")) or company
    result = ExtractResult()
    read = read_each(
        payload["items"],
        result,
        "items",
        lambda _, item, item_id, title: _posting(item, item_id, title, company),
    )
    result.postings += islice(read, limit)
    return result


def _posting(item: dict[str, Any], item_id: str, title: str, company: str | None) -> RawPosting:
    job = item.get("_jobposting")
    job = job if isinstance(job, dict) else {}
    return RawPosting(
        external_id=item_id,
        title=title,
        url=text_or_none(item.get("url")),
        company=company or label(job.get("hiringOrganization"), "name"),
        locations=_places(job.get("jobLocation")),
        # The item's own HTML first; feeds that leave it out still have the JobPosting's.
        description_html=unescape_html(item.get("content_html")) or unescape_html(job.get("description")),
        posted_at=text_or_none(item.get("date_published")) or text_or_none(job.get("datePosted")),
    )


def _places(places: Any) -> list[str]:
    """ "Locality, Country" of each Place. Teamtailor's `addressRegion` is left out where there
    is a locality: it is a continent ("Europe") or the country again as often as a region."""
    found = []
    for place in places if isinstance(places, list) else [places]:
        address = place.get("address") if isinstance(place, dict) else None
        if not isinstance(address, dict):
            continue
        locality = text_or_none(address.get("addressLocality"))
        region = None if locality else address.get("addressRegion")
        found.append(join_parts(locality, region, address.get("addressCountry")))
    return list(dict.fromkeys(place for place in found if place))
