"""Postings of boards the preset was never tuned on: every recorded payload of the families
added after it (`tests/fixtures/real/<family>/`), read with the crawler's own extractors, each
listed posting completed with its recorded detail where the recorder kept one.

`tests/fixtures/infra-labels-heldout.json` labels them by the rubric of `infra-labels.json`;
the preset is measured on them, never tuned on them (`tests/preset_quality.py`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from crawler.extract.bamboohr import extract_bamboohr_detail, extract_bamboohr_list
from crawler.extract.breezy import extract_breezy
from crawler.extract.comeet import extract_comeet_page, extract_comeet_positions
from crawler.extract.eightfold import extract_eightfold_detail, extract_eightfold_list
from crawler.extract.gem import extract_gem
from crawler.extract.join import extract_join_page
from crawler.extract.oracle import extract_oracle_detail, extract_oracle_list
from crawler.extract.personio import extract_personio
from crawler.extract.pinpoint import extract_pinpoint
from crawler.extract.rippling import extract_rippling_detail, extract_rippling_list
from crawler.extract.successfactors import extract_successfactors
from crawler.extract.teamtailor import extract_teamtailor
from crawler.extract.teamtailor_json import extract_teamtailor_json
from pipeline.raw import RawPosting
from tests.conftest import REAL


def _json(relative: str) -> Any:
    return json.loads((REAL / relative).read_text(encoding="utf-8"))


def _bytes(relative: str) -> bytes:
    return (REAL / relative).read_bytes()


def _bamboohr_holistic() -> list[RawPosting]:
    payload = _json("bamboohr/holisticai-list-with-merged-detail.json")
    details = {job["id"]: {"result": {"jobOpening": job.pop("detail")}} for job in payload["result"]}
    listed = extract_bamboohr_list(payload, "Holistic AI", "https://holisticai.bamboohr.com").result.postings
    return [extract_bamboohr_detail(details[job.external_id], job) for job in listed]


def _bamboohr_illinois() -> list[RawPosting]:
    listed = extract_bamboohr_list(
        _json("bamboohr/illinois-tenant-careers-list-trimmed.json")
    ).result.postings
    detail = _json("bamboohr/illinois-tenant-careers-detail-97-trimmed.json")
    return [extract_bamboohr_detail(detail, job) if job.external_id == "97" else job for job in listed]


def _rippling_blackrock() -> list[RawPosting]:
    listed = extract_rippling_list(_json("rippling/blackrockneurotech-board-jobs.json")).result.postings
    detail = _json("rippling/blackrockneurotech-job-detail-trimmed.json")
    return [
        extract_rippling_detail(detail, job) if job.external_id == detail["uuid"] else job for job in listed
    ]


def _oracle_ul() -> list[RawPosting]:
    job = "https://ul.example/job/{id}"
    listed = extract_oracle_list(_json("oracle/ulsolutions-recruitingCEJobRequisitions-trimmed.json"), job)
    detail = _json("oracle/ulsolutions-requisition-details-trimmed.json")
    first, *rest = listed.result.postings
    return [extract_oracle_detail(detail, first), *rest]


def _eightfold_albemarle() -> list[RawPosting]:
    site = "https://albemarle.eightfold.ai"
    listed = extract_eightfold_list(_json("eightfold/albemarle-apply-v2-jobs.json"), site, "Albemarle")
    detail = _json("eightfold/albemarle-apply-v2-job-detail-trimmed.json")
    first, *rest = listed.result.postings
    return [extract_eightfold_detail(detail, first), *rest]


PAYLOADS: dict[str, Callable[[], list[RawPosting]]] = {
    "bamboohr/holisticai-list-with-merged-detail.json": _bamboohr_holistic,
    "bamboohr/illinois-tenant-careers-list-trimmed.json": _bamboohr_illinois,
    "bamboohr/scottsdale-careers-list-result-array.json": lambda: (
        extract_bamboohr_list(
            {"result": _json("bamboohr/scottsdale-careers-list-result-array.json")}
        ).result.postings
    ),
    "breezy/breezy-demo-board-json.json": lambda: (
        extract_breezy(_json("breezy/breezy-demo-board-json.json")).postings
    ),
    "breezy/highlights-healthcare-plus-vanguard-ip-json.json": lambda: (
        extract_breezy(_json("breezy/highlights-healthcare-plus-vanguard-ip-json.json")).postings
    ),
    "comeet/cheq-careers-page-positions-reduced.html": lambda: (
        extract_comeet_page(_bytes("comeet/cheq-careers-page-positions-reduced.html")).postings
    ),
    "comeet/wiliot-careers-api-positions.json": lambda: (
        extract_comeet_positions(
            _json("comeet/wiliot-careers-api-positions.json"), company="Wiliot Inc"
        ).postings
    ),
    "eightfold/albemarle-apply-v2-jobs.json": _eightfold_albemarle,
    "eightfold/pcsx-search-unnamed-tenant.json": lambda: (
        extract_eightfold_list(
            _json("eightfold/pcsx-search-unnamed-tenant.json"), "https://careers.example.org"
        ).result.postings
    ),
    "gem/gem-own-job-posts-truncated.json": lambda: (
        extract_gem(_json("gem/gem-own-job-posts-truncated.json")).postings
    ),
    "gem/resprop-job-posts-trimmed.json": lambda: (
        extract_gem(_json("gem/resprop-job-posts-trimmed.json")).postings
    ),
    "join/bexio-next-data-reduced.html": lambda: (
        extract_join_page(
            _bytes("join/bexio-next-data-reduced.html"), "https://join.com", "bexio"
        ).result.postings
    ),
    "oracle/ejov-cx-requisitions-trimmed.json": lambda: (
        extract_oracle_list(
            _json("oracle/ejov-cx-requisitions-trimmed.json"), "https://ejov.example/job/{id}"
        ).result.postings
    ),
    "oracle/ulsolutions-recruitingCEJobRequisitions-trimmed.json": _oracle_ul,
    "personio/dusseldorf-tenant-xml-keywords.xml": lambda: (
        extract_personio(_bytes("personio/dusseldorf-tenant-xml-keywords.xml")).postings
    ),
    "personio/personio-own-board-xml.xml": lambda: (
        extract_personio(_bytes("personio/personio-own-board-xml.xml")).postings
    ),
    "pinpoint/multi-board-postings-sample.json": lambda: (
        extract_pinpoint(_json("pinpoint/multi-board-postings-sample.json")).postings
    ),
    "pinpoint/pinpoint-workwithus-postings-trimmed.json": lambda: (
        extract_pinpoint({"data": _json("pinpoint/pinpoint-workwithus-postings-trimmed.json")}).postings
    ),
    "pinpoint/trilongroup-postings-trimmed.json": lambda: (
        extract_pinpoint(_json("pinpoint/trilongroup-postings-trimmed.json")).postings
    ),
    "rippling/blackrockneurotech-board-jobs.json": _rippling_blackrock,
    "rippling/rippling-own-board-paginated-items.json": lambda: (
        extract_rippling_list(_json("rippling/rippling-own-board-paginated-items.json")).result.postings
    ),
    "successfactors/qorvo-rmk-rss-feed.xml": lambda: (
        extract_successfactors(_bytes("successfactors/qorvo-rmk-rss-feed.xml"), company="Qorvo").postings
    ),
    "teamtailor/slaterconsult-jsonfeed-trimmed.json": lambda: (
        extract_teamtailor_json(_json("teamtailor/slaterconsult-jsonfeed-trimmed.json")).postings
    ),
    "teamtailor/teamtailor-career-jobs-rss.xml": lambda: (
        extract_teamtailor(_bytes("teamtailor/teamtailor-career-jobs-rss.xml")).postings
    ),
    "teamtailor/upcloud-jobs-rss.xml": lambda: (
        extract_teamtailor(_bytes("teamtailor/upcloud-jobs-rss.xml")).postings
    ),
}


def heldout_postings() -> Iterator[tuple[str, RawPosting]]:
    """(payload file, posting) for every held-out posting, in a stable order. Recorded twice,
    Teamtailor's own board is read from its RSS feed (the fuller text) and not its JSON feed;
    Gem's single post is one of its board's; a search page that is no feed holds none."""
    for relative, read in PAYLOADS.items():
        for posting in read():
            yield relative, posting
