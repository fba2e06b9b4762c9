"""The compiled matcher gives the same answers as running each term's regex over the text."""

from __future__ import annotations

import re
import sys
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from config.schema import WatchRule
from notifier.matcher import CompiledRule, PreparedPosting, RuleSet, location_aliases, salary_verdict
from notifier.rules import found_terms, match_posting, term_pattern
from notifier.textscan import CASE_TRAPS, PreparedText, Scanner, terms

# Letters that fold oddly ("İ", "ı", "ſ", Kelvin "K", "ß", "Σ"), separators the term pattern
# accepts between words, and characters that are or are not word characters.
ALPHABET = "aAbBeEsSkKiI" + CASE_TRAPS + "ßΣσς é’—-/ .+?\n_1"
WORDS = st.text(alphabet=ALPHABET, min_size=0, max_size=6)
TERMS = st.lists(
    st.one_of(
        WORDS, st.builds(lambda a, b: f"{a} {b}", WORDS, WORDS), st.sampled_from(["sre", "c++", "u.s."])
    ),
    max_size=6,
)
TEXTS = st.one_of(
    st.text(alphabet=ALPHABET, max_size=60),
    st.lists(
        st.sampled_from(["sre", "SREs", "C++", "U.S.", "es", "ses", "ſre", "İs", "é", "?", " ", "-", "/"])
    ).map("".join),
)


def reference(term_list: list[str], text: str) -> list[str]:
    return [term for term in term_list if term_pattern(term).search(text)]


@settings(max_examples=400, deadline=None)
@given(term_list=TERMS, text=TEXTS)
def test_prepared_text_finds_exactly_what_each_terms_regex_finds(term_list: list[str], text: str) -> None:
    prepared = PreparedText(text)
    expected = reference(term_list, text)
    assert prepared.found(terms(tuple(term_list))) == expected
    assert prepared.mentions_any(terms(tuple(term_list))) == bool(expected)
    assert [term for term in term_list if prepared.has(term)] == expected


@settings(max_examples=400, deadline=None)
@given(term_list=TERMS, other=TERMS, text=TEXTS)
def test_a_scanned_text_finds_exactly_what_each_terms_regex_finds(
    term_list: list[str], other: list[str], text: str
) -> None:
    # `other` terms are asked for but not scanned; some terms may be asked before the scan.
    prepared = PreparedText(text, Scanner([terms(tuple(term_list))]))
    assert [term for term in other if prepared.has(term)] == reference(other, text)
    assert prepared.found(terms(tuple(term_list))) == reference(term_list, text)
    assert [term for term in term_list + other if prepared.has(term)] == reference(term_list + other, text)


def test_case_traps_are_the_only_non_ascii_characters_that_fold_onto_ascii_words() -> None:
    everything = "".join(chr(code) for code in range(0x80, sys.maxunicode + 1) if not 0xD800 <= code < 0xE000)
    assert "".join(re.findall(r"[a-z0-9_]", everything, re.IGNORECASE)) == CASE_TRAPS


def test_a_multi_word_term_is_confirmed_where_its_first_word_occurs_again_later() -> None:
    text = "distributed teams; Distributed-Systems work"
    assert PreparedText(text).has("distributed systems")
    assert not PreparedText("xdistributed systems").has("distributed systems")


POSTINGS = st.fixed_dictionaries(
    {
        "title": st.text(alphabet=ALPHABET, max_size=30),
        "description": TEXTS,
        "department": st.one_of(st.none(), st.text(alphabet=ALPHABET, max_size=10)),
        "company": st.sampled_from(["Stripe", "stripe", "Acme", None]),
        "workplace": st.lists(st.sampled_from(["remote", "hybrid", "onsite"]), max_size=2),
        "locations": st.lists(st.sampled_from(["San Francisco", "US-Remote", "London", "NYC"]), max_size=2),
        "salary_max": st.one_of(st.none(), st.sampled_from([90000.0, 150000.0, 200000.0])),
        "salary_min": st.one_of(st.none(), st.just(80000.0)),
        "salary_currency": st.sampled_from(["USD", "EUR", None]),
        "salary_period": st.sampled_from(["year", "hour", None]),
    }
)
RULES = st.builds(
    lambda **kwargs: WatchRule(name="r", **{k: v for k, v in kwargs.items() if v is not None}),
    any=TERMS,
    all=TERMS,
    none=TERMS,
    title_any=TERMS,
    title_none=TERMS,
    fields=st.sampled_from([["title", "description"], ["description"], ["title", "department"]]),
    topic=st.one_of(
        st.none(), st.builds(dict, title=TERMS, text=TERMS, min_text=st.integers(min_value=1, max_value=3))
    ),
    regex=st.one_of(st.none(), st.sampled_from(["s+e", r"\bc\+\+", "^$"])),
    workplace=st.lists(st.sampled_from(["remote", "hybrid", "onsite"]), max_size=2),
    companies=st.lists(st.sampled_from(["stripe", "Acme"]), max_size=1),
    locations=st.lists(st.sampled_from(["SF", "us", "Berlin"]), max_size=1),
    sources=st.lists(st.sampled_from(["stripe", "other"]), max_size=1),
    min_salary=st.one_of(
        st.none(),
        st.builds(dict, amount=st.sampled_from([100000, 160000]), include_unknown=st.booleans()),
    ),
)


def reference_match(rule: WatchRule, data: dict[str, Any], source: str | None) -> bool:
    """The straightforward reading of a rule: every term's regex run over the whole text."""
    title = data.get("title") or ""
    body = "\n".join(data.get(name) or "" for name in rule.fields)
    topic = rule.topic
    places = data.get("locations") or []
    wanted = [alias for place in rule.locations for alias in location_aliases(place)]
    return all(
        [
            not rule.title_any or bool(found_terms(rule.title_any, title)),
            not found_terms(rule.title_none, title),
            topic is None
            or bool(found_terms(topic.title, title))
            or len(found_terms(topic.text, body)) >= topic.min_text,
            not rule.any or bool(found_terms(rule.any, body)),
            len(found_terms(rule.all, body)) == len(rule.all),
            not found_terms(rule.none, body),
            not rule.regex or bool(re.search(rule.regex, body, re.IGNORECASE)),
            not rule.workplace or bool(set(data.get("workplace") or []) & set(rule.workplace)),
            not rule.companies
            or (data.get("company") or "").casefold() in {c.casefold() for c in rule.companies},
            not rule.locations or any(found_terms(wanted, place) for place in places),
            not rule.sources or source in rule.sources,
            rule.min_salary is None or salary_verdict(rule, data).matched,
        ]
    )


@settings(max_examples=300, deadline=None)
@given(rule=RULES, data=POSTINGS, source=st.sampled_from(["stripe", "other", None]))
def test_the_fast_and_explained_verdicts_agree_with_the_reference(
    rule: WatchRule, data: dict[str, Any], source: str | None
) -> None:
    compiled = CompiledRule(rule)
    explained = compiled.explain(PreparedPosting(data), source)
    assert compiled.matches(PreparedPosting(data), source) == explained.matched
    assert explained.matched == reference_match(rule, data, source)
    assert match_posting(rule, data, source) == explained
    if not explained:
        assert explained.reasons, "a refusal names the condition that failed"


@settings(max_examples=150, deadline=None)
@given(
    rules=st.lists(RULES, max_size=6),
    shared=st.booleans(),
    data=POSTINGS,
    source=st.sampled_from(["stripe", "other", None]),
)
def test_a_rule_set_matches_the_rules_that_match_one_by_one(
    rules: list[WatchRule], shared: bool, data: dict[str, Any], source: str | None
) -> None:
    if shared:  # rules that share their first condition are tested as a group
        rules = [rule.model_copy(update={"title_any": ["engineer"]}) for rule in rules]
    compiled = [CompiledRule(rule) for rule in rules]
    posting = PreparedPosting(data)
    expected = {id(rule) for rule in compiled if rule.matches(PreparedPosting(data), source)}
    assert {id(rule) for rule in RuleSet(compiled).matching(posting, source)} == expected
