"""Rippling job boards: `GET …/board/{slug}/jobs` lists the jobs (a bare array, or pages of
`{items, page, totalPages, totalItems}`), and `GET …/board/{slug}/jobs/{uuid}` gives one job's
text, pay, employment type and creation date."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from crawler.extract.common import join_parts, label, read_each, text_or_none, unescape_html
from crawler.items import ExtractResult, RawPosting

# Rippling's workplace codes, as the paged list gives them per location.
_WORKPLACES = {"ON_SITE": "onsite", "REMOTE": "remote", "HYBRID": "hybrid"}
# Pay frequencies, as `pipeline.normalize` names periods.
_PERIODS = {"YEAR": "year", "ANNUAL": "year", "YEARLY": "year", "MONTH": "month", "WEEK": "week",
            "DAY": "day", "HOUR": "hour", "HOURLY": "hour"}  # fmt: skip


@dataclass
class RipplingList:
    """One list response: its jobs, and where paging goes on (None: the list is read)."""

    result: ExtractResult = field(default_factory=ExtractResult)
    next_page: int | None = None


def extract_rippling_list(payload: Any, company: str | None = None) -> RipplingList:
    """Jobs as the list gives them (no text). A job listed once per location, as the paged
    list does, is one job with every location."""
    if isinstance(payload, list):
        rows, page = payload, RipplingList()
    elif isinstance(payload, dict) and isinstance(payload.get("items"), list):
        rows, page = payload["items"], _paging(payload)
    else:
        raise ValueError("Rippling payload is neither a list of jobs nor a page of 'items'")
    # The bare list names a job by `uuid`, the paged one by `id`.
    rows = [
        {**item, "id": item["uuid"]} if isinstance(item, dict) and "uuid" in item else item for item in rows
    ]
    jobs: dict[str, RawPosting] = {}

    def build(_: int, job: dict[str, Any], job_id: str, title: str) -> RawPosting:
        return _listed(job, job_id, title, company)

    for posting in read_each(rows, page.result, "jobs", build, title_key="name"):
        known = jobs.get(posting.external_id)
        jobs[posting.external_id] = _merged(known, posting) if known else posting
    page.result.postings = list(jobs.values())
    return page


def _paging(payload: dict[str, Any]) -> RipplingList:
    page, pages = payload.get("page"), payload.get("totalPages")
    if not isinstance(page, int) or not isinstance(pages, int):
        raise ValueError("Rippling page has no 'page' and 'totalPages'")
    listing = RipplingList(next_page=page + 1 if page + 1 < pages else None)
    if not payload["items"] and page + 1 < pages:
        listing.result.incomplete_reason = f"list page {page} is empty but totalPages is {pages}"
        listing.next_page = None
    return listing


def _listed(job: dict[str, Any], job_id: str, title: str, company: str | None) -> RawPosting:
    places = [place for place in job.get("locations") or [] if isinstance(place, dict)]
    locations = [text_or_none(place.get("name")) or join_parts(place.get("city"), place.get("country"))
                 for place in places]  # fmt: skip
    locations.append(label(job.get("workLocation")))
    kinds = [_WORKPLACES.get(str(place.get("workplaceType"))) for place in places]
    return RawPosting(
        external_id=job_id,
        title=title,
        url=text_or_none(job.get("url")),
        company=company,
        locations=list(dict.fromkeys(place for place in locations if place)),
        department=label(job.get("department")) or label(job.get("department"), "name"),
        workplace=", ".join(dict.fromkeys(kind for kind in kinds if kind)) or None,
    )


def _merged(known: RawPosting, again: RawPosting) -> RawPosting:
    kinds = [kind for posting in (known, again) for kind in (posting.workplace or "").split(", ") if kind]
    return replace(
        known,
        locations=list(dict.fromkeys([*known.locations, *again.locations])),
        workplace=", ".join(dict.fromkeys(kinds)) or None,
    )


def extract_rippling_detail(payload: Any, listed: RawPosting) -> RawPosting:
    """The listed job completed by its detail: text, pay, employment type, creation date, and
    the company's name and places as the detail gives them."""
    if not isinstance(payload, dict) or text_or_none(payload.get("name")) is None:
        raise ValueError("Rippling job detail has no 'name'")
    places = [text_or_none(place) for place in payload.get("workLocations") or []]
    department = payload.get("department")
    return replace(
        listed,
        title=text_or_none(payload.get("name")) or listed.title,
        company=text_or_none(payload.get("companyName")) or listed.company,
        locations=list(dict.fromkeys(place for place in places if place)) or listed.locations,
        # The list's department is the board's top level; the detail's own comes after it.
        department=listed.department or label(department, "base_department") or label(department, "name"),
        # `id` holds the words ("Salaried, full-time"), `label` the code (SALARIED_FT).
        employment_type=_employment_type(payload.get("employmentType")),
        workplace=listed.workplace or _workplace_of_pay(payload.get("payRangeDetails")),
        description_html=_description(payload.get("description")),
        salary=_salary(payload.get("payRangeDetails")),
        posted_at=text_or_none(payload.get("createdOn")),
    )


def _employment_type(value: Any) -> str | None:
    if isinstance(value, dict):
        return label(value, "id") or label(value)
    return text_or_none(value)


def _description(value: Any) -> str | None:
    """The ad's HTML sections, the role first, then the company's own words."""
    if isinstance(value, dict):
        sections = [value.get("role"), *(v for k, v in value.items() if k not in ("role", "company")),
                    value.get("company")]  # fmt: skip
        found = [text for text in map(unescape_html, sections) if text and text.strip()]
        return "\n".join(found) or None
    return unescape_html(value)


def _salary(ranges: Any) -> dict[str, Any] | None:
    """One range over every band in the first band's currency and frequency (Rippling gives
    one per location or level)."""
    bands = [
        band
        for band in ranges or []
        if isinstance(band, dict) and _number(band.get("rangeStart")) is not None
    ]
    if not bands:
        return None
    unit = (bands[0].get("currency"), bands[0].get("frequency"))
    same = [band for band in bands if (band.get("currency"), band.get("frequency")) == unit]
    lows = [low for band in same if (low := _number(band.get("rangeStart"))) is not None]
    highs = [high for band in same if (high := _number(band.get("rangeEnd"))) is not None]
    return {
        "min": min(lows),
        "max": max(highs) if highs else None,
        "currency": text_or_none(unit[0]),
        "period": _PERIODS.get(str(unit[1]).upper()),
    }


def _workplace_of_pay(ranges: Any) -> str | None:
    """Pay bands flag the remote ones; the list's workplace, when it has one, says more."""
    bands = [band for band in ranges or [] if isinstance(band, dict)]
    return "remote" if bands and all(band.get("isRemote") is True for band in bands) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        return None
