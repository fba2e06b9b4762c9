"""SAP SuccessFactors (Recruiting Marketing) job feeds on the company's careers host: the
`googlefeed.xml` Google-jobs feed (RSS 2.0 with a `g:` namespace: id, location, employer, job
function) and the plain RSS of the site's `/feeds/` searches. Both carry each job's whole
description; neither has pay or a workplace field. A place is often only a title suffix such
as "Principal Scientist (Richardson, TX, US, 75080)"."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime
from itertools import islice
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from crawler.extract.common import read_each, text_or_none, unescape_html
from crawler.extract.xmlfeed import child_text, parse_xml
from crawler.items import ExtractResult, RawPosting

NAMESPACES = {"g": "http://base.google.com/ns/1.0"}
_FIELDS = ("title", "link", "guid", "description", "pubDate", "g:id", "g:location", "g:employer",
           "g:job_function", "g:job_type")  # fmt: skip
# The numeric requisition at the end of a job page's path: /job/{slug}/{id}/
_JOB_ID = re.compile(r"/job/.+/(\d+)/?$")
# "(City, ST, CC, 75080)": a parenthesized list naming a two-letter country or state code.
_PLACE_SUFFIX = re.compile(r"\s*\((?P<place>[^()]*,[^()]*)\)\s*$")
_CODE = re.compile(r"^[A-Z]{2}$")
# Job functions some tenants fill with the name of an internal form, not a department.
_NOT_A_DEPARTMENT = re.compile(r"^ATS_[A-Z0-9_]+$")


def extract_successfactors(
    payload: bytes, company: str | None = None, limit: int | None = None
) -> ExtractResult:
    """Postings from one feed (at most `limit`); items with neither id nor link, or without a
    title, are dropped. ValueError when the body is no RSS feed."""
    channel = parse_xml(payload).find("channel")
    if channel is None:
        raise ValueError("SuccessFactors feed has no RSS <channel>")
    items = [_fields(item) for item in channel.iterfind("item")]
    result = ExtractResult()
    read = read_each(
        items, result, "item", lambda _, item, job_id, title: _posting(item, job_id, title, company)
    )
    result.postings += islice(read, limit)
    return result


def _fields(item: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {name: child_text(item, name, NAMESPACES) for name in _FIELDS}
    fields["id"] = fields["g:id"] or _job_id(fields["link"]) or fields["guid"] or fields["link"]
    return fields


def _job_id(link: str | None) -> str | None:
    match = _JOB_ID.search(urlsplit(link).path) if link else None
    return match[1] if match else None


def _posting(item: dict[str, Any], job_id: str, title: str, company: str | None) -> RawPosting:
    bare_title, suffix = split_place(title)
    place = _place(item["g:location"]) or suffix
    function = item["g:job_function"]
    return RawPosting(
        external_id=job_id,
        title=bare_title,
        url=_page(item["link"]),
        company=item["g:employer"] or company,
        locations=[place] if place else [],
        department=None if function is None or _NOT_A_DEPARTMENT.match(function) else function,
        employment_type=item["g:job_type"],
        description_html=unescape_html(item["description"]),
        posted_at=_rfc822(item["pubDate"]),
    )


def split_place(title: str) -> tuple[str, str | None]:
    """The title without a place suffix, and the place ("Richardson, TX, US"); a parenthesis
    that names no place ("(Backend, Platform)", "(m/w/d)") stays in the title."""
    match = _PLACE_SUFFIX.search(title)
    if match is None or not title[: match.start()].strip():
        return title, None
    parts = [part.strip() for part in match["place"].split(",")]
    if not any(_CODE.match(part) for part in parts):
        return title, None
    return title[: match.start()].strip(), _place(match["place"])


def _place(value: str | None) -> str | None:
    """A place without its postal code ("Richardson, TX, US, 75080" -> "Richardson, TX, US")."""
    if value is None:
        return None
    parts = [part.strip() for part in value.split(",") if part.strip()]
    while len(parts) > 1 and any(character.isdigit() for character in parts[-1]):
        parts.pop()
    return ", ".join(parts) or None


def _page(link: str | None) -> str | None:
    """The job's page without the feed's query (`feedId`, tracking): the path names the job."""
    if link is None:
        return None
    parts = urlsplit(link)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")) if parts.netloc else link


def _rfc822(value: str | None) -> str | None:
    """ "Fri, 02 Oct 2026 7:00:00 GMT" as ISO 8601; anything else as the feed wrote it."""
    if value is None:
        return None
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError):
        return text_or_none(value)
