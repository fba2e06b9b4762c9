"""BambooHR careers site: `GET https://{tenant}.bamboohr.com/careers/list` → `{meta: {totalCount},
result: [...]}` without the ad's text, and `GET /careers/{id}/detail` → `result.jobOpening` per
job, with its text, pay (as words), share link and posting date."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from crawler.extract.common import join_parts, read_each, text_or_none, unescape_html
from crawler.items import ExtractResult, RawPosting

# `locationType`; `isRemote` is mostly null and is only trusted when true.
WORKPLACES = {"0": "onsite", "1": "remote", "2": "hybrid"}


@dataclass
class ListingPage:
    """The careers list: its jobs as listed, and the total the board reports (None: not said)."""

    result: ExtractResult = field(default_factory=ExtractResult)
    total: int | None = None


def extract_bamboohr_list(payload: Any, company: str | None = None, site: str | None = None) -> ListingPage:
    """Jobs as the careers list gives them (no text), linked to their pages on `site` (the
    careers host, e.g. https://acme.bamboohr.com)."""
    jobs = payload.get("result") if isinstance(payload, dict) else None
    if not isinstance(jobs, list):
        raise ValueError("BambooHR careers list has no 'result' list")
    meta = payload.get("meta")
    total = meta.get("totalCount") if isinstance(meta, dict) else None
    page = ListingPage(total=total if isinstance(total, int) and not isinstance(total, bool) else None)
    page.result.postings += read_each(
        jobs, page.result, "result", lambda _, job, job_id, title: _listed(job, job_id, title, company, site),
        title_key="jobOpeningName",
    )  # fmt: skip
    return page


def extract_bamboohr_detail(payload: Any, listed: RawPosting) -> RawPosting:
    """The listed job completed by its detail: text, pay, link, posting date and its full place."""
    result = payload.get("result") if isinstance(payload, dict) else None
    opening = result.get("jobOpening") if isinstance(result, dict) else None
    if not isinstance(opening, dict):
        raise ValueError("BambooHR job detail has no 'result.jobOpening'")
    return replace(
        listed,
        title=text_or_none(opening.get("jobOpeningName")) or listed.title,
        url=text_or_none(opening.get("jobOpeningShareUrl")) or listed.url,
        locations=_places(opening) or listed.locations,
        department=text_or_none(opening.get("departmentLabel")) or listed.department,
        employment_type=text_or_none(opening.get("employmentStatusLabel")) or listed.employment_type,
        workplace=_workplace(opening) or listed.workplace,
        description_html=unescape_html(opening.get("description")),
        # Pay is words such as "£50,000–£60,000/ OTE: £100,000–£120,000": normalization reads them.
        salary_text=text_or_none(opening.get("compensation")),
        posted_at=text_or_none(opening.get("datePosted")),
    )


def _listed(
    job: dict[str, Any], job_id: str, title: str, company: str | None, site: str | None
) -> RawPosting:
    return RawPosting(
        external_id=job_id,
        title=title,
        url=f"{site.rstrip('/')}/careers/{job_id}" if site else None,
        company=company,
        locations=_places(job),
        department=text_or_none(job.get("departmentLabel")),
        employment_type=text_or_none(job.get("employmentStatusLabel")),
        workplace=_workplace(job),
    )


def _places(job: dict[str, Any]) -> list[str]:
    """The office (`location`), else the place set for the job (`atsLocation`, often a remote
    job's country): "Chicago, Illinois", "Bangalore, India"."""
    location, ats = job.get("location"), job.get("atsLocation")
    found = []
    if isinstance(location, dict):
        found.append(_place(location.get("city"), location.get("state"), location.get("addressCountry")))
    if isinstance(ats, dict):
        found.append(_place(ats.get("city"), ats.get("state") or ats.get("province"), ats.get("country")))
    return [place for place in dict.fromkeys(found) if place][:1]


def _place(*parts: Any) -> str | None:
    return join_parts(*dict.fromkeys(map(text_or_none, parts)))


def _workplace(job: dict[str, Any]) -> str | None:
    if job.get("isRemote") is True:
        return "remote"
    return WORKPLACES.get(text_or_none(job.get("locationType")) or "")
