"""Ashby posting API: `GET /posting-api/job-board/{board}?includeCompensation=true`, one payload."""

from __future__ import annotations

import re
from itertools import islice
from typing import Any

from crawler.extract.common import read_each, text_or_none, unescape_html
from crawler.items import ExtractResult, RawPosting

# Ashby writes pay intervals as "1 YEAR", "1 HOUR", ...
_INTERVAL = re.compile(r"^1 (HOUR|DAY|WEEK|MONTH|YEAR)$", re.IGNORECASE)


def extract_ashby(payload: Any, company: str | None = None, limit: int | None = None) -> ExtractResult:
    """Postings from an Ashby job board; jobs without id or title, or unlisted, are dropped. At
    most `limit` postings are read."""
    jobs = payload.get("jobs") if isinstance(payload, dict) else None
    if not isinstance(jobs, list):
        raise ValueError("Ashby payload has no 'jobs' list")
    result = ExtractResult()

    def build(index: int, job: dict[str, Any], external_id: str, title: str) -> RawPosting | None:
        # Unlisted jobs are reachable only by direct link; the public board does not show them.
        if job.get("isListed") is False:
            result.dropped.append(f"jobs[{index}]: {external_id} is unlisted")
            return None
        return _posting(job, external_id, title, company)

    result.postings += islice(read_each(jobs, result, "jobs", build), limit)
    return result


def _posting(job: dict[str, Any], external_id: str, title: str, company: str | None) -> RawPosting:
    compensation: dict[str, Any] = job["compensation"] if isinstance(job.get("compensation"), dict) else {}
    return RawPosting(
        external_id=external_id,
        title=title,
        url=text_or_none(job.get("jobUrl")) or text_or_none(job.get("applyUrl")),
        company=company,
        locations=_locations(job),
        department=text_or_none(job.get("department")) or text_or_none(job.get("team")),
        employment_type=text_or_none(job.get("employmentType")),
        workplace=_workplace(job),
        description_html=unescape_html(text_or_none(job.get("descriptionHtml"))),
        description_text=text_or_none(job.get("descriptionPlain")),
        salary=_salary(compensation),
        salary_text=text_or_none(compensation.get("compensationTierSummary"))
        or text_or_none(compensation.get("scrapeableCompensationSalarySummary")),
        posted_at=text_or_none(job.get("publishedAt")),
        updated_at=text_or_none(job.get("updatedAt")),
    )


def _locations(job: dict[str, Any]) -> list[str]:
    found = [text_or_none(job.get("location"))]
    for secondary in job.get("secondaryLocations") or []:
        if isinstance(secondary, dict):
            found.append(text_or_none(secondary.get("location")))
    return list(dict.fromkeys(location for location in found if location))


def _workplace(job: dict[str, Any]) -> str | None:
    """`workplaceType` ("OnSite", "Hybrid", "Remote") wins; older boards only set `isRemote`."""
    kind = text_or_none(job.get("workplaceType"))
    if kind:
        return kind.lower()
    return "remote" if job.get("isRemote") is True else None


def _salary(compensation: dict[str, Any]) -> dict[str, Any] | None:
    """The salary range across all tiers (tiers are often zones: one currency, several ranges)."""
    components = [
        component
        for tier in compensation.get("compensationTiers") or []
        if isinstance(tier, dict)
        for component in tier.get("components") or []
    ] or list(compensation.get("summaryComponents") or [])
    salaries = [
        component
        for component in components
        if isinstance(component, dict)
        and component.get("compensationType") == "Salary"
        and _INTERVAL.match(str(component.get("interval") or ""))
    ]
    if not salaries:
        return None
    first = salaries[0]
    # Only ranges in the first range's currency and interval can be merged into one.
    same = [
        s
        for s in salaries
        if s.get("currencyCode") == first.get("currencyCode") and s.get("interval") == first.get("interval")
    ]
    lows = [s["minValue"] for s in same if isinstance(s.get("minValue"), int | float)]
    highs = [s["maxValue"] for s in same if isinstance(s.get("maxValue"), int | float)]
    if not lows and not highs:
        return None
    period = _INTERVAL.match(str(first.get("interval")))
    return {
        "min": min(lows) if lows else None,
        "max": max(highs) if highs else None,
        "currency": text_or_none(first.get("currencyCode")),
        "period": period.group(1).lower() if period else None,
    }
