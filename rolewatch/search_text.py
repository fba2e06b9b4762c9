"""What a user types to search, read as data: the query's words and "quoted phrases", and a pay
floor such as `150k` or `120000EUR`. Nothing typed is ever passed on as search syntax."""

from __future__ import annotations

import re
from dataclasses import dataclass

from config.schema import MinSalary

# A query's phrases are cut into words as the index cuts text: runs of letters and digits.
_WORD = re.compile(r"[^\W_]+")
# A quoted phrase (a quote left open runs to the end), or a run of anything but spaces and quotes.
_CHUNK = re.compile(r'"([^"]*)"?|([^\s"]+)')
# Past this many phrases a query is refused rather than handed to the database.
MAX_PHRASES = 32


class SearchQueryError(ValueError):
    """Raised for a query with no word to search for, or too many; the CLI prints it."""


@dataclass(frozen=True)
class SearchTerms:
    """Phrases that must all be found; each is its words, in order, separated by one space.
    `OR`, `NEAR`, `*`, `-` and parentheses are nothing but text: operators are not read."""

    phrases: tuple[str, ...]


def parse_query(text: str) -> SearchTerms:
    """`site reliability` is two words, `"site reliability"` one phrase; a word with marks inside
    (`node.js`, `c++`) is the phrase of its parts, as the index stores it."""
    phrases: list[str] = []
    for quoted, bare in _CHUNK.findall(text):
        words = _WORD.findall(quoted or bare)
        if words:
            phrases.append(" ".join(words))
    unique = tuple(dict.fromkeys(phrase.lower() for phrase in phrases))
    if not unique:
        raise SearchQueryError(f'nothing to search for in {text!r}: give a word or a "quoted phrase"')
    if len(unique) > MAX_PHRASES:
        raise SearchQueryError(f"too many words in the query ({len(unique)}; at most {MAX_PHRASES})")
    return SearchTerms(unique)


_PAY = re.compile(r"(\d[\d,_]*(?:\.\d+)?)\s*([kK])?\s*([A-Za-z]{3})?")


def parse_min_pay(text: str) -> MinSalary:
    """`150000`, `150k`, `150,000 USD` or `120kEUR`: a yearly floor, in US dollars unless a
    currency code follows."""
    found = _PAY.fullmatch(text.strip())
    if found is None:
        raise SearchQueryError(f"pay {text!r} is not AMOUNT[CURRENCY], such as 150000, 150k or 120kEUR")
    digits, thousands, currency = found.groups()
    amount = float(digits.replace(",", "").replace("_", "")) * (1000 if thousands else 1)
    return MinSalary(amount=amount, currency=(currency or "USD").upper())
