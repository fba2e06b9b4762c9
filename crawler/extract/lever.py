"""Lever postings API: `GET /v0/postings/{site}?mode=json` answers a bare JSON array."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from crawler.extract.common import read_each, text_or_none, unescape_html
from crawler.items import ExtractResult, RawPosting

# Lever names pay intervals like "per-year-salary" or "per-hour-wage".
_INTERVAL = re.compile(r"^per-(hour|day|week|month|year)\b")


def extract_lever(payload: Any, company: str | None = None, limit: int | None = None) -> ExtractResult:
    """Postings from a Lever site listing; postings without id or title (`text`) are dropped. At
    most `limit` postings are read."""
    if not isinstance(payload, list):
        # An unknown site answers {"ok": false, "error": "Document not found"}.
        error = payload.get("error") if isinstance(payload, dict) else None
        raise ValueError(f"Lever payload is not a list of postings{f' ({error})' if error else ''}")
    result = ExtractResult()
    read = read_each(
        payload,
        result,
        "",
        lambda _, job, external_id, title: _posting(job, external_id, title, company),
        title_key="text",
    )
    result.postings += islice(read, limit)
    return result


def _posting(job: dict[str, Any], external_id: str, title: str, company: str | None) -> RawPosting:
    categories: dict[str, Any] = job["categories"] if isinstance(job.get("categories"), dict) else {}
    return RawPosting(
        external_id=external_id,
        title=title,
        url=text_or_none(job.get("hostedUrl")) or text_or_none(job.get("applyUrl")),
        company=company,
        locations=_locations(categories),
        # `team` is the functional group ("Engineering"); `department` is often a brand ("Hinge").
        department=text_or_none(categories.get("team")) or text_or_none(categories.get("department")),
        employment_type=text_or_none(categories.get("commitment")),
        workplace=text_or_none(job.get("workplaceType")),
        description_html=_description_html(job),
        description_text=text_or_none(job.get("descriptionPlain")),
        salary=_salary(job.get("salaryRange")),
        salary_text=text_or_none(job.get("salaryDescriptionPlain")),
        posted_at=epoch_ms_to_iso(job.get("createdAt")),
        updated_at=epoch_ms_to_iso(job.get("updatedAt")),
    )


def _locations(categories: dict[str, Any]) -> list[str]:
    all_locations = categories.get("allLocations")
    if isinstance(all_locations, list):
        found = [text for text in map(text_or_none, all_locations) if text]
        if found:
            return found
    location = text_or_none(categories.get("location"))
    return [location] if location else []


def _description_html(job: dict[str, Any]) -> str | None:
    """The page as Lever shows it: description, then the titled lists, then `additional`.

    The lists hold requirements and responsibilities, which watch rules need to see.
    """
    parts = [job.get("description") or ""]
    for item in job.get("lists") or []:
        if isinstance(item, dict) and (item.get("text") or item.get("content")):
            heading = html.escape(str(item.get("text") or ""))
            parts.append(f"<h3>{heading}</h3><ul>{item.get('content') or ''}</ul>")
    parts.append(job.get("additional") or "")
    combined = "\n".join(part for part in parts if isinstance(part, str) and part.strip())
    return unescape_html(combined) if combined else None


def _salary(salary_range: Any) -> dict[str, Any] | None:
    if not isinstance(salary_range, dict):
        return None
    low, high = salary_range.get("min"), salary_range.get("max")
    interval = _INTERVAL.match(str(salary_range.get("interval") or ""))
    # A one-time or unknown interval is not comparable pay; the text may still say more.
    if (low is None and high is None) or interval is None:
        return None
    return {
        "min": low,
        "max": high,
        "currency": text_or_none(salary_range.get("currency")),
        "period": interval.group(1),
    }


def epoch_ms_to_iso(value: Any) -> str | None:
    """Lever timestamps are epoch milliseconds; keep them as ISO 8601 in UTC."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value / 1000, tz=UTC).isoformat(timespec="milliseconds")
