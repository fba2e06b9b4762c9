"""Workable: the widget API `{name, jobs: [...]}` and the v3 jobs API `{total, results: [...]}`."""

from __future__ import annotations

from typing import Any

from crawler.extract.common import read_each, text_or_none, unescape_html
from crawler.items import ExtractResult, RawPosting

# Workable's own short link for a job; the v3 API gives only the shortcode.
SHORT_LINK = "https://apply.workable.com/j/{shortcode}"


def extract_workable(payload: Any, company: str | None = None, limit: int | None = None) -> ExtractResult:
    """Postings from either Workable shape; jobs without shortcode or title are dropped.

    The widget lists a job once per location, so repeated shortcodes are merged into one posting.
    At most `limit` postings are read.
    """
    if isinstance(payload, dict) and isinstance(payload.get("jobs"), list):
        key, jobs = "jobs", payload["jobs"]
        company = text_or_none(payload.get("name")) or company
    elif isinstance(payload, dict) and isinstance(payload.get("results"), list):
        key, jobs = "results", payload["results"]
    else:
        raise ValueError("Workable payload has neither a 'jobs' nor a 'results' list")
    result = ExtractResult()
    by_shortcode: dict[str, RawPosting] = {}
    build = lambda _, job, external_id, title: _posting(job, external_id, title, company)  # noqa: E731
    for posting in read_each(jobs, result, key, build, id_key="shortcode"):
        if posting.external_id in by_shortcode:
            seen = by_shortcode[posting.external_id]
            seen.locations.extend(place for place in posting.locations if place not in seen.locations)
            continue
        by_shortcode[posting.external_id] = posting
        result.postings.append(posting)
        if len(result.postings) == limit:
            break
    total = payload.get("total")
    # A v3 page with `nextPage` is one of several; without it, `total` must match what came.
    if isinstance(total, int) and total > len(jobs) and not payload.get("nextPage"):
        result.incomplete_reason = f"board reports {total} jobs but listed {len(jobs)}"
    return result


def _posting(job: dict[str, Any], external_id: str, title: str, company: str | None) -> RawPosting:
    return RawPosting(
        external_id=external_id,
        title=title,
        url=text_or_none(job.get("url"))
        or text_or_none(job.get("shortlink"))
        or SHORT_LINK.format(shortcode=external_id),
        company=company,
        locations=_locations(job),
        department=_department(job.get("department")),
        employment_type=text_or_none(job.get("employment_type")) or text_or_none(job.get("type")),
        workplace=_workplace(job),
        description_html=unescape_html(text_or_none(job.get("description"))),
        posted_at=text_or_none(job.get("published_on"))
        or text_or_none(job.get("published"))
        or text_or_none(job.get("created_at")),
    )


def _locations(job: dict[str, Any]) -> list[str]:
    places = [
        place for place in job.get("locations") or [] if isinstance(place, dict) and not place.get("hidden")
    ]
    found = [_place(place.get("city"), place.get("region"), place.get("country")) for place in places]
    if not any(found):
        # v3 repeats the first place as `location`; the widget has flat city/state/country.
        flat: dict[str, Any] = job["location"] if isinstance(job.get("location"), dict) else job
        found = [_place(flat.get("city"), flat.get("state") or flat.get("region"), flat.get("country"))]
    return list(dict.fromkeys(location for location in found if location))


def _place(*parts: Any) -> str | None:
    names = [text for text in map(text_or_none, parts) if text]
    return ", ".join(dict.fromkeys(names)) or None


def _department(value: Any) -> str | None:
    # v3 sends a list of department names, the widget a single string.
    if isinstance(value, list):
        return next((text for text in map(text_or_none, value) if text), None)
    return text_or_none(value)


def _workplace(job: dict[str, Any]) -> str | None:
    """v3 `workplace` ("on_site", "hybrid", "remote") wins; the widget has only `telecommuting`."""
    kind = text_or_none(job.get("workplace"))
    if kind:
        return kind.lower().replace("_", "")
    if job.get("telecommuting") is True or job.get("remote") is True:
        return "remote"
    return None
