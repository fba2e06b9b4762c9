"""Watch rules compiled once and postings prepared once, for matching many against many.

`CompiledRule.matches` answers yes/no with the cheap conditions first (source, company,
workplace, salary, places, title) so most postings are turned down before their description
is read; `CompiledRule.explain` walks the conditions in the order people read them and says
why, naming the first one that fails. Both give the same verdict: every condition is a pure
test of the posting, and a rule is their conjunction. `RuleSet` tests many rules at once,
turning down together the rules whose cheapest condition is the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from config.schema import Topic, WatchRule
from notifier.textscan import PreparedText, Scanner, terms

# Short names people write for places, and what boards write.
LOCATION_ALIASES = {
    "sf": ["san francisco", "sf", "bay area"],
    "san francisco": ["san francisco", "sf", "bay area"],
    "nyc": ["new york", "nyc", "ny"],
    "new york": ["new york", "nyc"],
    "la": ["los angeles", "la"],
    "us": ["us", "usa", "united states", "u.s."],
    "usa": ["us", "usa", "united states", "u.s."],
    "united states": ["us", "usa", "united states", "u.s."],
    "uk": ["uk", "united kingdom", "london", "england"],
    "united kingdom": ["uk", "united kingdom", "england"],
    "remote": ["remote"],
}


def location_aliases(place: str) -> list[str]:
    return LOCATION_ALIASES.get(place.casefold().strip(), [place])


@dataclass
class Match:
    matched: bool
    reasons: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.matched


class PreparedPosting:
    """A version's data with its texts prepared on first use, shared by every rule."""

    __slots__ = ("data", "title", "company", "workplace", "pay", "_bodies", "_places", "_scanner")

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.title = PreparedText(data.get("title") or "")
        self.company = (data.get("company") or "").casefold()
        self.workplace = frozenset(data.get("workplace") or ())
        # The top of the range, its currency, and whether it is yearly (or says nothing).
        self.pay = (
            data.get("salary_max") or data.get("salary_min"),
            data.get("salary_currency"),
            data.get("salary_period") in (None, "year"),
        )
        self._bodies: dict[tuple[str, ...], PreparedText] = {}
        self._places: list[str] | None = None
        self._scanner: Scanner | None = None

    def expect(self, title: Scanner, body: Scanner) -> None:
        """Look up these terms in one pass over the title, and over each body prepared from now on,
        when first asked (answers do not change: bodies prepared before look terms up one by one)."""
        self.title.expect(title)
        self._scanner = body

    def body(self, fields: tuple[str, ...]) -> PreparedText:
        """The fields a rule reads, joined as one text (the title alone is not reused: a term
        could span the line break between fields)."""
        text = self._bodies.get(fields)
        if text is None:
            joined = "\n".join(self.data.get(name) or "" for name in fields)
            text = self._bodies[fields] = PreparedText(joined, self._scanner)
        return text

    @property
    def places(self) -> list[str]:
        if self._places is None:
            self._places = [str(place) for place in self.data.get("locations") or []]
        return self._places


Check = Callable[[PreparedPosting, "str | None"], bool]


def place_pattern(aliases: list[str]) -> re.Pattern[str]:
    """Whole words, without the plural ending terms get: "LA" must not match "Las Vegas"."""
    bodies = [
        r"[\s\-/]+".join(re.escape(word) for word in alias.split()) for alias in aliases if alias.strip()
    ]
    return re.compile(rf"(?<!\w)(?:{'|'.join(bodies) or '(?!)'})(?!\w)", re.IGNORECASE)


class CompiledRule:
    """A resolved watch rule with its settings turned into sets and compiled patterns."""

    def __init__(self, rule: WatchRule) -> None:
        self.rule = rule
        self.name = rule.name
        self.fields = tuple(rule.fields)
        self.companies = frozenset(company.casefold() for company in rule.companies)
        self.sources = frozenset(rule.sources)
        self.workplace = frozenset(rule.workplace)
        self.places = [alias for place in rule.locations for alias in location_aliases(place)]
        self.place_pattern = place_pattern(self.places)
        self.regex = re.compile(rule.regex, re.IGNORECASE) if rule.regex else None
        self.title_any, self.title_none = terms(tuple(rule.title_any)), terms(tuple(rule.title_none))
        self.any, self.all, self.none = (terms(tuple(listed)) for listed in (rule.any, rule.all, rule.none))
        topic = rule.topic or Topic()
        self.topic_title, self.topic_text = terms(tuple(topic.title)), terms(tuple(topic.text))
        self.min_text = topic.min_text
        # Cheapest first: set look-ups, numbers, short texts, then the long description. Each
        # condition has a key saying what it tests, equal for equal conditions of other rules.
        body = self.fields
        wanted: list[tuple[bool, Hashable, Check]] = [
            (bool(rule.sources), ("sources", self.sources), lambda p, source: source in self.sources),
            (
                bool(rule.companies),
                ("companies", self.companies),
                lambda p, source: p.company in self.companies,
            ),
            (
                bool(rule.workplace),
                ("workplace", self.workplace),
                lambda p, source: not self.workplace.isdisjoint(p.workplace),
            ),
            (rule.min_salary is not None, ("salary", rule.min_salary), self._salary),
            (
                bool(self.places),
                ("places", tuple(self.places)),
                lambda p, source: any(self.place_pattern.search(place) for place in p.places),
            ),
            (
                bool(rule.title_any),
                ("title_any", self.title_any),
                lambda p, source: p.title.mentions_any(self.title_any),
            ),
            (
                bool(rule.title_none),
                ("title_none", self.title_none),
                lambda p, source: not p.title.mentions_any(self.title_none),
            ),
            (
                rule.topic is not None,
                ("topic", self.topic_title, self.topic_text, topic.min_text, body),
                self._on_topic,
            ),
            (bool(rule.any), ("any", self.any, body), lambda p, source: p.body(body).mentions_any(self.any)),
            (bool(rule.all), ("all", self.all, body), lambda p, source: p.body(body).mentions_all(self.all)),
            (
                bool(rule.none),
                ("none", self.none, body),
                lambda p, source: not p.body(body).mentions_any(self.none),
            ),
            (self.regex is not None, ("regex", rule.regex, body), self._regex),
        ]
        self.conditions = tuple((key, check) for present, key, check in wanted if present)
        self._checks = tuple(check for _, check in self.conditions)

    def matches(self, posting: PreparedPosting, source: str | None = None) -> bool:
        return self.matches_from(0, posting, source)

    def matches_from(self, first: int, posting: PreparedPosting, source: str | None) -> bool:
        """Do the conditions from the `first` one on hold? (A loop: cheaper than `all()` here.)"""
        for check in self._checks[first:]:  # noqa: SIM110
            if not check(posting, source):
                return False
        return True

    # These three are conditions themselves (a bound method is a cheaper call than a lambda).
    def _regex(self, posting: PreparedPosting, source: str | None = None) -> bool:
        assert self.regex is not None
        return self.regex.search(posting.body(self.fields).text) is not None

    def _on_topic(self, posting: PreparedPosting, source: str | None = None) -> bool:
        if posting.title.mentions_any(self.topic_title):
            return True
        return len(posting.body(self.fields).found(self.topic_text)) >= self.min_text

    def _topic(self, posting: PreparedPosting) -> Match:
        if hits := posting.title.found(self.topic_title):
            return Match(True, [f"title is about {', '.join(hits)}"])
        hits = posting.body(self.fields).found(self.topic_text)
        if len(hits) >= self.min_text:
            return Match(True, [f"text is about {', '.join(hits)}"])
        return Match(False, [f"only {len(hits)} of {self.min_text} topic terms in the text"])

    def _salary(self, posting: PreparedPosting, source: str | None = None) -> bool:
        """`salary_verdict(...).matched` without composing its reason."""
        wanted = self.rule.min_salary
        assert wanted is not None
        top, currency, yearly = posting.pay
        if top is None or currency is None:
            return wanted.include_unknown
        if currency != wanted.currency or not yearly:
            return False
        return not top < wanted.amount

    def explain(self, posting: PreparedPosting, source: str | None = None) -> Match:
        """The verdict with reasons, conditions in the order of the rule's documentation."""
        rule, data, title = self.rule, posting.data, posting.title
        reasons: list[str] = []

        def fail(reason: str) -> Match:
            return Match(False, [*reasons, reason])

        if rule.title_any:
            if not (hits := title.found(self.title_any)):
                return fail("title has none of the rule's title terms")
            reasons.append(f"title mentions {', '.join(hits)}")
        if hits := title.found(self.title_none):
            return fail(f"title mentions excluded {', '.join(hits)}")
        if rule.topic is not None:
            if not (verdict := self._topic(posting)):
                return fail(verdict.reasons[0])
            reasons.extend(verdict.reasons)
        body = posting.body(self.fields)
        if rule.any:
            if not (hits := body.found(self.any)):
                return fail("text has none of the rule's terms")
            reasons.append(f"mentions {', '.join(hits)}")
        if missing := [term for term in rule.all if not body.has(term)]:
            return fail(f"text lacks {', '.join(missing)}")
        if hits := body.found(self.none):
            return fail(f"text mentions excluded {', '.join(hits)}")
        if self.regex is not None and not self._regex(posting):
            return fail(f"text does not match /{rule.regex}/")
        if rule.workplace:
            if not (offered := posting.workplace & self.workplace):
                shown = ", ".join(sorted(posting.workplace)) or "unknown"
                return fail(f"workplace {shown} is not {' or '.join(rule.workplace)}")
            reasons.append(f"workplace {', '.join(sorted(offered))}")
        if rule.companies and posting.company not in self.companies:
            return fail(f"company {data.get('company')!r} is not watched")
        if self.places:
            places = data.get("locations") or []
            if not any(self.place_pattern.search(place) for place in posting.places):
                return fail(
                    f"location {'; '.join(places) or 'unknown'} is not in {', '.join(rule.locations)}"
                )
            reasons.append(f"location {'; '.join(places)}")
        if rule.sources and source not in self.sources:
            return fail(f"source {source!r} is not watched")
        if rule.min_salary is not None:
            if not (verdict := salary_verdict(rule, data)):
                return fail(verdict.reasons[0])
            reasons.extend(verdict.reasons)
        return Match(True, reasons)


class RuleSet:
    """Rules tested together: those whose cheapest condition is the same (a preset's title terms,
    say) are turned down together, identical rules are tested once, and all the rules' terms are
    looked up in one pass over the title and one over each body."""

    def __init__(self, rules: Iterable[CompiledRule]) -> None:
        self.rules = list(rules)
        groups: dict[Hashable, tuple[Check, dict[Hashable, list[CompiledRule]]]] = {}
        self._unconditional = [rule for rule in self.rules if not rule.conditions]
        for rule in filter(lambda rule: rule.conditions, self.rules):
            key, check = rule.conditions[0]
            same = groups.setdefault(key, (check, {}))[1]
            same.setdefault(tuple(key for key, _ in rule.conditions), []).append(rule)
        # Per group: one rule standing for each set of identical rules (conditions are pure).
        self._groups = [
            (check, [(alike[0], alike) for alike in same.values()]) for check, same in groups.values()
        ]
        self._title = Scanner(each for r in self.rules for each in (r.title_any, r.title_none, r.topic_title))
        self._body = Scanner(each for r in self.rules for each in (r.any, r.all, r.none, r.topic_text))

    def matching(self, posting: PreparedPosting, source: str | None = None) -> list[CompiledRule]:
        """The rules the posting matches (grouped by their first condition, not in given order)."""
        posting.expect(self._title, self._body)
        found = list(self._unconditional)
        for check, alike in self._groups:
            if check(posting, source):
                for rule, rules in alike:
                    if rule.matches_from(1, posting, source):
                        found.extend(rules)
        return found


def salary_verdict(rule: WatchRule, data: dict[str, Any]) -> Match:
    assert rule.min_salary is not None
    wanted = rule.min_salary
    top = data.get("salary_max") or data.get("salary_min")
    currency = data.get("salary_currency")
    if top is None or currency is None:
        if wanted.include_unknown:
            return Match(True, ["salary not stated"])
        return Match(False, ["salary not stated"])
    if currency != wanted.currency:
        return Match(False, [f"salary in {currency}, rule asks for {wanted.currency}"])
    if data.get("salary_period") not in (None, "year"):
        return Match(False, [f"salary is per {data.get('salary_period')}, rule is yearly"])
    if top < wanted.amount:
        return Match(False, [f"salary up to {top:,.0f} {currency} is below {wanted.amount:,.0f}"])
    return Match(True, [f"salary up to {top:,.0f} {currency}"])
