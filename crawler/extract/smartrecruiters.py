"""SmartRecruiters public postings API: a paged list (`/v1/companies/{co}/postings`) whose items
lack the ad's text, and one detail (`.../postings/{id}`) per posting that carries it."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from crawler.extract.common import DATA_ERRORS, join_parts, label, text_or_none, unescape_html, unreadable
from crawler.items import ExtractResult, RawPosting

# The order SmartRecruiters' own career pages show the ad's sections in.
SECTIONS = ("companyDescription", "jobDescription", "qualifications", "additionalInformation")


@dataclass
class ListingPage:
    """One page of the postings list: what it holds and where the next page starts."""

    result: ExtractResult = field(default_factory=ExtractResult)
    offset: int = 0
    total: int = 0
    next_offset: int | None = None


def extract_smartrecruiters_list(payload: Any, company: str | None = None) -> ListingPage:
    """Postings (without description) from one list page, and the offset of the next page."""
    content = payload.get("content") if isinstance(payload, dict) else None
    total = payload.get("totalFound") if isinstance(payload, dict) else None
    if not isinstance(content, list) or not isinstance(total, int):
        raise ValueError("SmartRecruiters list payload has no 'content' list or 'totalFound'")
    offset = payload.get("offset") if isinstance(payload.get("offset"), int) else 0
    page = ListingPage(offset=offset, total=total)
    for index, item in enumerate(content):
        if not isinstance(item, dict):
            page.result.dropped.append(f"content[{index}]: not an object")
            continue
        try:
            posting = smartrecruiters_posting(item, company)
        except DATA_ERRORS as error:  # this job alone is left out
            if external_id := text_or_none(item.get("id")):
                page.result.unreadable[external_id] = unreadable(f"content[{index}]", external_id, error)
            else:
                page.result.dropped.append(f"content[{index}]: unreadable and without id")
            continue
        if posting is None:
            page.result.dropped.append(f"content[{index}]: missing id or name")
            continue
        page.result.postings.append(posting)
    end = offset + len(content)
    if end < total:
        if content:
            page.next_offset = end
        else:
            # An empty page before the end: the list shrank while paging, or the board misreports.
            page.result.incomplete_reason = f"list page at offset {offset} is empty but totalFound is {total}"
    return page


def extract_smartrecruiters_detail(payload: Any, company: str | None = None) -> RawPosting:
    """The full posting from a detail payload; raises ValueError when it has no id or name."""
    posting = smartrecruiters_posting(payload, company) if isinstance(payload, dict) else None
    if posting is None:
        raise ValueError("SmartRecruiters posting payload has no 'id' or 'name'")
    return posting


def smartrecruiters_posting(item: dict[str, Any], company: str | None = None) -> RawPosting | None:
    """A list item or a detail object as a RawPosting; the detail adds URL and description."""
    external_id, title = text_or_none(item.get("id")), text_or_none(item.get("name"))
    if external_id is None or title is None:
        return None
    location = item.get("location")
    if not isinstance(location, dict):
        location = {}
    return RawPosting(
        external_id=external_id,
        title=title,
        url=text_or_none(item.get("postingUrl")),
        company=label(item.get("company"), "name") or company,
        locations=_locations(location),
        department=label(item.get("department")) or label(item.get("function")),
        employment_type=label(item.get("typeOfEmployment")),
        workplace=_workplace(location),
        description_html=_description(item.get("jobAd")),
        posted_at=text_or_none(item.get("releasedDate")),
    )


def _locations(location: dict[str, Any]) -> list[str]:
    full = text_or_none(location.get("fullLocation"))
    # "Szczecin, , Poland": the list API leaves an empty slot for a missing region.
    parts = full.split(",") if full else [location.get(key) for key in ("city", "region", "country")]
    joined = join_parts(*parts)
    return [joined] if joined else []


def _workplace(location: dict[str, Any]) -> str | None:
    # Both flags default to false on ads that never set them, so false is not evidence of
    # on-site work: leave that case to the description.
    if location.get("remote") is True:
        return "remote"
    if location.get("hybrid") is True:
        return "hybrid"
    return None


def _description(job_ad: Any) -> str | None:
    sections = job_ad.get("sections") if isinstance(job_ad, dict) else None
    if not isinstance(sections, dict):
        return None
    parts: list[str] = []
    for key in SECTIONS:
        section = sections.get(key)
        text = unescape_html(text_or_none(section.get("text"))) if isinstance(section, dict) else None
        if text:
            heading = text_or_none(section.get("title")) if isinstance(section, dict) else None
            parts.append(f"<h2>{html.escape(heading)}</h2>\n{text}" if heading else text)
    return "\n".join(parts) or None
