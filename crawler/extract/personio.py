"""Personio's job feed: `GET https://{company}.jobs.personio.de/xml?language=en` (or `.com`),
every open position in one `<workzag-jobs>` document. The feed has no pay, no workplace and
no link: a job's page is `/job/{id}` on the same host (`job_page`)."""

from __future__ import annotations

import html
from itertools import islice
from typing import Any
from urllib.parse import quote

from crawler.extract.common import join_parts, read_each, unescape_html
from crawler.extract.xmlfeed import child_text, parse_xml
from crawler.items import ExtractResult, RawPosting


def extract_personio(payload: bytes, company: str | None = None, limit: int | None = None) -> ExtractResult:
    """Postings from a Personio XML feed (at most `limit`). ValueError when the body is no such
    feed."""
    root = parse_xml(payload)
    if root.tag != "workzag-jobs":
        raise ValueError(f"Personio feed has no <workzag-jobs> root (found <{root.tag}>)")
    positions = [_fields(position) for position in root.iterfind("position")]
    result = ExtractResult()
    read = read_each(positions, result, "position",
                     lambda _, position, job_id, title: _posting(position, job_id, title, company),
                     title_key="name")  # fmt: skip
    result.postings += islice(read, limit)
    return result


def _fields(position: Any) -> dict[str, Any]:
    """A `<position>` as a dict of its texts, with its extra offices and description sections."""
    fields: dict[str, Any] = {
        name: child_text(position, name)
        for name in ("id", "name", "office", "department", "subcompany", "employmentType", "schedule",
                     "createdAt")
    }  # fmt: skip
    fields["additionalOffices"] = [
        text for office in position.iterfind("additionalOffices/office") if (text := child_text(office, "."))
    ]
    fields["jobDescriptions"] = [
        (child_text(section, "name"), child_text(section, "value"))
        for section in position.iterfind("jobDescriptions/jobDescription")
    ]
    return fields


def job_page(site: str, job_id: str) -> str:
    """A job's public page on the careers host (https://acme.jobs.personio.de)."""
    return f"{site.rstrip('/')}/job/{quote(job_id, safe='')}?language=en"


def _posting(position: dict[str, Any], job_id: str, title: str, company: str | None) -> RawPosting:
    offices = [position["office"], *position["additionalOffices"]]
    return RawPosting(
        external_id=job_id,
        title=title,
        # A group's feed names the company of each job; a single company's leaves it out.
        company=position["subcompany"] or company,
        locations=list(dict.fromkeys(office for office in offices if office)),
        department=position["department"],
        # "permanent" and "full-time" are two fields; either alone is half the answer.
        employment_type=join_parts(position["employmentType"], position["schedule"]),
        description_html=_description(position["jobDescriptions"]),
        posted_at=position["createdAt"],
    )


def _description(sections: list[tuple[str | None, str | None]]) -> str | None:
    """The named HTML sections in feed order, each under its name as a heading."""
    parts = [
        f"<h2>{html.escape(name)}</h2>\n{unescape_html(value)}" if name else unescape_html(value) or ""
        for name, value in sections
        if value
    ]
    return "\n".join(parts) or None
