"""Workday CXS: paged `POST .../wday/cxs/{tenant}/{site}/jobs` listings, then one
`GET .../wday/cxs/{tenant}/{site}{externalPath}` detail (`jobPostingInfo`) per posting."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from crawler.extract.common import text_or_none, unescape_html
from crawler.items import RawPosting

PAGE_SIZE = 20  # Workday answers HTTP 400 to a larger `limit`
# Workday reports at most 2,000 matches and wraps offsets past that back to the first page.
TOTAL_CAP = 2000
# "3 Locations" stands for a list only the detail has.
_PLACEHOLDER_LOCATIONS = re.compile(r"^\d+\s+locations?$", re.IGNORECASE)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class ListedJob:
    """What the listing says about a posting; the detail says the rest."""

    external_path: str
    title: str | None = None
    locations_text: str | None = None
    posted_on: str | None = None
    remote_type: str | None = None
    time_type: str | None = None


@dataclass
class WorkdayPage:
    jobs: list[ListedJob] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    total: int = 0


def extract_workday_list(payload: Any) -> WorkdayPage:
    """The postings of one listing page, and the board's reported `total`."""
    postings = payload.get("jobPostings") if isinstance(payload, dict) else None
    if not isinstance(postings, list):
        raise ValueError("Workday payload has no 'jobPostings' list")
    total = payload.get("total")
    page = WorkdayPage(total=total if isinstance(total, int) else 0)
    for index, job in enumerate(postings):
        path = text_or_none(job.get("externalPath")) if isinstance(job, dict) else None
        if not isinstance(job, dict) or path is None:
            page.dropped.append(f"jobPostings[{index}]: no externalPath")
            continue
        page.jobs.append(
            ListedJob(
                external_path=path,
                title=text_or_none(job.get("title")),
                locations_text=text_or_none(job.get("locationsText")),
                posted_on=text_or_none(job.get("postedOn")),
                remote_type=_descriptor(job.get("remoteType")),
                time_type=_descriptor(job.get("timeType")),
            )
        )
    return page


def page_offsets(total: int) -> tuple[list[int], str | None]:
    """Offsets of every listing page after the first, and why the listing may be partial."""
    reachable = min(total, TOTAL_CAP)
    offsets = list(range(PAGE_SIZE, reachable, PAGE_SIZE))
    if total >= TOTAL_CAP:
        return offsets, f"board reports {total} jobs, Workday's cap; postings past it cannot be listed"
    return offsets, None


@dataclass(frozen=True)
class FacetValue:
    id: str
    count: int
    descriptor: str | None = None


@dataclass(frozen=True)
class FacetSplit:
    """A facet whose values cut a capped board into slices Workday lists whole."""

    parameter: str
    values: tuple[FacetValue, ...]
    # How many jobs the slices must list for the board to count as read whole: the largest
    # sum of any flat facet. A job missing from the chosen facet (untagged) would otherwise go
    # unnoticed and be closed; a facet whose jobs carry several values sums higher than the
    # board holds, which leaves the crawl incomplete (nothing closes) rather than wrong.
    expected: int = 0
    # Whether two flat facets count `expected` alike. With one alone, jobs it leaves untagged
    # could not be noticed, so the listing is not trusted to close postings.
    confirmed: bool = False

    @property
    def total(self) -> int:
        """Jobs the slices hold together; more than the board's distinct jobs when a job
        carries several values of the facet."""
        return sum(value.count for value in self.values)


def choose_facet_split(payload: Any, cap: int = TOTAL_CAP) -> FacetSplit | None:
    """The flat facet of an unfiltered listing page that splits the board into slices each
    under the cap, or None when none does.

    The fewest values wins (fewest slices to page), then the larger sum, then the name, so
    the choice does not depend on the order Workday sends facets in.
    """
    payload = payload if isinstance(payload, dict) else {}
    facets = payload.get("facets")
    total = payload.get("total")
    reported = total if isinstance(total, int) else 0
    flat = [split for facet in (facets if isinstance(facets, list) else []) if (split := _flat_facet(facet))]
    # A facet summing below the board's own total leaves some jobs out of every slice.
    candidates = [
        split
        for split in flat
        if all(value.count < cap for value in split.values) and split.total >= reported
    ]
    chosen = min(candidates, key=lambda s: (len(s.values), -s.total, s.parameter), default=None)
    if chosen is None:
        return None
    expected = max(split.total for split in flat)
    agreeing = sum(split.total == expected for split in flat)
    return replace(chosen, expected=expected, confirmed=agreeing >= 2)


def _flat_facet(facet: Any) -> FacetSplit | None:
    """A facet whose values are all `{id, count}`; groups nesting facets in `values` (such as
    `locationMainGroup`) are not one filter and give None."""
    if not isinstance(facet, dict):
        return None
    parameter = text_or_none(facet.get("facetParameter"))
    raw = facet.get("values")
    if parameter is None or not isinstance(raw, list) or not raw:
        return None
    values = []
    for value in raw:
        value_id = text_or_none(value.get("id")) if isinstance(value, dict) else None
        count = value.get("count") if isinstance(value, dict) else None
        if value_id is None or not isinstance(count, int) or isinstance(count, bool) or count < 0:
            return None
        if count:  # an empty slice lists nothing; skip its request
            values.append(FacetValue(value_id, count, text_or_none(value.get("descriptor"))))
    return FacetSplit(parameter, tuple(values)) if values else None


def extract_workday_detail(
    payload: Any, listed: ListedJob | None = None, company: str | None = None, site_url: str | None = None
) -> RawPosting:
    """The posting from a detail payload, with listing values filling its gaps."""
    info = payload.get("jobPostingInfo") if isinstance(payload, dict) else None
    if not isinstance(info, dict):
        raise ValueError("Workday detail has no 'jobPostingInfo'")
    listed = listed or ListedJob(external_path="")
    external_id = text_or_none(info.get("id")) or text_or_none(info.get("jobReqId"))
    title = text_or_none(info.get("title")) or listed.title
    if external_id is None or title is None:
        raise ValueError(f"Workday detail has no {'id' if external_id is None else 'title'}")
    organization = payload.get("hiringOrganization")
    url = text_or_none(info.get("externalUrl"))
    if url is None and site_url and listed.external_path:
        url = site_url.rstrip("/") + listed.external_path
    return RawPosting(
        external_id=external_id,
        title=title,
        url=url,
        company=(text_or_none(organization.get("name")) if isinstance(organization, dict) else None)
        or company,
        locations=_locations(info, listed),
        employment_type=_descriptor(info.get("timeType")) or listed.time_type,
        workplace=_descriptor(info.get("remoteType")) or listed.remote_type,
        description_html=unescape_html(text_or_none(info.get("jobDescription"))),
        posted_at=_posted_at(info, listed),
    )


def listed_posting(
    listed: ListedJob, company: str | None = None, site_url: str | None = None
) -> RawPosting | None:
    """The posting as its listing entry gives it, for when its detail cannot be had: title,
    place, link and posted text, stored under its path (`external_path`), since only the
    detail carries the job's id. None when the entry has no title."""
    if listed.title is None:
        return None
    return RawPosting(
        external_id=listed.external_path,
        title=listed.title,
        url=site_url.rstrip("/") + listed.external_path if site_url else None,
        company=company,
        locations=_listed_locations(listed),
        employment_type=listed.time_type,
        workplace=listed.remote_type,
        posted_at=listed.posted_on,
    )


def _locations(info: dict[str, Any], listed: ListedJob) -> list[str]:
    found = [text_or_none(info.get("location"))]
    extra = info.get("additionalLocations")
    found += [text_or_none(item) for item in extra] if isinstance(extra, list) else []
    return [location for location in found if location] or _listed_locations(listed)


def _listed_locations(listed: ListedJob) -> list[str]:
    text = listed.locations_text
    return [text] if text and not _PLACEHOLDER_LOCATIONS.match(text) else []


def _posted_at(info: dict[str, Any], listed: ListedJob) -> str | None:
    # `postedOn` is relative ("Posted Today", "Posted 30+ Days Ago"): kept only when no date is given.
    start = text_or_none(info.get("startDate"))
    if start and _ISO_DATE.match(start):
        return start
    return text_or_none(info.get("postedOn")) or listed.posted_on


def _descriptor(value: Any) -> str | None:
    """Workday sends some labels as text and some as `{"descriptor": ...}` objects."""
    if isinstance(value, dict):
        return text_or_none(value.get("descriptor"))
    return text_or_none(value)
