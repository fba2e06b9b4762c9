"""Recruitee careers API: `GET https://{company}.recruitee.com/api/offers`, one payload, no paging."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import islice
from typing import Any

from crawler.extract.common import read_each, text_or_none, unescape_html
from crawler.items import ExtractResult, RawPosting


def extract_recruitee(payload: Any, company: str | None = None, limit: int | None = None) -> ExtractResult:
    """Postings from a Recruitee offers listing; offers without id or title are dropped. At most
    `limit` postings are read."""
    offers = payload.get("offers") if isinstance(payload, dict) else None
    if not isinstance(offers, list):
        raise ValueError("Recruitee payload has no 'offers' list")
    result = ExtractResult()
    read = read_each(
        offers, result, "offers", lambda _, offer, offer_id, title: _posting(offer, offer_id, title, company)
    )
    result.postings += islice(read, limit)
    return result


def _posting(offer: dict[str, Any], external_id: str, title: str, company: str | None) -> RawPosting:
    # Recruitee splits the ad in two HTML fields; the requirements belong to it.
    parts = [offer.get("description"), offer.get("requirements")]
    description = "\n".join(part for part in parts if isinstance(part, str) and part.strip())
    return RawPosting(
        external_id=external_id,
        title=title,
        url=text_or_none(offer.get("careers_url")) or text_or_none(offer.get("careers_apply_url")),
        company=text_or_none(offer.get("company_name")) or company,
        locations=_locations(offer),
        department=text_or_none(offer.get("department")),
        employment_type=text_or_none(offer.get("employment_type_code")),
        workplace=_workplace(offer),
        description_html=unescape_html(description) if description else None,
        salary=_salary(offer.get("salary")),
        posted_at=_iso(offer.get("published_at")) or _iso(offer.get("created_at")),
        updated_at=_iso(offer.get("updated_at")),
    )


def _locations(offer: dict[str, Any]) -> list[str]:
    """Every office of the offer; the flat `location`/`city`/`country` fields name only the first."""
    found = [
        _place(place.get("city"), place.get("state"), place.get("country"))
        for place in offer.get("locations") or []
        if isinstance(place, dict)
    ]
    if not any(found):
        found = [text_or_none(offer.get("location")) or _place(offer.get("city"), offer.get("country"))]
    return list(dict.fromkeys(location for location in found if location))


def _place(*parts: Any) -> str | None:
    """ "Berlin, Germany" from city, state, country — without repeating "Berlin, Berlin"."""
    names = [text for text in map(text_or_none, parts) if text]
    return ", ".join(dict.fromkeys(names)) or None


def _workplace(offer: dict[str, Any]) -> str | None:
    """Recruitee has one flag per kind, and an offer may set several: "remote, hybrid"."""
    kinds = [kind for flag, kind in (("remote", "remote"), ("hybrid", "hybrid"), ("on_site", "onsite"))
             if offer.get(flag) is True]  # fmt: skip
    return ", ".join(kinds) or None


def _salary(salary: Any) -> dict[str, Any] | None:
    """Recruitee sends amounts as strings ("60000"), or nulls when pay is not published."""
    if not isinstance(salary, dict):
        return None
    low, high = _amount(salary.get("min")), _amount(salary.get("max"))
    if low is None and high is None:
        return None
    return {
        "min": low,
        "max": high,
        "currency": text_or_none(salary.get("currency")),
        "period": text_or_none(salary.get("period")),
    }


def _amount(value: Any) -> float | None:
    try:
        return float(str(value).replace(",", "")) if text_or_none(value) else None
    except ValueError:
        return None


def _iso(value: Any) -> str | None:
    """Recruitee writes "2026-08-05 10:10:39 UTC"; anything else is kept as the board wrote it."""
    text = text_or_none(value)
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC).isoformat()
    except ValueError:
        return text
