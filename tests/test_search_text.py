"""A search query and a pay floor, read from what a user types (pure functions)."""

from __future__ import annotations

import pytest

from config.schema import MinSalary
from rolewatch.search_text import MAX_PHRASES, SearchQueryError, parse_min_pay, parse_query


@pytest.mark.parametrize(
    ("typed", "phrases"),
    [
        ("site reliability", ("site", "reliability")),
        ('"site reliability" engineer', ("site reliability", "engineer")),
        ('Site "SITE"', ("site",)),
        ("node.js c++", ("node js", "c")),
        ('"unclosed phrase here', ("unclosed phrase here",)),
        ("NEAR(a b) OR -c*", ("near a", "b", "or", "c")),
        ("snake_case", ("snake case",)),
        ("Zürich straße", ("zürich", "straße")),
        ("a\x00b", ("a b",)),
    ],
)
def test_a_query_is_read_as_words_and_phrases(typed: str, phrases: tuple[str, ...]) -> None:
    assert parse_query(typed).phrases == phrases


def test_a_query_of_too_many_words_is_refused() -> None:
    parse_query(" ".join(f"w{n}" for n in range(MAX_PHRASES)))
    with pytest.raises(SearchQueryError, match="too many words"):
        parse_query(" ".join(f"w{n}" for n in range(MAX_PHRASES + 1)))


@pytest.mark.parametrize(
    ("typed", "floor"),
    [
        ("150000", MinSalary(amount=150_000, currency="USD")),
        ("150k", MinSalary(amount=150_000, currency="USD")),
        ("150,000 usd", MinSalary(amount=150_000, currency="USD")),
        ("120kEUR", MinSalary(amount=120_000, currency="EUR")),
        ("87.5k GBP", MinSalary(amount=87_500, currency="GBP")),
    ],
)
def test_a_pay_floor_is_an_amount_and_a_currency(typed: str, floor: MinSalary) -> None:
    assert parse_min_pay(typed) == floor


@pytest.mark.parametrize("typed", ["", "lots", "-5", "150 dollars", "USD", "1e9"])
def test_a_pay_floor_that_is_not_one_is_refused(typed: str) -> None:
    with pytest.raises(SearchQueryError, match="AMOUNT"):
        parse_min_pay(typed)
