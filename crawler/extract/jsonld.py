"""schema.org `JobPosting` in a page's JSON-LD blocks or microdata (career sites, iCIMS,
Jobvite...), read into RawPostings; a page may hold none, one or several."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import extruct
from parsel import Selector

from crawler.extract.common import join_parts, text_or_none, unescape_html
from crawler.items import ExtractResult, RawPosting
from pipeline.normalize import canonical_url

SALARY_UNITS = {"HOUR": "hour", "DAY": "day", "WEEK": "week", "MONTH": "month", "YEAR": "year"}
# Pages wrap JSON-LD in HTML comments or CDATA sections to shield it from old parsers.
_WRAPPERS = re.compile(r"^\s*(?:<!--|<!\[CDATA\[)|(?:-->|\]\]>)\s*$")


def extract_jsonld(html: str, url: str) -> ExtractResult:
    """Every JobPosting on the page; the same posting in JSON-LD and microdata counts once."""
    result = ExtractResult()
    page = Selector(text=html)
    canonical = page.xpath('//link[@rel="canonical"]/@href').get()
    page_url = canonical_url(urljoin(url, canonical.strip()) if canonical else url) or url
    # JSON-LD descriptions are HTML; extruct hands microdata ones over as plain text.
    sources = [(block, "html") for block in _jsonld_blocks(page, url, result)]
    microdata = extruct.extract(html, base_url=url, syntaxes=["microdata"], uniform=True)
    sources += [(item, "text") for item in microdata.get("microdata", [])]
    seen: set[str] = set()
    for data, description_kind in sources:
        for item in _job_postings(data):
            posting = _posting(item, page_url, description_kind)
            if posting is None:
                result.dropped.append(f"{url}: JobPosting without a title")
            elif posting.external_id not in seen:
                seen.add(posting.external_id)
                result.postings.append(posting)
    return result


def _jsonld_blocks(page: Selector, url: str, result: ExtractResult) -> Iterator[Any]:
    scripts = page.xpath("//script[contains(translate(@type, 'LDJSON', 'ldjson'), 'ld+json')]/text()")
    for number, script in enumerate(scripts.getall(), 1):
        try:
            yield json.loads(_WRAPPERS.sub("", script), strict=False)
        except ValueError as error:
            message = f"{url}: JSON-LD block {number} is not valid JSON ({error})"
            # A broken block that held a posting hides it: the page cannot prove it closed.
            if "JobPosting" in script:
                result.incomplete_reason = message
            else:
                result.dropped.append(message)


def _job_postings(data: Any) -> Iterator[dict[str, Any]]:
    """JobPosting objects anywhere in the data: top level, `@graph`, or an ItemList's items."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            if _is_job_posting(node):
                yield node
            else:
                stack.extend(reversed([v for v in node.values() if isinstance(v, list | dict)]))


def _is_job_posting(node: dict[str, Any]) -> bool:
    types = node.get("@type")
    names = types if isinstance(types, list) else [types]
    return any(
        isinstance(name, str) and name.rsplit("/", 1)[-1].rsplit(":", 1)[-1] == "JobPosting" for name in names
    )


def _posting(item: dict[str, Any], page_url: str, description_kind: str) -> RawPosting | None:
    title = _text(item.get("title")) or _text(item.get("name"))
    if title is None:
        return None
    own_url = _text(item.get("url"))
    url = urljoin(page_url, own_url) if own_url else page_url
    description = _text(item.get("description"))
    return RawPosting(
        external_id=_identifier(item.get("identifier")) or canonical_url(url) or url,
        title=title,
        url=url,
        company=_name(item.get("hiringOrganization")),
        locations=_locations(item),
        employment_type=", ".join(_texts(item.get("employmentType"))) or None,
        workplace="remote"
        if "TELECOMMUTE" in [t.upper() for t in _texts(item.get("jobLocationType"))]
        else None,
        description_html=description if description_kind == "html" else None,
        description_text=description if description_kind == "text" else None,
        salary=_salary(item.get("baseSalary")),
        posted_at=_text(item.get("datePosted")),
    )


def _text(value: Any) -> str | None:
    """A JSON-LD string, entity-escaped or not; lists give their first value."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict | bool):
        return None
    return unescape_html(text_or_none(value))


def _texts(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [text for text in (_text(v) for v in values) if text]


def _name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return _text(value.get("name")) if isinstance(value, dict) else _text(value)


def _identifier(value: Any) -> str | None:
    # Either a plain value or a PropertyValue {"name": "Acme", "value": "1234"}.
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return _text(value.get("value")) or _text(value.get("@id"))
    return _text(value)


def _locations(item: dict[str, Any]) -> list[str]:
    places = item.get("jobLocation")
    found = [_place(place) for place in (places if isinstance(places, list) else [places])]
    locations = [location for location in found if location]
    if not locations:
        # Remote postings name where applicants may live instead of a workplace.
        required = item.get("applicantLocationRequirements")
        locations = [
            name for name in map(_name, required if isinstance(required, list) else [required]) if name
        ]
    return locations


def _place(place: Any) -> str | None:
    if not isinstance(place, dict):
        return _text(place)
    address = place.get("address")
    if isinstance(address, dict):
        return join_parts(
            _text(address.get("addressLocality")),
            _text(address.get("addressRegion")),
            _name(address.get("addressCountry")),
        ) or _text(place.get("name"))
    return _text(address) or _text(place.get("name"))


def _salary(value: Any) -> dict[str, Any] | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, dict):
        return None
    amount = value.get("value")
    unit = _text(amount.get("unitText")) if isinstance(amount, dict) else None
    unit = unit or _text(value.get("unitText"))
    if isinstance(amount, dict):
        low, high = _number(amount.get("minValue")), _number(amount.get("maxValue"))
        if low is None and high is None:
            low = high = _number(amount.get("value"))
    else:
        low = high = _number(amount)
    if low is None and high is None:
        return None
    return {
        "min": low,
        "max": high,
        "currency": _text(value.get("currency")),
        "period": SALARY_UNITS.get((unit or "").upper()),
    }


def _number(value: Any) -> float | None:
    try:
        return float(str(value).replace(",", "")) if value is not None and value != "" else None
    except ValueError:
        return None
