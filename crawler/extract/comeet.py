"""Comeet: a hosted careers page, `https://www.comeet.com/jobs/{company}/{uid}`, embeds every
open position as the script global `COMPANY_POSITIONS_DATA`; the careers API
(`careers-api/2.0/company/{uid}/positions`) answers the same positions as a JSON list. A
position has no pay and no posting date, only when it was last updated."""

from __future__ import annotations

import html
import json
import re
from itertools import islice
from typing import Any

import lxml.html
from parsel import Selector

from crawler.extract.common import join_parts, read_each, text_or_none, unescape_html
from crawler.items import ExtractResult, RawPosting

_GLOBAL = re.compile(r"\b(COMPANY_POSITIONS_DATA|COMPANY_DATA)\s*=\s*")
WORKPLACES = {"on-site": "onsite", "onsite": "onsite", "hybrid": "hybrid", "remote": "remote"}


def page_globals(payload: bytes) -> dict[str, Any]:
    """The `COMPANY_DATA` and `COMPANY_POSITIONS_DATA` a hosted careers page sets, decoded."""
    found: dict[str, Any] = {}
    decoder = json.JSONDecoder()
    for script in Selector(body=payload or b"<html/>", type="html").css("script::text").getall():
        for match in _GLOBAL.finditer(script):
            try:
                found[match[1]], _ = decoder.raw_decode(script, match.end())
            except ValueError:
                continue
    return found


def extract_comeet_page(
    payload: bytes, company: str | None = None, limit: int | None = None
) -> ExtractResult:
    """Postings of a hosted careers page (at most `limit`). ValueError when the page sets no
    positions list: it is no Comeet board page."""
    positions = page_globals(payload).get("COMPANY_POSITIONS_DATA")
    if not isinstance(positions, list):
        raise ValueError("page sets no COMPANY_POSITIONS_DATA list: not a Comeet careers page")
    return extract_comeet_positions(positions, company, limit)


def extract_comeet_positions(
    positions: Any, company: str | None = None, limit: int | None = None
) -> ExtractResult:
    """Postings from a list of positions, as the page or the careers API gives them."""
    if not isinstance(positions, list):
        raise ValueError("Comeet positions are not a list")
    result = ExtractResult()
    read = read_each(positions, result, "positions",
                     lambda _, position, uid, title: _posting(position, uid, title, company),
                     id_key="uid", title_key="name")  # fmt: skip
    result.postings += islice(read, limit)
    return result


def _posting(position: dict[str, Any], uid: str, title: str, company: str | None) -> RawPosting:
    location = position.get("location")
    place: dict[str, Any] = location if isinstance(location, dict) else {}
    where = join_parts(place.get("city"), place.get("state"), place.get("country")) or text_or_none(
        place.get("name")
    )
    workplace = WORKPLACES.get((text_or_none(position.get("workplace_type")) or "").lower())
    link = (text_or_none(position.get(key)) for key in ("url_active_page", "url_comeet_hosted_page",
                                                        "url_recruit_hosted_page"))  # fmt: skip
    return RawPosting(
        external_id=uid,
        title=title,
        url=next((url for url in link if url), None),
        company=text_or_none(position.get("company_name")) or company,
        locations=[where] if where else [],
        department=text_or_none(position.get("department")),
        employment_type=text_or_none(position.get("employment_type")),
        workplace=workplace or ("remote" if place.get("is_remote") is True else None),
        description_html=_description(_details(position)),
        updated_at=text_or_none(position.get("time_updated")),
    )


def _details(position: dict[str, Any]) -> list[Any]:
    """The ad's sections: `details` in the API, `custom_fields.details` on the page."""
    details = position.get("details")
    if not isinstance(details, list):
        custom = position.get("custom_fields")
        details = custom.get("details") if isinstance(custom, dict) else None
    return [section for section in details or [] if isinstance(section, dict)]


def _description(sections: list[dict[str, Any]]) -> str | None:
    """The sections in their `order`, each under its name; one with no text is left out."""
    ordered = sorted(sections, key=lambda section: _order(section.get("order")))
    parts = []
    for section in ordered:
        value = unescape_html(section.get("value"))
        if not value or not lxml.html.fragment_fromstring(value, create_parent="div").text_content().strip():
            continue
        name = text_or_none(section.get("name"))
        parts.append(f"<h2>{html.escape(name)}</h2>\n{value}" if name else value)
    return "\n".join(parts) or None


def _order(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else float("inf")
