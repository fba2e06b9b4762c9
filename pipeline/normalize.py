"""Turn a board's `RawPosting` into a `PostingRecord` (pure functions, no I/O)."""

from __future__ import annotations

import html as htmllib
import re
from typing import Any
from urllib.parse import urlsplit

import html_text
import lxml.etree
import lxml.html
from w3lib.url import canonicalize_url, url_query_cleaner

from pipeline.raw import RawPosting
from pipeline.record import PostingRecord
from pipeline.salary import PERIODS_PER_YEAR, Salary, parse_salary, plausible
from pipeline.workplace import classify_workplace

# Query parameters that only track where a click came from.
TRACKING_PARAMS = (
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid",
    "mc_cid", "mc_eid", "ref", "referrer", "source", "lever-source", "lever-origin", "gh_src",
    "_hsenc", "_hsmi", "trk",
)  # fmt: skip

PLACEHOLDER_LOCATIONS = {"n/a", "na", "tbd", "-", "various", "multiple locations", "location", "locations"}


def is_placeholder(place: str) -> bool:
    """A board's stand-in where no place was filled in: "N/A", "LOCATION", "TBD"."""
    return collapse_spaces(place).strip(",").casefold() in PLACEHOLDER_LOCATIONS


def normalize(raw: RawPosting, company: str | None = None) -> PostingRecord:
    description = clean_text(raw.description_html, raw.description_text)
    locations = split_locations(raw.locations)
    salary = salary_from(raw, description)
    return PostingRecord(
        external_id=raw.external_id,
        title=collapse_spaces(raw.title),
        url=canonical_url(raw.url),
        company=collapse_spaces(raw.company or company or "") or None,
        locations=locations,
        workplace=classify_workplace(raw.workplace, locations, description),
        department=clean_department(raw.department),
        employment_type=clean_label(raw.employment_type),
        salary_min=salary.min if salary else None,
        salary_max=salary.max if salary else None,
        salary_currency=salary.currency if salary else None,
        salary_period=salary.period if salary else None,
        description=description,
        posted_at=clean_label(raw.posted_at),
        updated_at=clean_label(raw.updated_at),
    )


def canonical_url(url: str | None) -> str | None:
    """The URL without tracking parameters; None unless it is a well-formed http(s) URL — a
    `javascript:` link from a crawled page must never become a link in a digest."""
    if not url:
        return None
    url = url.strip()
    try:
        if urlsplit(url).scheme.lower() not in ("http", "https") or _INVISIBLE.search(url):
            return None
        return canonicalize_url(url_query_cleaner(url, TRACKING_PARAMS, remove=True))
    except ValueError:  # "http://[::1": no URL at all
        return None


# A description longer than this is cut: no job ad is a book, and every version is stored.
MAX_DESCRIPTION = 1_000_000


def clean_text(html: str | None, plain: str | None = None) -> str:
    """Readable text: paragraphs and list items on their own lines, whitespace collapsed,
    control and invisible characters dropped."""
    text = html_to_text(html) if html else plain or ""
    lines = (collapse_spaces(line) for line in text.splitlines())
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def html_to_text(html: str) -> str:
    # huge_tree: libxml2 otherwise gives up on a text node over 10 MB or nesting past 255 and
    # yields nothing; past even its larger limits, the tags are stripped instead.
    body = html.strip().replace("\x00", "").encode("utf-8", errors="replace") or b"<html/>"
    parser = lxml.html.HTMLParser(recover=True, encoding="utf-8", huge_tree=True)
    root = lxml.etree.fromstring(body, parser=parser)
    text = html_text.extract_text(root, guess_layout=True) if root is not None else ""
    if not text.strip() and (stripped := htmllib.unescape(_TAG.sub(" ", _NOT_TEXT.sub(" ", html)))).strip():
        return stripped
    return text


_TAG = re.compile(r"<[^>]*>")
# What a page holds that is not its text: scripts, styles, comments.
_NOT_TEXT = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
# C0 and C1 controls but tab and line breaks, bidirectional overrides and isolates, zero-width
# characters and the BOM: in a title or a digest they hide or reorder text.
_DROP = dict.fromkeys(
    [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0), 0x00AD,
     *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070), 0xFEFF]
)  # fmt: skip
# In a link: controls and invisible characters (a space is percent-encoded, as browsers do).
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")


def collapse_spaces(text: str) -> str:
    """One line: whitespace runs as one space, control and invisible characters dropped."""
    # What re.sub(r"\s+", " ", text).strip() gives: str.split() and \s agree on what is whitespace.
    if not text.isprintable():  # every character of _DROP is unprintable; most lines have none
        text = text.translate(_DROP)
    return " ".join(text.split())


def split_locations(values: list[str]) -> list[str]:
    """Distinct locations; "San Francisco, CA; Seattle, WA" holds two."""
    found: list[str] = []
    for value in values:
        for part in re.split(r"\s*[;|]\s*|\s+or\s+", value):
            part = collapse_spaces(part).strip(",")
            if part and part.casefold() not in PLACEHOLDER_LOCATIONS and part not in found:
                found.append(part)
    return found


def clean_department(value: str | None) -> str | None:
    # Some boards prefix cost-centre numbers: "8127 Core Infrastructure".
    return clean_label(re.sub(r"^\d+\s+", "", value)) if value else None


def clean_label(value: str | None) -> str | None:
    return collapse_spaces(value) or None if value else None


def salary_from(raw: RawPosting, description: str) -> Salary | None:
    """The board's structured pay, else pay found in its text; figures no job pays (infinite,
    negative, billions a year) count as no pay stated."""
    for candidate in (
        lambda: _structured_salary(raw.salary),
        lambda: parse_salary(raw.salary_text),
        lambda: parse_salary(description),
    ):
        salary = candidate()
        if salary is not None and plausible(salary):
            return salary
    return None


def _structured_salary(structured: dict[str, Any] | None) -> Salary | None:
    if not structured or (structured.get("min") is None and structured.get("max") is None):
        return None
    try:
        low, high = (None if v is None else float(v) for v in (structured.get("min"), structured.get("max")))
    except (TypeError, ValueError, OverflowError):
        return None
    currency, period = structured.get("currency"), structured.get("period")
    return Salary(
        low,
        high,
        clean_label(currency) if isinstance(currency, str) else None,
        period if isinstance(period, str) and period in PERIODS_PER_YEAR else "year",
    )
