"""Turn a board's `RawPosting` into the common `Posting` form (pure functions, no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import html_text
from w3lib.url import canonicalize_url, url_query_cleaner

from pipeline.raw import RawPosting
from pipeline.salary import Salary, parse_salary
from pipeline.workplace import classify_workplace

# Query parameters that only track where a click came from.
TRACKING_PARAMS = (
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid",
    "mc_cid", "mc_eid", "ref", "referrer", "source", "lever-source", "lever-origin", "gh_src",
    "_hsenc", "_hsmi", "trk",
)  # fmt: skip

PLACEHOLDER_LOCATIONS = {"n/a", "na", "tbd", "-", "various", "multiple locations"}

MATERIAL_FIELDS = (
    "title",
    "company",
    "locations",
    "workplace",
    "department",
    "employment_type",
    "salary_min",
    "salary_max",
    "salary_currency",
    "salary_period",
    "description",
)


@dataclass
class Posting:
    """A posting in rolewatch's common form; `MATERIAL_FIELDS` decide what is a change."""

    external_id: str
    title: str
    url: str | None
    company: str | None
    locations: list[str] = field(default_factory=list)
    workplace: list[str] = field(default_factory=list)
    department: str | None = None
    employment_type: str | None = None
    salary_min: float | None = None
    salary_max: float | None = None
    salary_currency: str | None = None
    salary_period: str | None = None
    description: str = ""
    posted_at: str | None = None
    updated_at: str | None = None

    def as_dict(self) -> dict[str, Any]:
        # Shallow, with the lists copied: `dataclasses.asdict` deep-copies every value, and was
        # a large part of storing a posting.
        return {name: list(value) if isinstance(value, list) else value for name, value in vars(self).items()}

    def material(self) -> dict[str, Any]:
        data = self.as_dict()
        return {name: data[name] for name in MATERIAL_FIELDS}


def normalize(raw: RawPosting, company: str | None = None) -> Posting:
    description = clean_text(raw.description_html, raw.description_text)
    locations = split_locations(raw.locations)
    salary = salary_from(raw, description)
    return Posting(
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
        posted_at=raw.posted_at,
        updated_at=raw.updated_at,
    )


def canonical_url(url: str | None) -> str | None:
    """The URL without tracking parameters; None unless it is http(s) — a `javascript:` link
    from a crawled page must never become a link in a digest."""
    if not url or urlsplit(url.strip()).scheme.lower() not in ("http", "https"):
        return None
    return canonicalize_url(url_query_cleaner(url.strip(), TRACKING_PARAMS, remove=True))


def clean_text(html: str | None, plain: str | None = None) -> str:
    """Readable text: paragraphs and list items on their own lines, whitespace collapsed."""
    text = html_text.extract_text(html, guess_layout=True) if html else plain or ""
    lines = (collapse_spaces(line) for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def collapse_spaces(text: str) -> str:
    # What re.sub(r"\s+", " ", text).strip() gives: str.split() and \s agree on what is whitespace.
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
    structured = raw.salary or {}
    if structured.get("min") is not None or structured.get("max") is not None:
        low, high = structured.get("min"), structured.get("max")
        return Salary(
            float(low) if low is not None else None,
            float(high) if high is not None else None,
            structured.get("currency"),
            structured.get("period") or "year",
        )
    return parse_salary(raw.salary_text) or parse_salary(description)
