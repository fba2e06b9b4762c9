"""Pinpoint's postings feed: `GET https://{company}.pinpointhq.com/postings.json` → `{"data": [...]}`,
every published posting in one payload with its whole ad and its pay. The feed names no
company and gives no posting date (only an application deadline)."""

from __future__ import annotations

import html
from itertools import islice
from typing import Any

from crawler.extract.common import join_parts, label, read_each, text_or_none, unescape_html
from crawler.items import ExtractResult, RawPosting

# The ad's parts in the order Pinpoint's own posting pages show them: (text, its heading).
SECTIONS = (
    ("description", None),
    ("key_responsibilities", "key_responsibilities_header"),
    ("skills_knowledge_expertise", "skills_knowledge_expertise_header"),
    ("benefits", "benefits_header"),
)
WORKPLACES = {"remote": "remote", "hybrid": "hybrid", "onsite": "onsite"}


def extract_pinpoint(payload: Any, company: str | None = None, limit: int | None = None) -> ExtractResult:
    """Postings from a Pinpoint postings payload (at most `limit`); postings without id or
    title are dropped."""
    postings = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(postings, list):
        raise ValueError("Pinpoint payload has no 'data' list")
    result = ExtractResult()
    read = read_each(
        postings, result, "data", lambda _, item, item_id, title: _posting(item, item_id, title, company)
    )
    result.postings += islice(read, limit)
    return result


def _posting(item: dict[str, Any], external_id: str, title: str, company: str | None) -> RawPosting:
    job = item.get("job")
    if not isinstance(job, dict):
        job = {}
    return RawPosting(
        external_id=external_id,
        title=title,
        url=text_or_none(item.get("url")),
        company=company,
        locations=_locations(item.get("location")),
        department=label(job.get("department"), "name") or label(job.get("division"), "name"),
        employment_type=text_or_none(item.get("employment_type_text"))
        or text_or_none(item.get("employment_type")),
        workplace=WORKPLACES.get(text_or_none(item.get("workplace_type")) or ""),
        description_html=_description(item),
        **_pay(item),
    )


def _locations(location: Any) -> list[str]:
    """ "Wilmington, NC" as named; "Remote" as a name is no place, so its city and province are."""
    if not isinstance(location, dict):
        return []
    name = text_or_none(location.get("name"))
    # "London, London": a city that is its own province is named once.
    place = join_parts(*dict.fromkeys(map(text_or_none, (location.get("city"), location.get("province")))))
    if name is None or name.lower() == "remote":
        return [place] if place else []
    return [name]


def _pay(item: dict[str, Any]) -> dict[str, Any]:
    """Structured pay, else the board's own wording of it; nothing when the company hides its
    pay (`compensation_visible` false), whatever figures the feed still carries."""
    if item.get("compensation_visible") is not True:
        return {}
    low, high = item.get("compensation_minimum"), item.get("compensation_maximum")
    if isinstance(low, int | float) or isinstance(high, int | float):
        salary = {
            "min": low if isinstance(low, int | float) else None,
            "max": high if isinstance(high, int | float) else None,
            "currency": text_or_none(item.get("compensation_currency")),
            "period": text_or_none(item.get("compensation_frequency")),
        }
        return {"salary": salary}
    wording = text_or_none(item.get("compensation"))
    return {"salary_text": wording} if wording else {}


def _description(item: dict[str, Any]) -> str | None:
    parts: list[str] = []
    for key, header in SECTIONS:
        text = unescape_html(text_or_none(item.get(key)))
        if not text:
            continue
        heading = text_or_none(item.get(header)) if header else None
        parts.append(f"<h2>{html.escape(heading)}</h2>\n{text}" if heading else text)
    return "\n".join(parts) or None
