"""Oracle Recruiting Cloud (candidate experience REST API): `recruitingCEJobRequisitions` lists a
site's requisitions a page at a time (`TotalJobsCount` says how many there are), and
`recruitingCEJobRequisitionDetails` gives one requisition's text."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from crawler.extract.common import read_each, text_or_none, unescape_html
from crawler.items import ExtractResult, RawPosting

# Offsets past this answer nothing: a bigger site cannot be listed in full by paging alone.
MAX_OFFSET = 10_000
# Workplace codes and names as Oracle writes them, as `pipeline.workplace` reads workplaces.
_WORKPLACES = {
    "ORA_ON_SITE": "onsite",
    "ORA_ONSITE": "onsite",
    "ORA_REMOTE": "remote",
    "ORA_HYBRID": "hybrid",
}
# The ad's own sections first, then what the employer says of itself.
_SECTIONS = (
    "ExternalDescriptionStr",
    "ExternalResponsibilitiesStr",
    "ExternalQualificationsStr",
    "OrganizationDescriptionStr",
    "CorporateDescriptionStr",
)


@dataclass
class OraclePage:
    """One page of a site's requisitions; `total` is None when the answer gives no count."""

    result: ExtractResult = field(default_factory=ExtractResult)
    listed: int = 0  # requisitions on the page, read or not
    total: int | None = None


def extract_oracle_list(payload: Any, job_url: str, company: str | None = None) -> OraclePage:
    """Requisitions as the list gives them (no text). `job_url` is the public page of a job,
    with `{id}` where its id goes."""
    search = _first_item(payload, "requisitions")
    rows = search.get("requisitionList")
    if not isinstance(rows, list):
        raise ValueError("Oracle requisitions answer has no 'requisitionList'")
    total = search.get("TotalJobsCount")
    page = OraclePage(listed=len(rows), total=total if isinstance(total, int) else None)

    def build(_: int, row: dict[str, Any], job_id: str, title: str) -> RawPosting:
        return _listed(row, job_id, title, job_url, company)

    page.result.postings = list(read_each(rows, page.result, "requisitionList", build, "Id", "Title"))
    return page


def _first_item(payload: Any, what: str) -> dict[str, Any]:
    items = payload.get("items") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        raise ValueError(f"Oracle {what} answer has no 'items'")
    return items[0]


def _listed(row: dict[str, Any], job_id: str, title: str, job_url: str, company: str | None) -> RawPosting:
    return RawPosting(
        external_id=job_id,
        title=title,
        url=job_url.format(id=job_id),
        company=company,
        locations=_locations(row),
        department=_first_text(row, "Department", "Organization", "JobFamily", "Category"),
        employment_type=_first_text(row, "JobSchedule", "WorkerType", "JobType", "ContractType"),
        workplace=_workplace(row),
        posted_at=text_or_none(row.get("PostedDate")),
    )


def extract_oracle_detail(payload: Any, listed: RawPosting) -> RawPosting:
    """The listed requisition completed by its detail: its text, category and schedule, and
    its places and posting time as the detail gives them."""
    detail = _first_item(payload, "requisition details")
    if text_or_none(detail.get("Id")) != listed.external_id:
        raise ValueError(f"Oracle requisition details are not of requisition {listed.external_id}")
    sections = [
        text for text in (unescape_html(detail.get(key)) for key in _SECTIONS) if text and text.strip()
    ]
    return replace(
        listed,
        title=text_or_none(detail.get("Title")) or listed.title,
        locations=_locations(detail) or listed.locations,
        department=_first_text(detail, "Department", "Organization", "JobFamily", "Category")
        or listed.department,
        employment_type=_first_text(detail, "JobSchedule", "WorkerType", "JobType", "ContractType")
        or listed.employment_type,
        workplace=_workplace(detail) or listed.workplace,
        description_html="\n".join(sections) or None,
        posted_at=text_or_none(detail.get("ExternalPostedStartDate")) or listed.posted_at,
    )


def _locations(row: dict[str, Any]) -> list[str]:
    others = [
        text_or_none(place.get("Name"))
        for place in row.get("secondaryLocations") or []
        if isinstance(place, dict)
    ]
    found = [text_or_none(row.get("PrimaryLocation")), *others]
    return list(dict.fromkeys(place for place in found if place))


def _workplace(row: dict[str, Any]) -> str | None:
    code = text_or_none(row.get("WorkplaceTypeCode"))
    return _WORKPLACES.get(code or "") or text_or_none(row.get("WorkplaceType")) or code


def _first_text(row: dict[str, Any], *keys: str) -> str | None:
    return next((text for key in keys if (text := text_or_none(row.get(key)))), None)
