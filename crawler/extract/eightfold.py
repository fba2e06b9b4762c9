"""Eightfold careers API: `GET https://{tenant}.eightfold.ai/api/apply/v2/jobs?domain={domain}
&start=N&num=10` lists `positions` ten at a time with the board's `count`, and
`…/api/apply/v2/jobs/{id}?domain=…` gives one position's `job_description`. The search API of
newer sites (`/api/pcsx/search`) wraps the same positions, in camelCase, in `data`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urljoin

from crawler.extract.common import read_each, text_or_none, unescape_html
from crawler.items import ExtractResult, RawPosting

WORKPLACES = {"onsite": "onsite", "on_site": "onsite", "remote": "remote", "hybrid": "hybrid"}


@dataclass
class EightfoldPage:
    """One page of the list: its positions (without text), how many rows it had, read or not,
    and how many the board says it lists in all."""

    result: ExtractResult = field(default_factory=ExtractResult)
    rows: int = 0
    count: int = 0


def extract_eightfold_list(payload: Any, site: str, company: str | None = None) -> EightfoldPage:
    """Positions of one list page; `site` (https://acme.eightfold.ai) makes their pages' links.
    ValueError when the payload has no `positions` list and `count`."""
    body = payload.get("data") if isinstance(payload, dict) and "data" in payload else payload
    positions = body.get("positions") if isinstance(body, dict) else None
    count = body.get("count") if isinstance(body, dict) else None
    if not isinstance(positions, list) or isinstance(count, bool) or not isinstance(count, int):
        raise ValueError("Eightfold payload has no 'positions' list and 'count'")
    page = EightfoldPage(rows=len(positions), count=count)

    def build(_: int, position: dict[str, Any], position_id: str, title: str) -> RawPosting:
        return _listed(position, position_id, title, site, company)

    page.result.postings = list(read_each(positions, page.result, "positions", build, title_key="name"))
    return page


def _first(position: dict[str, Any], *names: str) -> Any:
    """The first of a field's spellings (apply/v2 `t_create`, pcsx `creationTs`) present."""
    return next((position[name] for name in names if position.get(name) not in (None, "", [])), None)


def _listed(
    position: dict[str, Any], position_id: str, title: str, site: str, company: str | None
) -> RawPosting:
    link = text_or_none(_first(position, "canonicalPositionUrl", "positionUrl"))
    places = _first(position, "locations", "standardizedLocations")
    if not isinstance(places, list):
        places = [position.get("location")]
    option = text_or_none(_first(position, "work_location_option", "workLocationOption"))
    return RawPosting(
        external_id=position_id,
        title=title,
        url=urljoin(site + "/", link) if link else job_page(site, position_id),
        company=company,
        locations=list(dict.fromkeys(place for place in map(text_or_none, places) if place)),
        department=text_or_none(position.get("department")),
        workplace=WORKPLACES.get((option or "").lower()),
        posted_at=_epoch(_first(position, "t_create", "creationTs", "postedTs")),
        updated_at=_epoch(_first(position, "t_update", "postedTs")),
    )


def job_page(site: str, position_id: str) -> str:
    return f"{site.rstrip('/')}/careers/job/{quote(position_id, safe='')}"


def _epoch(value: Any) -> str | None:
    """Seconds since the epoch, as ISO 8601 in UTC."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def extract_eightfold_detail(payload: Any, listed: RawPosting) -> RawPosting:
    """The listed position completed by its detail: the description, and its title, places
    and department as the detail gives them."""
    if not isinstance(payload, dict) or text_or_none(payload.get("name")) is None:
        raise ValueError("Eightfold position detail has no 'name'")
    places = payload.get("locations")
    found = [place for place in map(text_or_none, places if isinstance(places, list) else []) if place]
    return replace(
        listed,
        title=text_or_none(payload.get("name")) or listed.title,
        locations=list(dict.fromkeys(found)) or listed.locations,
        department=text_or_none(payload.get("department")) or listed.department,
        description_html=unescape_html(payload.get("job_description")),
    )
