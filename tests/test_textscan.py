"""The scanner and the rule set give the same answers as running each term's regex over the text."""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.schema import WatchRule
from notifier.matcher import RuleSet, location_aliases, salary_verdict
from notifier.rules import found_terms, match_posting, term_pattern
from notifier.textscan import CASE_TRAPS, Scanner

# Letters that fold oddly ("İ", "ı", "ſ", Kelvin "K", "ß", "Σ"), separators the term pattern
# accepts between words, and characters that are or are not word characters.
ALPHABET = "aAbBeEsSkKiI" + CASE_TRAPS + "ßΣσς é’—-/ .+?\n\xa0_1"
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


FILLER = "Lorem ipsum dolor sit amet, a long text. " * 8


def scanned(term_list: list[str], text: str) -> list[str]:
    scanner = Scanner({term: 1 << index for index, term in enumerate(dict.fromkeys(term_list))})
    found = scanner.scan(text)
    return [term for term in term_list if found & scanner.bits[term]]


@settings(max_examples=600, deadline=None)
@given(term_list=TERMS, text=TEXTS)
def test_a_scanner_finds_exactly_what_each_terms_regex_finds(term_list: list[str], text: str) -> None:
    # Long texts are read in more passes than short ones (titles): both must agree.
    for each in (text, f"{text} {FILLER}", f"{FILLER}{text}"):
        assert scanned(term_list, each) == reference(term_list, each)


@pytest.mark.parametrize(
    "text",
    [
        "caches and cache",
        "CACHES",
        "the on-call rotation",
        "on-call-rotation",
        "call on-calls",
        "c++/c",
        "U.S.-based",
        "databases, database",
        "é cache",
        "cache\u00a0layer",
        "cacheé",
        "\u212a8s and k8s",
        "internal intern",
    ],
)
def test_words_that_extend_or_contain_each_other_are_all_found(text: str) -> None:
    # "cache"/"caches"/"cach" are reported once by a leftmost-longest scan; "on-call" and
    # "call" overlap; "é" is a word character, the no-break space separates words.
    term_list = [
        "cach", "cache", "caches", "cache layer", "on", "on-call", "call", "rotation", "c++", "c",
        "u.s.", "us", "database", "databases", "k8s", "intern", "é",
    ]  # fmt: skip
    for each in (text, f"{text} {FILLER}", f"{FILLER}{text}"):
        assert scanned(term_list, each) == reference(term_list, each)


def test_case_traps_are_the_only_non_ascii_characters_that_fold_onto_ascii_words() -> None:
    everything = "".join(chr(code) for code in range(0x80, sys.maxunicode + 1) if not 0xD800 <= code < 0xE000)
    assert "".join(re.findall(r"[a-z0-9_]", everything, re.IGNORECASE)) == CASE_TRAPS


def test_a_multi_word_term_is_confirmed_where_its_first_word_occurs_again_later() -> None:
    assert scanned(["distributed systems"], "distributed teams; Distributed-Systems work")
    assert not scanned(["distributed systems"], "xdistributed systems")


POSTINGS = st.fixed_dictionaries(
    {
        "title": st.text(alphabet=ALPHABET, max_size=30),
        "description": TEXTS,
        "department": st.one_of(st.none(), st.text(alphabet=ALPHABET, max_size=10)),
        "company": st.sampled_from(["Stripe", "stripe", "Acme", None]),
        "workplace": st.lists(st.sampled_from(["remote", "hybrid", "onsite"]), max_size=2),
        "locations": st.lists(
            st.sampled_from(["San Francisco", "US-Remote", "London", "NYC", "Las Vegas", "Remotes", "Uses"]),
            max_size=2,
        ),
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
    locations=st.lists(st.sampled_from(["SF", "us", "Berlin", "LA", "remote"]), max_size=1),
    sources=st.lists(st.sampled_from(["stripe", "other"]), max_size=1),
    min_salary=st.one_of(
        st.none(),
        st.builds(dict, amount=st.sampled_from([100000, 160000]), include_unknown=st.booleans()),
    ),
)


def place_regex(aliases: list[str]) -> str:
    """Place names are whole words without plurals ("LA" is not in "Las Vegas")."""
    bodies = [
        r"[\s\-/]+".join(re.escape(word) for word in alias.split()) for alias in aliases if alias.strip()
    ]
    return rf"(?<!\w)(?:{'|'.join(bodies)})(?!\w)" if bodies else "(?!)"


def reference_match(rule: WatchRule, data: dict[str, Any], source: str | None) -> bool:
    """The straightforward reading of a rule: every term's regex run over each field it reads."""
    title = data.get("title") or ""
    texts = [data.get(name) or "" for name in rule.fields]

    def in_text(terms: list[str]) -> list[str]:
        return [term for term in dict.fromkeys(terms) if any(found_terms([term], text) for text in texts)]

    topic = rule.topic
    places = data.get("locations") or []
    wanted = [alias for place in rule.locations for alias in location_aliases(place)]
    return all(
        [
            not rule.title_any or bool(found_terms(rule.title_any, title)),
            not found_terms(rule.title_none, title),
            topic is None
            or bool(found_terms(topic.title, title))
            or len(in_text(topic.text)) >= topic.min_text,
            not rule.any or bool(in_text(rule.any)),
            len(in_text(rule.all)) == len(set(rule.all)),
            not in_text(rule.none),
            not rule.regex or bool(re.search(rule.regex, "\n".join(texts), re.IGNORECASE)),
            not rule.workplace or bool(set(data.get("workplace") or []) & set(rule.workplace)),
            not rule.companies
            or (data.get("company") or "").casefold() in {c.casefold() for c in rule.companies},
            not rule.locations
            or any(re.search(place_regex(wanted), place, re.IGNORECASE) for place in places),
            not rule.sources or source in rule.sources,
            rule.min_salary is None or salary_verdict(rule, data).matched,
        ]
    )


@settings(max_examples=300, deadline=None)
@given(rule=RULES, data=POSTINGS, source=st.sampled_from(["stripe", "other", None]))
def test_the_fast_and_explained_verdicts_agree_with_the_reference(
    rule: WatchRule, data: dict[str, Any], source: str | None
) -> None:
    rules = RuleSet([rule])
    [explained] = rules.explain(data, source)
    assert rules.matching(data, source) == ([rule] if explained else [])
    assert explained.matched == reference_match(rule, data, source)
    assert match_posting(rule, data, source) == explained
    if not explained:
        assert explained.reasons, "a refusal names the condition that failed"


@settings(max_examples=150, deadline=None)
@given(
    rules=st.lists(RULES, max_size=6),
    shared=st.booleans(),
    data=st.lists(POSTINGS, min_size=1, max_size=3),
    source=st.sampled_from(["stripe", "other", None]),
)
def test_a_rule_set_matches_the_rules_that_match_one_by_one(
    rules: list[WatchRule], shared: bool, data: list[dict[str, Any]], source: str | None
) -> None:
    if shared:  # rules that share conditions are tested as a group
        rules = [rule.model_copy(update={"title_any": ["engineer"]}) for rule in rules]
    together = RuleSet(rules)
    for posting in data:  # one rule set, several postings: what it remembers must not leak
        expected = [id(rule) for rule in rules if match_posting(rule, posting, source)]
        assert sorted(id(rule) for rule in together.matching(posting, source)) == sorted(expected)


@pytest.mark.parametrize(
    "rule, data, matches",
    [
        (WatchRule(name="r", topic={"title": ["sre"]}), {"title": "dev", "description": "sre"}, False),
        (WatchRule(name="r", topic={"title": ["sre"]}), {"title": "SRE lead"}, True),
        (
            WatchRule(name="r", fields=["description"], topic={"text": ["python"], "min_text": 1}),
            {"title": "x", "description": "python"},
            True,
        ),
    ],
)
def test_a_topic_with_an_empty_term_list_reads_nothing_it_has_no_terms_for(
    rule: WatchRule, data: dict[str, Any], matches: bool
) -> None:
    rules = RuleSet([rule])
    assert rules.matching(data) == ([rule] if matches else [])
    assert rules.explain(data)[0].matched == matches == reference_match(rule, data, None)
