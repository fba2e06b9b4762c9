"""Pay ranges from posting text: "$155,700 - $285,600", "€70k–90k", "USD 120,000/yr".

Only figures that name a currency count, so years, head counts and phone numbers never become
pay. A range counts wherever it stands; a lone figure only where the words around it say it is pay.

A text naming no currency at all is passed over at once, and the range and figure patterns are tried
only where a match can begin (a digit, a currency mark, "between"), not at every character.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Salary:
    min: float | None
    max: float | None
    currency: str | None
    period: str | None

    @property
    def stated(self) -> bool:
        return self.min is not None or self.max is not None

    @property
    def top(self) -> float | None:
        """The top of the range, or its one figure: what pay is compared by."""
        return self.max or self.min


# Written before the figure. A letter prefix says whose dollar it is.
PREFIX_SYMBOLS = {
    "US$": "USD", "CA$": "CAD", "AU$": "AUD", "NZ$": "NZD", "SG$": "SGD", "HK$": "HKD", "MX$": "MXN",
    "C$": "CAD", "A$": "AUD", "S$": "SGD", "R$": "BRL", "$": "USD",
    "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "₪": "ILS",
}  # fmt: skip
# Written after the figure: "4.500 €", "15 000 zł".
SUFFIX_SYMBOLS = {"€": "EUR", "£": "GBP", "zł": "PLN"}
# Upper case only: in lower case several codes are English words ("try", "all").
CURRENCY_CODES = (
    "USD", "EUR", "GBP", "CAD", "AUD", "NZD", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "INR",
    "JPY", "KRW", "CNY", "SGD", "HKD", "TWD", "BRL", "MXN", "ZAR", "ILS", "AED", "RON",
)  # fmt: skip
# How much bigger pay figures run than in dollars, so that one threshold tells a yearly figure
# from a monthly or hourly one: ¥300,000 is a month's pay, ₹12,00,000 a year's.
PAY_SCALE = {
    "JPY": 100, "KRW": 1000, "INR": 15, "CNY": 7, "HKD": 8, "TWD": 30, "SEK": 10, "NOK": 10,
    "DKK": 7, "CZK": 20, "HUF": 350, "PLN": 4, "MXN": 17, "BRL": 5, "ZAR": 15, "ILS": 3.5, "AED": 3.5,
    "RON": 4.5,
}  # fmt: skip
# Roughly how many of each period a working year has, to rank pay stated per hour or month
# beside yearly pay (no stated period counts as yearly).
PERIODS_PER_YEAR = {"year": 1, "month": 12, "week": 52, "day": 260, "hour": 2080}
# No posting pays more than this a year (in dollar terms): a larger figure is a typo or a
# hostile value, and would rank first in every digest.
PLAUSIBLE_YEARLY_MAX = 5_000_000
YEARLY_FROM = 20_000  # a figure without a period at or above this (in dollar terms) is yearly
HOURLY_BELOW = 200  # and one below this is hourly

_CODE = "|".join(CURRENCY_CODES)
_PREFIX = (
    r"(?<![A-Za-z])(?:"
    + "|".join(re.escape(symbol) for symbol in sorted(PREFIX_SYMBOLS, key=len, reverse=True))
    + rf"|(?:{_CODE})(?![A-Za-z]))"
)
_SUFFIX = rf"(?:{_CODE})(?![A-Za-z])|€|£|zł"
# Atomic, so "95 million" cannot shrink to "9" and slip past the magnitude check.
_NUMBER = (
    r"(?<!\d)(?<!\d[.,])(?>"
    r"\d{1,2}(?:,\d{2})+,\d{3}"  # Indian lakh grouping: 12,00,000
    r"|\d{1,3}(?P<@sep>[,.'’\u00a0\u202f ])\d{3}(?:(?P=@sep)\d{3})*(?:[.,]\d{1,2})?"
    r"|\d+(?:[.,]\d{1,2})?"
    r")(?!\d)"
)
_UNIT = r"hours?|hrs?|h|days?|d|weeks?|wks?|months?|mos?|mths?|years?|yrs?|y|annum|jahr|monat|stunde|tag"
_ATTACHED_PERIOD = (
    rf"(?i:[^\S\n]?/[^\S\n]?(?:{_UNIT})\b"
    r"|[^\S\n](?:per|an?|pro)[^\S\n](?:hour|day|week|month|year|annum)\b"
    r"|[^\S\n]?(?:hourly|daily|weekly|monthly|yearly|annually)\b)"
)
# "120k"; India counts in lakhs (100,000) and crores: "₹12-18 LPA" is lakhs per annum.
_UNIT_WORD = r"[kK](?![A-Za-z])|[^\S\n]?(?i:lakhs?|lacs?|lpa|crores?)\b"
MULTIPLIERS = {"k": 1_000, "lakh": 100_000, "lac": 100_000, "lpa": 100_000, "crore": 10_000_000}
_AMOUNT = (
    rf"(?:(?P<@pre>{_PREFIX})[^\S\n]?)?(?P<@num>{_NUMBER})(?P<@unit>{_UNIT_WORD})?"
    r"(?P<@mag>[^\S\n]?(?i:[mb](?:n|il|illion)?|trillion|mm)(?![A-Za-z]))?"
    rf"(?:[^\S\n]?(?P<@post>{_SUFFIX}))?(?P<@per>{_ATTACHED_PERIOD})?"
)
_SEPARATOR = r"[^\S\n]*(?P<dash>[-–—‒−~]|(?i:to|and|bis)\b)[^\S\n]*"
_RANGE = re.compile(
    r"(?P<between>(?i:\bbetween)\s+)?" + _AMOUNT.replace("@", "a") + _SEPARATOR + _AMOUNT.replace("@", "b")
)
_SINGLE = re.compile(_AMOUNT.replace("@", "a"))
# Every currency token above holds one of these, so a text without any has no pay in it.
_MONEY_MARKS = {"$", *CURRENCY_CODES, *(sym for sym in (*PREFIX_SYMBOLS, *SUFFIX_SYMBOLS) if "$" not in sym)}
_MONEY_MARK = re.compile("|".join(re.escape(mark) for mark in sorted(_MONEY_MARKS)))
# Where a range or a figure can begin: "between", a currency token or a digit run (matches cannot
# begin inside one: the patterns refuse a letter or a digit just before a token or a figure).
# Each alternative starts with a literal or a class, so `re` skips ahead between them.
_STARTS = re.compile(
    r"[bB](?i:etween)|\d+|"
    + "|".join(
        re.escape(token)
        for token in sorted({*PREFIX_SYMBOLS, *CURRENCY_CODES}, key=lambda token: (-len(token), token))
    )
)

_PERIODS = (
    ("hour", r"/\s?(?:h|hrs?|hours?|stunde)\b|\b(?:per|an|pro) (?:hour|stunde)\b|\bhourly\b"),
    ("day", r"/\s?(?:d|days?|tag)\b|\b(?:per|a|pro) (?:day|tag)\b|\bdaily\b|\bday rate\b"),
    ("week", r"/\s?(?:wks?|weeks?)\b|\b(?:per|a) week\b|\bweekly\b"),
    (
        "month",
        r"/\s?(?:mos?|mths?|months?|monat)\b|\b(?:per|a|pro|im) (?:month|monat)\b|\bmonthly\b|\bmonatlich",
    ),
    (
        "year",
        r"/\s?(?:y|yrs?|years?|annum|jahr)\b|\b(?:per|a|pro|im) (?:year|annum|jahr)\b|\bannual(?:ly)?\b"
        r"|\byearly\b|\bp\.\s?a\.|\bjährlich",
    ),
)
# Before a figure, only words that plainly name a period; "3 days a week" says nothing about pay.
_PERIOD_WORDS_BEFORE = (
    ("hour", r"\bhourly\b"),
    ("day", r"\bdaily\b|\bday rate\b"),
    ("month", r"\bmonthly\b"),
    ("year", r"\bannual(?:ly)?\b|\byearly\b"),
)
_PAY_WORDS = re.compile(
    r"\b(?:salary|salaries|pay|compensation|comp|wages?|rate|base|earn\w*|OTE|remuneration|gehalt)\b",
    re.IGNORECASE,
)
# A figure just after these is a perk or a company number, not pay.
_NOT_PAY_BEFORE = re.compile(
    r"\b(?:stipends?|credits?|subsid\w*|allowances?|reimburs\w*|budgets?|401\s?\(?k\)?|contribution\w*"
    r"|donation\w*|match\w*|bonus\w*|relocation|raised|funding|cap at)\b",
    re.IGNORECASE,
)
# ... and so is one followed by these nouns ("$500 per month credit", "an annual $3,000 stipend").
_NOT_PAY_AFTER = re.compile(
    r"^[\s:–-]*(?:(?!(?:plus|and|with|or|base|salary|pay)\b)[A-Za-z-]+\s+){0,2}?"
    r"(?:stipend|credit|subsidy|allowance|reimbursement|budget|bonus|grant|match|donation|contribution)s?\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?;](?:\s|$)|\n")


def salary_top(data: dict[str, Any]) -> float | None:
    """The top of a stored posting's pay range, or its one figure: what pay is compared by."""
    # `Salary.top` of a stored version's data, read without building one (matching reads it
    # for every posting).
    top: float | None = data.get("salary_max") or data.get("salary_min")
    return top


def plausible(salary: Salary) -> bool:
    """Finite, positive figures, the top within `PLAUSIBLE_YEARLY_MAX` a year."""
    figures = [figure for figure in (salary.min, salary.max) if figure is not None]
    # A minimum of 0 is how some boards say "not given"; the top must be pay.
    if (
        not figures
        or not all(math.isfinite(figure) and figure >= 0 for figure in figures)
        or not max(figures)
    ):
        return False
    code = (salary.currency or "").upper()
    # A currency not known here (or none given) may be one whose figures run large: give it the
    # largest scale known, so that only the absurd is left out.
    scale = PAY_SCALE.get(code, 1) if code in PAY_SCALE or code in CURRENCY_CODES else max(PAY_SCALE.values())
    yearly = max(figures) * PERIODS_PER_YEAR.get(salary.period or "year", 1)
    return yearly <= PLAUSIBLE_YEARLY_MAX * scale


def parse_salary(text: str | None) -> Salary | None:
    """The first pay range (or a lone figure that is plainly pay) in `text`, or None."""
    if not text or not _MONEY_MARK.search(text):
        return None
    starts = [start.start() for start in _STARTS.finditer(text)]
    not_pay = _Spans()  # money ranges that are not pay; their figures are not either
    position = 0
    while match := _search(_RANGE, text, starts, position):
        salary, is_money = _from_range(match, text)
        if salary:
            return salary
        if is_money:
            not_pay.add(match.span())
        position = match.end("anum")
    for match in _find_all(_SINGLE, text, starts):
        salary = None if not_pay.holds(match.start()) else _from_single(match, text)
        if salary:
            return salary
    return None


def _search(pattern: re.Pattern[str], text: str, starts: list[int], position: int) -> re.Match[str] | None:
    """`pattern.search(text, position)`, trying only the `starts` where a match can begin."""
    for index in range(bisect_left(starts, position), len(starts)):
        if match := pattern.match(text, starts[index]):
            return match
    return None


def _find_all(pattern: re.Pattern[str], text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text)` (of a pattern that never matches empty), trying only `starts`."""
    position = 0
    for start in starts:
        if start >= position and (match := pattern.match(text, start)):
            yield match
            position = match.end()


class _Spans:
    """Spans added in order of their start; asked, in order too, whether one holds a position."""

    def __init__(self) -> None:
        self._spans: list[tuple[int, int]] = []
        self._seen = 0  # spans starting at or before the last position asked about
        self._reach = 0  # the furthest end among them

    def add(self, span: tuple[int, int]) -> None:
        self._spans.append(span)

    def holds(self, position: int) -> bool:
        while self._seen < len(self._spans) and self._spans[self._seen][0] <= position:
            self._reach = max(self._reach, self._spans[self._seen][1])
            self._seen += 1
        return position < self._reach


def _from_range(match: re.Match[str], text: str) -> tuple[Salary | None, bool]:
    """The range as pay, and whether it was money at all (a currency before it or after its end)."""
    # "2024 - $120,000" is a year and a figure; "70.000 - 90.000 EUR" names its currency last.
    currency = _currency_of(match, "a", text) or _currency(match.group("bpost"), SUFFIX_SYMBOLS)
    if currency is None or (match.group("dash").lower() == "and" and not match.group("between")):
        return None, False
    if match.group("amag") or match.group("bmag"):
        return None, True
    low, high = _number(match.group("anum")), _number(match.group("bnum"))
    low_unit, high_unit = match.group("aunit"), match.group("bunit")
    # "€75–90k": a unit on one bound only belongs to both when that keeps them in order.
    if bool(low_unit) != bool(high_unit) and low < high:
        low_unit = high_unit = low_unit or high_unit
    low, high = low * _multiplier(low_unit), high * _multiplier(high_unit)
    if low <= 0 or high < low or _looks_like_a_perk(match, text):
        return None, True
    period = (
        _period_attached(high_unit, match.group("bper") or match.group("aper"))
        or _period_around(match, text)
        or _period_by_size(high, currency)
    )
    return Salary(float(low), float(high), currency, period), True


def _from_single(match: re.Match[str], text: str) -> Salary | None:
    currency = _currency_of(match, "a", text)
    if currency is None or match.group("amag"):
        return None
    amount = _number(match.group("anum")) * _multiplier(match.group("aunit"))
    if amount <= 0 or _looks_like_a_perk(match, text):
        return None
    if not (_PAY_WORDS.search(_sentence_before(match, text)) or _stands_alone(match, text)):
        return None
    period = (
        _period_attached(match.group("aunit"), match.group("aper"))
        or _period_around(match, text)
        or _period_by_size(amount, currency)
    )
    return Salary(float(amount), float(amount), currency, period)


def _currency_of(match: re.Match[str], side: str, text: str | None = None) -> str | None:
    prefix, suffix = match.group(f"{side}pre"), match.group(f"{side}post")
    currency = _currency(prefix, PREFIX_SYMBOLS) or _currency(suffix, SUFFIX_SYMBOLS)
    if prefix == "$" and text is not None:
        # "The annual Canadian base salary range ... is $160,000": the country names the dollar.
        before = _sentence_before(match, text, reach=120)
        country = _DOLLAR_COUNTRY.search(before)
        # "US and Canada base range" names the US dollar too: it stays the US dollar.
        if country and not _US.search(before):
            return _DOLLAR_OF[country.group(1).lower()[:4]]
    return currency


# A bare "$" is the US dollar unless the words before it, in its sentence, name another dollar.
_DOLLAR_COUNTRY = re.compile(
    r"\b(canad(?:a|ian)|austral(?:ia|ian)|new\s+zealand|singapore(?:an)?|hong\s+kong|(?<!new\s)mexic(?:o|an))\b",
    re.IGNORECASE,
)
_US = re.compile(r"\b(?:US|U\.S\.|USA|United\s+States|American)\b")
_DOLLAR_OF = {"cana": "CAD", "aust": "AUD", "new ": "NZD", "sing": "SGD", "hong": "HKD", "mexi": "MXN"}


def _currency(token: str | None, symbols: dict[str, str]) -> str | None:
    if not token:
        return None
    return symbols.get(token) or (token if token in CURRENCY_CODES else None)


def _number(raw: str) -> Decimal:
    """The figure's value; the grammar above makes a trailing ",dd" or ".dd" the only decimal part."""
    digits = re.sub(r"[\s'’]", "", raw)
    decimal = re.fullmatch(r"(.*)[.,](\d{1,2})", digits)
    whole, fraction = decimal.groups() if decimal else (digits, "0")
    return Decimal(re.sub(r"[.,]", "", whole) + "." + fraction)


def _sentence_before(match: re.Match[str], text: str, reach: int = 60) -> str:
    before = text[max(0, match.start() - reach) : match.start()]
    ends = list(_SENTENCE_END.finditer(before))
    return before[ends[-1].end() :] if ends else before


def _rest_of_sentence(match: re.Match[str], text: str, reach: int = 40) -> str:
    after = text[match.end() : match.end() + reach]
    end = _SENTENCE_END.search(after)
    return after[: end.start()] if end else after


def _looks_like_a_perk(match: re.Match[str], text: str) -> bool:
    return bool(
        _NOT_PAY_BEFORE.search(_sentence_before(match, text, reach=50))
        or _NOT_PAY_AFTER.search(_rest_of_sentence(match, text))
    )


def _stands_alone(match: re.Match[str], text: str) -> bool:
    """A line holding little but the figure ("¥8,000,000", "$34.62/hour") is a pay field."""
    line_start = text.rfind("\n", 0, match.start()) + 1
    line_end = text.find("\n", match.end())
    rest = text[line_start : match.start()] + " " + text[match.end() : line_end if line_end >= 0 else None]
    return not re.search(r"\d", rest) and len(re.findall(r"[^\W\d_]+", rest)) <= 3


def _multiplier(unit: str | None) -> int:
    if not unit:
        return 1
    word = unit.strip().lower()
    return MULTIPLIERS.get(word.rstrip("s"), MULTIPLIERS["k"])


def _period_attached(unit: str | None, suffix: str | None) -> str | None:
    if unit and unit.strip().lower() == "lpa":
        return "year"
    return _period_in(suffix, _PERIODS) if suffix else None


def _period_around(match: re.Match[str], text: str) -> str | None:
    # Only the words right after the figure ("brutto/Jahr", "per annum"), up to a comma.
    after = re.split(r"[,(]", _rest_of_sentence(match, text, reach=25))[0]
    return _period_in(after, _PERIODS) or _period_in(_sentence_before(match, text, 80), _PERIOD_WORDS_BEFORE)


def _period_in(text: str, periods: tuple[tuple[str, str], ...]) -> str | None:
    lowered = text.lower()
    return next((name for name, pattern in periods if re.search(pattern, lowered)), None)


def _period_by_size(amount: Decimal, currency: str) -> str | None:
    scale = Decimal(str(PAY_SCALE.get(currency, 1)))
    if amount >= YEARLY_FROM * scale:
        return "year"
    if amount < HOURLY_BELOW * scale:
        return "hour"
    return None
