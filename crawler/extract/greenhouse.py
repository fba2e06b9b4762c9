"""Greenhouse job board API: `GET /v1/boards/{board}/jobs?content=true`."""

from __future__ import annotations

from itertools import islice
from typing import Any

from crawler.extract.common import label, names, read_each, text_or_none, unescape_html
from crawler.items import ExtractResult, RawPosting
from pipeline.normalize import is_placeholder


def extract_greenhouse(payload: Any, company: str | None = None, limit: int | None = None) -> ExtractResult:
    """Postings from a Greenhouse board listing; jobs without id or title are dropped. At most
    `limit` postings are read: a crawl reads no further than its cap."""
    result = ExtractResult()
    jobs = payload.get("jobs") if isinstance(payload, dict) else None
    if not isinstance(jobs, list):
        raise ValueError("Greenhouse payload has no 'jobs' list")
    read = read_each(
        jobs, result, "jobs", lambda _, job, external_id, title: _posting(job, external_id, title, company)
    )
    result.postings += islice(read, limit)
    total = (payload.get("meta") or {}).get("total")
    if isinstance(total, int) and total > len(jobs):
        result.incomplete_reason = f"board reports {total} jobs but listed {len(jobs)}"
    return result


def _posting(job: dict[str, Any], external_id: str, title: str, company: str | None) -> RawPosting:
    location = label(job.get("location"), "name")
    # "N/A" as the location while `offices` names the real places (Stripe does this).
    places = [location] if location and not is_placeholder(location) else names(job.get("offices"))
    metadata = {
        str(item.get("name", "")).lower(): item.get("value")
        for item in job.get("metadata") or []
        if isinstance(item, dict)
    }
    return RawPosting(
        external_id=external_id,
        title=title,
        url=text_or_none(job.get("absolute_url")),
        company=text_or_none(job.get("company_name")) or company,
        locations=places,
        department=next(iter(names(job.get("departments"))), None),
        employment_type=text_or_none(metadata.get("employment type")),
        workplace=text_or_none(metadata.get("location type") or metadata.get("workplace type")),
        description_html=unescape_html(job.get("content")),
        salary=_pay_range(job.get("pay_input_ranges")),
        posted_at=text_or_none(job.get("first_published")),
        updated_at=text_or_none(job.get("updated_at")),
    )


def _pay_range(ranges: Any) -> dict[str, Any] | None:
    """Greenhouse pay transparency ranges are in cents."""
    if not isinstance(ranges, list) or not ranges or not isinstance(ranges[0], dict):
        return None
    first = ranges[0]
    try:
        return {
            "min": int(first["min_cents"]) / 100,
            "max": int(first["max_cents"]) / 100,
            "currency": first.get("currency_type"),
            "period": "year",
        }
    except (KeyError, TypeError, ValueError, OverflowError):  # a figure such as 1e400 is none
        return None
