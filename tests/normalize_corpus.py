"""Every recorded posting as a `RawPosting`, read with the crawler's own pure extractors.

Shared by the normalization equivalence test and `bench/normalize_profile.py`. Workday's
capture is a listing page only, so its postings are the listing values alone (no detail text).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from crawler.extract.ashby import extract_ashby
from crawler.extract.greenhouse import extract_greenhouse
from crawler.extract.lever import extract_lever
from crawler.extract.recruitee import extract_recruitee
from crawler.extract.smartrecruiters import extract_smartrecruiters_detail, extract_smartrecruiters_list
from crawler.extract.workable import extract_workable
from crawler.extract.workday import extract_workday_detail, extract_workday_list
from pipeline.raw import RawPosting
from tests.conftest import DEMO_DATA, REAL

STRIPE_BOARD = "greenhouse/stripe-jobs-content-2026-08-04.json"


def _smartrecruiters(payload: Any) -> list[RawPosting]:
    if "content" in payload:
        return extract_smartrecruiters_list(payload).result.postings
    return [extract_smartrecruiters_detail(payload)]


def _workday(payload: Any) -> list[RawPosting]:
    listed = extract_workday_list(payload).jobs
    return [extract_workday_detail({"jobPostingInfo": {"id": job.external_path}}, job) for job in listed]


EXTRACTORS: dict[str, Callable[[Any], list[RawPosting]]] = {
    "ashby": lambda payload: extract_ashby(payload).postings,
    "greenhouse": lambda payload: extract_greenhouse(payload).postings,
    "lever": lambda payload: extract_lever(payload).postings,
    "recruitee": lambda payload: extract_recruitee(payload).postings,
    "smartrecruiters": _smartrecruiters,
    "workable": lambda payload: extract_workable(payload).postings,
    "workday": _workday,
}


def payload_path(relative: str) -> Path:
    """Where a recorded payload lives: the demo's copy first (see tests/fixtures/README.md)."""
    demo = DEMO_DATA / Path(relative).name
    return demo if demo.exists() else REAL / relative


def payload_files() -> list[str]:
    """Every recorded payload of the families above, as "<family>/<file>", in a stable order.
    Families recorded since are the preset's held-out boards (`tests/heldout_corpus.py`)."""
    found = {
        f"{path.parent.name}/{path.name}" for path in REAL.glob("*/*.json") if path.parent.name in EXTRACTORS
    }
    found |= {f"greenhouse/{path.name}" for path in DEMO_DATA.glob("stripe-jobs-content-*.json")}
    return sorted(found)


def postings_of(relative: str, text: str | None = None) -> list[RawPosting]:
    """The postings of one payload file (or of its already-read `text`)."""
    family = relative.split("/", 1)[0]
    if text is None:
        text = payload_path(relative).read_text(encoding="utf-8")
    return EXTRACTORS[family](json.loads(text))


def real_postings() -> Iterator[tuple[str, RawPosting]]:
    """(payload file, posting) for every posting of every recorded payload."""
    for relative in payload_files():
        for posting in postings_of(relative):
            yield relative, posting
