"""JOIN: the company page `https://join.com/companies/{slug}` embeds (in Next.js'
`__NEXT_DATA__`) the company — its numeric `id`, `name` and `domain`, the slug — and its first
jobs; `GET /api/public/companies/{id}/jobs?page=N&pageSize=100` pages every job as `items`
with `pagination`; a job's own page carries its text and pay as schema.org JSON-LD."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from parsel import Selector

from crawler.extract.common import label, read_each, text_or_none
from crawler.extract.jsonld import extract_jsonld
from crawler.items import ExtractResult, RawPosting

WORKPLACES = {"ONSITE": "onsite", "REMOTE": "remote", "HYBRID": "hybrid"}


@dataclass(frozen=True)
class JoinCompany:
    """The company a slug's page shows; `gone` when the page is JOIN's 404 or 410."""

    id: str | None = None
    slug: str | None = None
    name: str | None = None
    gone: bool = False


@dataclass
class JoinJobs:
    """One page of jobs, where paging stands, and the jobs whose pay the company hides."""

    result: ExtractResult = field(default_factory=ExtractResult)
    page: int = 1
    page_count: int = 1
    total: int | None = None
    pay_hidden: set[str] = field(default_factory=set)


def page_state(payload: bytes) -> dict[str, Any]:
    """The page's `props.pageProps`. ValueError when it has no readable `__NEXT_DATA__`."""
    script = Selector(body=payload or b"<html/>", type="html").css("script#__NEXT_DATA__::text").get()
    try:
        props = json.loads(script or "")["props"]["pageProps"]
    except (ValueError, KeyError, TypeError):
        raise ValueError("page has no readable __NEXT_DATA__: not a JOIN company page") from None
    if not isinstance(props, dict):
        raise ValueError("JOIN page's pageProps is not an object")
    return props


def join_company(payload: bytes) -> JoinCompany:
    """The company a slug's page names (ValueError when it is no JOIN page)."""
    props = page_state(payload)
    if props.get("statusCode") in (404, 410):
        return JoinCompany(gone=True)
    state = props.get("initialState")
    company = state.get("company") if isinstance(state, dict) else None
    if not isinstance(company, dict):
        return JoinCompany()
    return JoinCompany(text_or_none(company.get("id")), text_or_none(company.get("domain")),
                       text_or_none(company.get("name")))  # fmt: skip


def extract_join_page(payload: bytes, site: str, slug: str, company: str | None = None) -> JoinJobs:
    """The jobs a company page embeds (its first page of them)."""
    state = page_state(payload).get("initialState")
    jobs = state.get("jobs") if isinstance(state, dict) else None
    owner = label(state.get("company"), "name") if isinstance(state, dict) else None
    return extract_join_jobs(jobs, site, slug, owner or company)


def extract_join_jobs(payload: Any, site: str, slug: str, company: str | None = None) -> JoinJobs:
    """Jobs of one API page, linked to their pages under `site`/companies/`slug`. ValueError
    when the payload has no `items` list and `pagination`."""
    items = payload.get("items") if isinstance(payload, dict) else None
    paging = payload.get("pagination") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not isinstance(paging, dict):
        raise ValueError("JOIN payload has no 'items' list and 'pagination'")
    total = _count(paging.get("total")) if "total" in paging else _count(paging.get("rowCount"))
    jobs = JoinJobs(page=_count(paging.get("page")) or 1, page_count=_count(paging.get("pageCount")) or 1,
                    total=total)  # fmt: skip

    def build(_: int, job: dict[str, Any], job_id: str, title: str) -> RawPosting:
        settings = job.get("settings")
        if isinstance(settings, dict) and settings.get("showSalary") is False:
            jobs.pay_hidden.add(job_id)
        return _listed(job, job_id, title, site, slug, company)

    jobs.result.postings = list(read_each(items, jobs.result, "items", build))
    return jobs


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _listed(
    job: dict[str, Any], job_id: str, title: str, site: str, slug: str, company: str | None
) -> RawPosting:
    found = job.get("city")
    city: dict[str, Any] = found if isinstance(found, dict) else {}
    place = ", ".join(part for part in (text_or_none(city.get("cityName")),
                                        text_or_none(city.get("countryName"))) if part)  # fmt: skip
    # `idParam` ("16738632-junior-…") names the job's page; its number may differ from `id`.
    page = text_or_none(job.get("idParam")) or job_id
    return RawPosting(
        external_id=job_id,
        title=title,
        url=f"{site.rstrip('/')}/companies/{quote(slug, safe='')}/{quote(page, safe='')}",
        company=company,
        locations=[place] if place else [],
        department=label(job.get("category"), "name"),
        employment_type=label(job.get("employmentType"), "name"),
        workplace=WORKPLACES.get(str(job.get("workplaceType")).upper()),
        posted_at=text_or_none(job.get("createdAt")),
    )


def extract_join_detail(html: str, url: str, listed: RawPosting, pay_hidden: bool = False) -> RawPosting:
    """The listed job completed by its page's JobPosting: the description and, unless the
    company hides it, the pay. ValueError when the page has no JobPosting."""
    found = extract_jsonld(html, url).postings
    if not found:
        raise ValueError("job page has no JobPosting")
    posting = found[0]
    return replace(
        listed,
        description_html=posting.description_html,
        description_text=posting.description_text,
        salary=None if pay_hidden else posting.salary,
        employment_type=listed.employment_type or posting.employment_type,
    )
