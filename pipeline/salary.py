"""Pay ranges from posting text: "$155,700 - $285,600", "€70k–90k", "USD 120,000/yr"."""

from __future__ import annotations

import re
from dataclasses import dataclass

CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "CHF": "CHF"}
CURRENCY_CODES = (
    "USD", "EUR", "GBP", "CAD", "AUD", "NZD", "CHF", "SEK", "NOK", "DKK", "PLN", "INR", "JPY",
    "SGD", "HKD", "BRL", "MXN", "ZAR", "ILS", "CZK",
)  # fmt: skip
# A prefix such as "CA$" or "A$" names the dollar.
DOLLAR_PREFIXES = {"CA": "CAD", "C": "CAD", "A": "AUD", "AU": "AUD", "NZ": "NZD", "US": "USD",
                   "S": "SGD", "HK": "HKD"}  # fmt: skip

_CODE = "|".join(CURRENCY_CODES)
_SYMBOL = r"(?:(?:CA|AU|NZ|US|HK|[CAS])?\$|€|£|¥|₹)"
_NUMBER = r"\d{1,3}(?:[,.\s\u202f\u00a0]\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d+)?"
_AMOUNT = (
    rf"(?P<@cur1>{_SYMBOL}|\b(?:{_CODE})\s?)?\s*(?P<@num>{_NUMBER})\s*"
    rf"(?P<@k>[kK]\b)?(?!\s?(?:[mMbB]n?|million|billion|bil)\b)(?:\s?(?P<@cur2>\b(?:{_CODE})\b|€))?"
)
_RANGE = re.compile(
    _AMOUNT.replace("@", "a")
    + r"\s*(?:-|–|—|to|and)\s*"
    + _AMOUNT.replace("@", "b")
    + r"(?P<tail>[^.\n]{0,40})",
    re.IGNORECASE,
)
_SINGLE = re.compile(_AMOUNT.replace("@", "a") + r"(?P<tail>[^.\n]{0,40})", re.IGNORECASE)

_PERIODS = (
    ("hour", r"/\s?h(?:ou)?r\b|per hour|hourly|an hour|/hour"),
    ("day", r"/\s?day\b|per day|daily"),
    ("week", r"/\s?w(?:ee)?k\b|per week|weekly"),
    ("month", r"/\s?mo(?:nth)?\b|per month|monthly|a month"),
    ("year", r"/\s?y(?:ea)?r\b|per year|per annum|annual|annually|yearly|a year|/yr|p\.a\.|\bpa\b"),
)


@dataclass(frozen=True)
class Salary:
    min: float | None
    max: float | None
    currency: str | None
    period: str | None


def parse_salary(text: str | None) -> Salary | None:
    """The first pay range (or single figure with a currency) in `text`, or None."""
    if not text:
        return None
    for match in _RANGE.finditer(text):
        salary = _from_range(match, text)
        if salary:
            return salary
    for match in _SINGLE.finditer(text):
        salary = _from_single(match, text)
        if salary:
            return salary
    return None


def _from_range(match: re.Match[str], text: str) -> Salary | None:
    currency = _currency(match.group("acur1") or match.group("acur2")) or _currency(
        match.group("bcur1") or match.group("bcur2")
    )
    if currency is None:
        return None
    scale_b = _scale(match.group("bk"))
    scale_a = _scale(match.group("ak")) if match.group("ak") else scale_b
    low = _number(match.group("anum")) * scale_a
    high = _number(match.group("bnum")) * scale_b
    if low <= 0 or high < low or high > 50 * low:
        return None
    period = _period(match.group("tail"), text, match.start())
    return Salary(low, high, currency, period or ("hour" if high < 500 else "year"))


def _from_single(match: re.Match[str], text: str) -> Salary | None:
    currency = _currency(match.group("acur1") or match.group("acur2"))
    if currency is None:
        return None
    amount = _number(match.group("anum")) * _scale(match.group("ak"))
    period = _period(match.group("tail"), text, match.start())
    # A lone figure is pay only when it says so by its size or a period ("$40/hour").
    if amount < 1000 and period not in ("hour", "day"):
        return None
    return Salary(amount, amount, currency, period or "year")


def _currency(token: str | None) -> str | None:
    if not token:
        return None
    token = token.strip().upper()
    if token.endswith("$") and token != "$":
        return DOLLAR_PREFIXES.get(token[:-1], "USD")
    return CURRENCY_SYMBOLS.get(token) or (token if token in CURRENCY_CODES else None)


def _scale(suffix: str | None) -> float:
    if not suffix:
        return 1.0
    return 1000.0


def _number(text: str) -> float:
    compact = re.sub(r"[\s\u202f\u00a0]", ",", text)
    # "70.000" (European thousands) vs "70.5": a dot followed by exactly three digits groups.
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", compact):
        return float(re.sub(r"[.,]", "", compact))
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+\.\d{1,2}", compact):
        return float(compact.replace(",", ""))
    return float(compact.replace(",", ""))


def _period(tail: str, text: str, start: int) -> str | None:
    window = (text[max(0, start - 80) : start] + " " + tail).lower()
    near_tail = tail.lower()
    for name, pattern in _PERIODS:
        if re.search(pattern, near_tail):
            return name
    for name, pattern in _PERIODS:
        if re.search(pattern, window):
            return name
    return None
