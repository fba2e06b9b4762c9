"""Watch rules on real postings: the infrastructure preset, salary, workplace, places, events."""

from __future__ import annotations

from typing import Any

import pytest

from config.schema import WatchRule
from config.watches import resolve
from crawler.extract.greenhouse import extract_greenhouse
from notifier.rules import RuleSet, event_wanted, match_posting, term_pattern
from pipeline.normalize import normalize
from rolewatch.demo_boards import SEED_JOB_ID, board_before

BOARD = {raw.external_id: normalize(raw).as_dict() for raw in extract_greenhouse(board_before()).postings}
SEED = BOARD[str(SEED_JOB_ID)]
INFRA = resolve(WatchRule(name="infra", extends="infrastructure"))


def rule(**conditions: Any) -> WatchRule:
    return resolve(WatchRule(name="r", extends="infrastructure", **conditions))


def test_the_infrastructure_preset_matches_the_seed_posting() -> None:
    verdict = match_posting(INFRA, SEED)
    assert verdict, verdict.reasons
    (score,) = [reason for reason in verdict.reasons if reason.startswith("score ")]
    assert "reaches 4" in score
    assert "infrastructure title +4 (core technology)" in score
    assert "infrastructure work in the text +2 (compute, networking)" in score


@pytest.mark.parametrize(
    "job_id, title",
    [
        ("7922618", "Account Executive, Existing Business, Platforms"),
        ("7977745", "Designer, Web Presence & Platform"),
        ("7979885", "Finance & Strategy Partner, Central Engineering"),
        ("8044460", "AI Engineer"),
        ("8084195", "Backend Engineer, Credit Decisions"),
    ],
)
def test_the_infrastructure_preset_leaves_out_other_roles(job_id: str, title: str) -> None:
    posting = BOARD[job_id]
    assert posting["title"].strip() == title
    assert not match_posting(INFRA, posting)


def test_marketing_sales_and_recruiting_roles_never_match() -> None:
    for title in ("Marketing Manager, Infrastructure", "Sales Engineer, Cloud", "Technical Recruiter, SRE"):
        posting = dict(SEED, title=title)
        assert not match_posting(INFRA, posting), title


def test_the_stated_user_rule_infra_remote_and_base_150k() -> None:
    wanted = rule(workplace=["remote", "hybrid"], min_salary={"amount": 150000, "currency": "USD"})
    assert match_posting(wanted, SEED)
    assert not match_posting(wanted, dict(SEED, salary_max=140000.0, salary_min=120000.0))
    assert not match_posting(wanted, dict(SEED, workplace=["onsite"]))
    assert not match_posting(wanted, dict(SEED, salary_currency="EUR"))
    unknown = dict(SEED, salary_min=None, salary_max=None, salary_currency=None)
    assert not match_posting(wanted, unknown)
    lenient = rule(min_salary={"amount": 150000, "currency": "USD", "include_unknown": True})
    assert match_posting(lenient, unknown)


def test_terms_match_whole_words_case_folded_with_plurals() -> None:
    assert term_pattern("database").search("Experience with DATABASES required")
    assert not term_pattern("SRE").search("we are stressed")
    assert term_pattern("distributed systems").search("large distributed-systems work")
    any_rule = WatchRule(name="go", any=["golang", "Go"], none=["PHP"])
    assert match_posting(any_rule, {"title": "Backend (Go)", "description": ""})
    assert not match_posting(any_rule, {"title": "Backend (Go)", "description": "PHP too"})


def test_locations_understand_aliases() -> None:
    sf = rule(locations=["SF"])
    assert match_posting(sf, SEED)  # "US-Remote, Chicago, Seattle, San Francisco"
    assert not match_posting(rule(locations=["London"]), SEED)


def test_changed_fields_limit_which_changes_are_mailed() -> None:
    only_pay = rule(changed_fields=["title", "salary"])
    assert event_wanted(only_pay, "changed", {"salary_min": {"old": 1, "new": 2}})
    assert not event_wanted(only_pay, "changed", {"description": {"lines": []}})
    assert event_wanted(only_pay, "closed")
    assert not event_wanted(rule(events=["new"]), "closed")


def test_place_aliases_are_whole_words_without_plural_endings() -> None:
    la = rule(locations=["LA"])
    assert match_posting(la, dict(SEED, locations=["Los Angeles, CA"]))
    assert not match_posting(la, dict(SEED, locations=["Las Vegas, NV"]))
    assert not match_posting(rule(locations=["US"]), dict(SEED, locations=["Uses Campus, Ireland"]))


def test_companies_none_leaves_out_those_companies_in_matching_and_in_explanations() -> None:
    not_stripe = rule(companies_none=["STRIPE"])
    rules = RuleSet([not_stripe, INFRA])
    assert [r.name for r in rules.matching(SEED)] == ["infra"]
    verdict = match_posting(not_stripe, SEED)
    assert not verdict and verdict.reasons[-1] == "company 'Stripe' is excluded"
    elsewhere = SEED | {"company": "Acme"}
    assert [r.name for r in rules.matching(elsewhere)] == ["r", "infra"] and match_posting(
        not_stripe, elsewhere
    )


SCORE = {
    "signals": [
        {"name": "backend title", "weight": 2, "terms": ["backend"]},
        {"name": "design", "weight": -1, "terms": ["designer"], "fields": ["title", "description"]},
    ],
    "threshold": 2,
}


@pytest.mark.parametrize(
    "condition, value, reason",
    [
        ("title_any", ["designer"], "title has none of the rule's title terms"),
        ("title_none", ["engineer"], "title mentions excluded engineer"),
        (
            "topic",
            {"title": ["designer"], "text": ["stripe"], "min_text": 2},
            "only 1 of 2 topic terms in the text",
        ),
        ("score", SCORE | {"threshold": 3}, "score 2 is below 3: backend title +2 (backend)"),
        ("any", ["cobol"], "text has none of the rule's terms"),
        ("all", ["cobol", "engineer"], "text lacks cobol"),
        ("none", ["stripe"], "text mentions excluded stripe"),
        ("regex", "cobol", "text does not match /cobol/"),
        ("workplace", ["onsite"], "workplace hybrid, remote is not onsite"),
        ("companies", ["Acme"], "company 'Stripe' is not watched"),
        ("companies_none", ["stripe"], "company 'Stripe' is excluded"),
        ("locations", ["London"], "location US-Remote, Chicago, Seattle, San Francisco is not in London"),
        ("sources", ["acme"], "source 'stripe' is not watched"),
        ("min_salary", {"amount": 300000, "currency": "USD"}, "salary up to 285,600 USD is below 300,000"),
    ],
)
def test_each_condition_alone_turns_a_posting_down_in_matching_and_in_explaining(
    condition: str, value: Any, reason: str
) -> None:
    alone = RuleSet([WatchRule(name="r", **{condition: value})])
    assert alone.matching(SEED, "stripe") == []
    (verdict,) = alone.explain(SEED, "stripe")
    assert not verdict and verdict.reasons == [reason]


def test_a_rule_with_every_condition_says_why_in_the_order_of_the_documentation() -> None:
    every = WatchRule(
        name="every",
        **{
            "title_any": ["engineer"],
            "title_none": ["designer"],
            "topic": {"title": ["backend"]},
            "score": SCORE,
            "any": ["stripe"],
            "all": ["infrastructure"],
            "none": ["cobol"],
            "regex": "platform",
            "workplace": ["remote"],
            "companies": ["STRIPE"],
            "companies_none": ["Acme"],
            "locations": ["SF"],
            "sources": ["stripe"],
            "min_salary": {"amount": 150000, "currency": "USD"},
        },
    )
    rules = RuleSet([every])
    assert rules.matching(SEED, "stripe") == [every]
    (verdict,) = rules.explain(SEED, "stripe")
    assert verdict and verdict.reasons == [
        "title mentions engineer",
        "title is about backend",
        "score 2 reaches 2: backend title +2 (backend)",
        "mentions stripe",
        "workplace remote",
        "location US-Remote, Chicago, Seattle, San Francisco",
        "salary up to 285,600 USD",
    ]
    assert not rules.explain(SEED, "acme")[0] and rules.matching(SEED, "acme") == []
