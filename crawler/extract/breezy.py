"""Breezy HR portals: `GET https://{portal}.breezy.hr/json`, every open position in one array
(no text: the ad is on the position's own page, as a schema.org JobPosting)."""

from __future__ import annotations

from dataclasses import replace
from itertools import islice
from typing import Any

from crawler.extract.common import label, read_each, text_or_none
from crawler.extract.jsonld import extract_jsonld
from crawler.items import ExtractResult, RawPosting


def extract_breezy(payload: Any, company: str | None = None, limit: int | None = None) -> ExtractResult:
    """Postings from a Breezy portal's positions; positions without id or name are dropped. At
    most `limit` postings are read."""
    if not isinstance(payload, list):
        raise ValueError("Breezy payload is not a list of positions")
    result = ExtractResult()
    read = read_each(
        payload,
        result,
        "positions",
        lambda _, position, position_id, title: _posting(position, position_id, title, company),
        title_key="name",
    )
    result.postings += islice(read, limit)
    return result


def _posting(position: dict[str, Any], external_id: str, title: str, company: str | None) -> RawPosting:
    places = [place for place in position.get("locations") or [] if isinstance(place, dict)]
    if not places and isinstance(position.get("location"), dict):
        places = [position["location"]]
    return RawPosting(
        external_id=external_id,
        title=title,
        url=text_or_none(position.get("url")),
        company=label(position.get("company"), "name") or company,
        locations=list(dict.fromkeys(name for name in map(_place, places) if name)),
        department=text_or_none(position.get("department")),
        employment_type=label(position.get("type"), "name"),
        workplace=_workplace(places),
        # "$95,000 – $115,000 / year", as the portal shows it: parsed as pay text.
        salary_text=text_or_none(position.get("salary")),
        posted_at=text_or_none(position.get("published_date")),
    )


def _place(place: dict[str, Any]) -> str | None:
    if name := text_or_none(place.get("name")):
        return name
    parts = [
        text_or_none(place.get("city")),
        label(place.get("state"), "name"),
        label(place.get("country"), "name"),
    ]
    return ", ".join(part for part in parts if part) or None


def _workplace(places: list[dict[str, Any]]) -> str | None:
    """Remote when every place is (`is_remote`), hybrid when Breezy's remote detail says so; a
    place not remote says nothing more: the text decides."""
    details = " ".join(str(label(place.get("remote_details")) or "") for place in places).lower()
    if "hybrid" in details:
        return "hybrid"
    return "remote" if places and all(place.get("is_remote") is True for place in places) else None


def extract_breezy_detail(html: str, url: str, listed: RawPosting) -> RawPosting:
    """The listed position completed by its page's JobPosting: the text, and what the listing
    left out (pay, type, date). ValueError when the page has no JobPosting."""
    found = extract_jsonld(html, url)
    if found.incomplete_reason:
        raise ValueError(found.incomplete_reason)
    if not found.postings:
        raise ValueError("position page has no JobPosting")
    posting = found.postings[0]
    return replace(
        listed,
        description_html=posting.description_html,
        description_text=posting.description_text,
        # The listing's pay text is what the portal shows; the page's figures stand in for none.
        salary=None if listed.salary_text else posting.salary,
        employment_type=listed.employment_type or posting.employment_type,
        workplace=listed.workplace or posting.workplace,
        posted_at=listed.posted_at or posting.posted_at,
    )
