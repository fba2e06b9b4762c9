"""Watch rules compiled together, for testing many postings against many rules.

Every distinct condition of the rules (a list of sources, a salary floor, some title terms, ...)
is one bit, and a rule is the bits of its conditions: it matches a posting when the posting
satisfies all of them. Conditions are worked out in rounds, cheapest first: set look-ups and
salary floors for every posting; then places and the title; then the longer fields and regexes,
and a round only works out the conditions of rules that every earlier round left standing.
Each field is scanned once for the terms of every rule that reads it (`Scanner`), so a term
costs a bit test, whichever rules name it.

`RuleSet.explain` reads the same scans and says, condition by condition in the order of the
documentation, why a rule matches or which condition turns it down; its verdict is always the
one `RuleSet.matching` gives. Each kind of condition is declared once, in `CONDITIONS`: whether
a rule has it, how matching works it out, and how it is explained.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from bisect import bisect_right
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from config.schema import MinSalary, Score, WatchRule
from notifier.textscan import Scanner
from pipeline.salary import salary_top

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


def place_pattern(aliases: list[str]) -> re.Pattern[str]:
    """Whole words, without the plural ending terms get: "LA" must not match "Las Vegas"."""
    bodies = [
        r"[\s\-/]+".join(re.escape(word) for word in alias.split()) for alias in aliases if alias.strip()
    ]
    return re.compile(rf"(?<!\w)(?:{'|'.join(bodies) or '(?!)'})(?!\w)", re.IGNORECASE)


def rule_places(rule: WatchRule) -> re.Pattern[str]:
    """Any of the places a rule names, with their aliases."""
    return place_pattern([alias for place in rule.locations for alias in location_aliases(place)])


@dataclass
class Match:
    matched: bool
    reasons: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.matched


class _Reading:
    """A version's data as rules read it; a field is scanned for terms when first needed."""

    __slots__ = ("data", "source", "_scanners", "_terms")

    def __init__(self, data: dict[str, Any], source: str | None, scanners: dict[str, Scanner]) -> None:
        self.data = data
        self.source = source
        self._scanners = scanners
        self._terms: dict[str, int] = {}

    @property
    def company(self) -> str:
        return (self.data.get("company") or "").casefold()

    @property
    def workplace(self) -> Sequence[str]:
        return self.data.get("workplace") or ()

    def terms(self, fields: tuple[str, ...]) -> int:
        """The bits of the terms these fields mention (each field is looked at on its own)."""
        found = 0
        for name in fields:
            bits = self._terms.get(name)
            if bits is None:
                # A field no rule names a term for has none to find (a topic's empty list).
                scanner = self._scanners.get(name)
                bits = self._terms[name] = scanner.scan(self.data.get(name) or "") if scanner else 0
            found |= bits
        return found

    def text(self, fields: tuple[str, ...]) -> str:
        return "\n".join(self.data.get(name) or "" for name in fields)

    @property
    def places(self) -> list[str]:
        return [str(place) for place in self.data.get("locations") or []]


Check = Callable[[_Reading], bool]
TermTest = tuple[int, int, int, bool]
# Rules with the same conditions: one mask of condition bits per round.
Group = tuple[tuple[int, ...], list[WatchRule]]
TITLE = ("title",)


class _Lexicon:
    """One bit per term any rule names, and per field the terms rules look for in it."""

    def __init__(self) -> None:
        self.bits: dict[str, int] = {}
        self.by_field: dict[str, dict[str, int]] = {}

    def mask(self, terms: Iterable[str], fields: tuple[str, ...]) -> int:
        mask = 0
        for term in terms:
            bit = self.bits.setdefault(term, 1 << len(self.bits))
            for name in fields:
                self.by_field.setdefault(name, {})[term] = bit
            mask |= bit
        return mask

    def scanners(self) -> dict[str, Scanner]:
        return {name: Scanner(terms) for name, terms in self.by_field.items()}


class _Members:
    """Conditions "the posting's source/company/workplace is one of these", all at once."""

    def __init__(self, read: Callable[[_Reading], Iterable[str]]) -> None:
        self.read = read
        self.bits: dict[str, int] = {}

    def __bool__(self) -> bool:
        return bool(self.bits)

    def add(self, values: Iterable[str], bit: int) -> None:
        for value in values:
            self.bits[value] = self.bits.get(value, 0) | bit

    def __call__(self, posting: _Reading) -> int:
        found = 0
        for value in self.read(posting):
            found |= self.bits.get(value, 0)
        return found


class _SalaryFloors:
    """Every `min_salary` condition at once: per currency, the floors a yearly top reaches are a
    prefix of the floors sorted, found by bisection."""

    def __init__(self) -> None:
        self.unknown = 0  # conditions that accept a posting stating no salary
        self.floors: dict[str, list[tuple[float, int]]] = {}
        self.tables: dict[str, tuple[list[float], list[int]]] = {}

    def __bool__(self) -> bool:
        return bool(self.tables)

    def add(self, wanted: MinSalary, bit: int) -> None:
        if wanted.include_unknown:
            self.unknown |= bit
        self.floors.setdefault(wanted.currency, []).append((wanted.amount, bit))
        floors = sorted(self.floors[wanted.currency])
        reached = [0]
        for _, each in floors:
            reached.append(reached[-1] | each)
        self.tables[wanted.currency] = ([amount for amount, _ in floors], reached)

    def __call__(self, posting: _Reading) -> int:
        data = posting.data
        top, currency = salary_top(data), data.get("salary_currency")
        if top is None or currency is None:
            return self.unknown
        table = self.tables.get(currency)
        # A salary with no stated period is taken as yearly.
        if table is None or data.get("salary_period") not in (None, "year"):
            return 0
        amounts, reached = table
        return reached[bisect_right(amounts, top)]


@dataclass(frozen=True)
class Fired:
    """A signal that found terms: its name, what it adds, and the terms it found."""

    name: str
    points: float
    terms: list[str]


class _Scorer:
    """A `score` condition: the one place its signals are weighed, for matching and explaining."""

    def __init__(self, score: Score, lexicon: _Lexicon) -> None:
        self.threshold = score.threshold
        self.signals = []
        # (weight, most, fields, term bits) per signal: matching counts bits, naming no term.
        self.masks: list[tuple[float, int, tuple[str, ...], int]] = []
        for signal in score.signals:
            where = tuple(signal.fields)
            terms = list(dict.fromkeys(signal.terms))
            mask = lexicon.mask(terms, where)
            self.signals.append((signal, where, [(term, lexicon.bits[term]) for term in terms]))
            self.masks.append((signal.weight, signal.most, where, mask))

    def weigh(self, posting: _Reading) -> tuple[float, list[Fired]]:
        total, fired = 0.0, []
        for signal, where, terms in self.signals:
            found = posting.terms(where)
            hits = [term for term, bit in terms if found & bit][: signal.most]
            if hits:
                points = signal.weight * len(hits)
                total += points
                fired.append(Fired(signal.name, points, hits))
        return total, fired

    def reached(self, posting: _Reading) -> bool:
        """`weigh(posting)[0] >= threshold`, without listing the terms found."""
        total = 0.0
        for weight, most, where, mask in self.masks:
            total += weight * min((posting.terms(where) & mask).bit_count(), most)
        return total >= self.threshold

    def explain(self, posting: _Reading) -> tuple[bool, str]:
        total, fired = self.weigh(posting)
        shown = "; ".join(f"{f.name} {f.points:+g} ({', '.join(f.terms)})" for f in fired) or "no signal"
        verdict = "reaches" if total >= self.threshold else "is below"
        return total >= self.threshold, f"score {total:g} {verdict} {self.threshold:g}: {shown}"


def _sources(posting: _Reading) -> Iterable[str]:
    return () if posting.source is None else (posting.source,)


# How matching works out a condition: its round, the key of the condition (rules with the same
# key share its bit), and what registers the bit, called for the first rule that has it. Round 0
# is worked out by families of set look-ups and salary floors only, checks and term tests by
# rounds 1 and 2.
Register = Callable[[int], object]
Compiled = tuple[int, Hashable, Register]
# A condition's verdict on a posting, and what is said of it (always something when it fails).
Verdict = tuple[bool, str | None]
HOLDS: Verdict = (True, None)


class _Condition(ABC):
    """One kind of watch condition, declared once: `_compile` and `_explain` both go through
    `CONDITIONS`, so what matching tests and what explaining says cannot drift apart."""

    @abstractmethod
    def has(self, rule: WatchRule) -> bool: ...

    @abstractmethod
    def compile(self, rule: WatchRule, rules: RuleSet) -> Compiled: ...

    @abstractmethod
    def explain(self, rule: WatchRule, posting: _Reading, rules: RuleSet) -> Verdict: ...


def _checked(rules: RuleSet, number: int, check: Check) -> Register:
    assert number > 0, "round 0 runs no checks"
    return lambda bit: rules._checks[number].append((bit, check))


class _Terms(_Condition):
    """A list of terms looked for in the title alone, or in the rule's fields."""

    kind: ClassVar[str]  # "any", "all" or "none" of the terms

    def __init__(self, listed: Callable[[WatchRule], list[str]], *, title: bool = False) -> None:
        self.listed = listed
        self.title = title

    def where(self, rule: WatchRule) -> tuple[str, ...]:
        return TITLE if self.title else tuple(rule.fields)

    def has(self, rule: WatchRule) -> bool:
        return bool(self.listed(rule))

    def compile(self, rule: WatchRule, rules: RuleSet) -> Compiled:
        # Conditions on the title alone are cheap enough for round 1.
        where = self.where(rule)
        number = 1 if where == TITLE else 2
        mask = rules._lexicon.mask(self.listed(rule), where)
        want, negate = {"any": (0, True), "all": (mask, False), "none": (0, False)}[self.kind]
        tests = rules._term_tests[number].setdefault(where, [])
        return number, (self.kind, mask, where), lambda bit: tests.append((bit, mask, want, negate))

    def found(self, rule: WatchRule, posting: _Reading, rules: RuleSet) -> list[str]:
        return rules._mentioned(posting, self.listed(rule), self.where(rule))


class _AnyTerms(_Terms):
    kind = "any"

    def __init__(
        self, listed: Callable[[WatchRule], list[str]], *, title: bool = False, absent: str, said: str
    ) -> None:
        super().__init__(listed, title=title)
        self.absent, self.said = absent, said

    def explain(self, rule: WatchRule, posting: _Reading, rules: RuleSet) -> Verdict:
        if found := self.found(rule, posting, rules):
            return True, f"{self.said} {', '.join(found)}"
        return False, self.absent


class _AllTerms(_Terms):
    kind = "all"

    def explain(self, rule: WatchRule, posting: _Reading, rules: RuleSet) -> Verdict:
        present = self.found(rule, posting, rules)
        if missing := [term for term in dict.fromkeys(self.listed(rule)) if term not in present]:
            return False, f"text lacks {', '.join(missing)}"
        return HOLDS


class _NoTerms(_Terms):
    kind = "none"

    def __init__(self, listed: Callable[[WatchRule], list[str]], *, title: bool = False, said: str) -> None:
        super().__init__(listed, title=title)
        self.said = said

    def explain(self, rule: WatchRule, posting: _Reading, rules: RuleSet) -> Verdict:
        if found := self.found(rule, posting, rules):
            return False, f"{self.said} {', '.join(found)}"
        return HOLDS


class _Topic(_Condition):
    """Any of the topic's title terms, or at least `min_text` of its text terms."""

    def has(self, rule: WatchRule) -> bool:
        return rule.topic is not None

    def compile(self, rule: WatchRule, rules: RuleSet) -> Compiled:
        assert rule.topic is not None
        fields = tuple(rule.fields)
        on_title = rules._lexicon.mask(rule.topic.title, TITLE)
        in_text = rules._lexicon.mask(rule.topic.text, fields)
        least = rule.topic.min_text

        def on_topic(posting: _Reading) -> bool:
            if posting.terms(TITLE) & on_title:
                return True
            return (posting.terms(fields) & in_text).bit_count() >= least

        return 2, ("topic", on_title, in_text, least, fields), _checked(rules, 2, on_topic)

    def explain(self, rule: WatchRule, posting: _Reading, rules: RuleSet) -> Verdict:
        topic = rule.topic
        assert topic is not None
        if found := rules._mentioned(posting, topic.title, TITLE):
            return True, f"title is about {', '.join(found)}"
        if len(found := rules._mentioned(posting, topic.text, tuple(rule.fields))) >= topic.min_text:
            return True, f"text is about {', '.join(found)}"
        return False, f"only {len(found)} of {topic.min_text} topic terms in the text"


class _ScoreReached(_Condition):
    """The signals of `score` weigh at least its threshold (`_Scorer` weighs them)."""

    def has(self, rule: WatchRule) -> bool:
        return rule.score is not None

    def compile(self, rule: WatchRule, rules: RuleSet) -> Compiled:
        assert rule.score is not None
        scorer = rules._scorer(rule.score)
        return 2, ("score", rule.score.model_dump_json()), _checked(rules, 2, scorer.reached)

    def explain(self, rule: WatchRule, posting: _Reading, rules: RuleSet) -> Verdict:
        assert rule.score is not None
        return rules._scorer(rule.score).explain(posting)


class _Regex(_Condition):
    def has(self, rule: WatchRule) -> bool:
        return bool(rule.regex)

    def compile(self, rule: WatchRule, rules: RuleSet) -> Compiled:
        assert rule.regex
        fields, regex = tuple(rule.fields), re.compile(rule.regex, re.IGNORECASE)
        return (
            2,
            ("regex", rule.regex, fields),
            _checked(rules, 2, lambda posting: regex.search(posting.text(fields)) is not None),
        )

    def explain(self, rule: WatchRule, posting: _Reading, rules: RuleSet) -> Verdict:
        assert rule.regex
        if re.search(rule.regex, posting.text(tuple(rule.fields)), re.IGNORECASE):
            return HOLDS
        return False, f"text does not match /{rule.regex}/"


class _Workplace(_Condition):
    def has(self, rule: WatchRule) -> bool:
        return bool(rule.workplace)

    def compile(self, rule: WatchRule, rules: RuleSet) -> Compiled:
        workplace = frozenset(rule.workplace)
        return 0, ("workplace", workplace), lambda bit: rules._workplace.add(workplace, bit)

    def explain(self, rule: WatchRule, posting: _Reading, rules: RuleSet) -> Verdict:
        if offered := sorted(set(posting.workplace) & set(rule.workplace)):
            return True, f"workplace {', '.join(offered)}"
        shown = ", ".join(sorted(posting.workplace)) or "unknown"
        return False, f"workplace {shown} is not {' or '.join(rule.workplace)}"


class _Companies(_Condition):
    def has(self, rule: WatchRule) -> bool:
        return bool(rule.companies)

    def compile(self, rule: WatchRule, rules: RuleSet) -> Compiled:
        companies = frozenset(company.casefold() for company in rule.companies)
        return 0, ("companies", companies), lambda bit: rules._companies.add(companies, bit)

    def explain(self, rule: WatchRule, posting: _Reading, rules: RuleSet) -> Verdict:
        if posting.company in {company.casefold() for company in rule.companies}:
            return HOLDS
        return False, f"company {posting.data.get('company')!r} is not watched"


class _CompaniesNone(_Condition):
    def has(self, rule: WatchRule) -> bool:
        return bool(rule.companies_none)

    def compile(self, rule: WatchRule, rules: RuleSet) -> Compiled:
        # A check, not a family: set look-ups find the companies a posting is at, not those
        # it is not at.
        excluded = frozenset(company.casefold() for company in rule.companies_none)
        return (
            1,
            ("companies_none", excluded),
            _checked(rules, 1, lambda posting: posting.company not in excluded),
        )

    def explain(self, rule: WatchRule, posting: _Reading, rules: RuleSet) -> Verdict:
        if posting.company in {company.casefold() for company in rule.companies_none}:
            return False, f"company {posting.data.get('company')!r} is excluded"
        return HOLDS


class _Locations(_Condition):
    """Any of the posting's places is one the rule names (`rule_places`)."""

    def has(self, rule: WatchRule) -> bool:
        return bool(rule.locations)

    def compile(self, rule: WatchRule, rules: RuleSet) -> Compiled:
        places = rule_places(rule)
        return (
            1,
            ("places", places.pattern),
            _checked(rules, 1, lambda posting: any(places.search(place) for place in posting.places)),
        )

    def explain(self, rule: WatchRule, posting: _Reading, rules: RuleSet) -> Verdict:
        places = posting.places
        if any(rule_places(rule).search(place) for place in places):
            return True, f"location {'; '.join(places)}"
        return False, f"location {'; '.join(places) or 'unknown'} is not in {', '.join(rule.locations)}"


class _Sources(_Condition):
    def has(self, rule: WatchRule) -> bool:
        return bool(rule.sources)

    def compile(self, rule: WatchRule, rules: RuleSet) -> Compiled:
        sources = frozenset(rule.sources)
        return 0, ("sources", sources), lambda bit: rules._sources.add(sources, bit)

    def explain(self, rule: WatchRule, posting: _Reading, rules: RuleSet) -> Verdict:
        if posting.source in rule.sources:
            return HOLDS
        return False, f"source {posting.source!r} is not watched"


class _MinSalary(_Condition):
    """The top of the yearly range reaches the floor (`_SalaryFloors`, `salary_verdict`)."""

    def has(self, rule: WatchRule) -> bool:
        return rule.min_salary is not None

    def compile(self, rule: WatchRule, rules: RuleSet) -> Compiled:
        wanted = rule.min_salary
        assert wanted is not None
        key = ("salary", wanted.amount, wanted.currency, wanted.include_unknown)
        return 0, key, lambda bit: rules._salary.add(wanted, bit)

    def explain(self, rule: WatchRule, posting: _Reading, rules: RuleSet) -> Verdict:
        verdict = salary_verdict(rule, posting.data)
        return verdict.matched, verdict.reasons[0]


# Every watch condition, in the order of the documentation, which is the order of explaining.
CONDITIONS: tuple[_Condition, ...] = (
    _AnyTerms(
        lambda rule: rule.title_any,
        title=True,
        absent="title has none of the rule's title terms",
        said="title mentions",
    ),
    _NoTerms(lambda rule: rule.title_none, title=True, said="title mentions excluded"),
    _Topic(),
    _ScoreReached(),
    _AnyTerms(lambda rule: rule.any, absent="text has none of the rule's terms", said="mentions"),
    _AllTerms(lambda rule: rule.all),
    _NoTerms(lambda rule: rule.none, said="text mentions excluded"),
    _Regex(),
    _Workplace(),
    _Companies(),
    _CompaniesNone(),
    _Locations(),
    _Sources(),
    _MinSalary(),
)


class RuleSet:
    """Resolved watch rules, tested together against one posting at a time."""

    ROUNDS = 3  # 0: sets and salary, 1: places and the title, 2: other fields and regexes

    def __init__(self, rules: Iterable[WatchRule]) -> None:
        self.rules = list(rules)
        self._lexicon = _Lexicon()
        self._sources = _Members(_sources)
        self._companies = _Members(lambda posting: (posting.company,))
        self._workplace = _Members(lambda posting: posting.workplace)
        self._salary = _SalaryFloors()
        self._keys: dict[Hashable, int] = {}
        self._scorers: dict[int, _Scorer] = {}  # by id of the rule's `score`
        self._checks: list[list[tuple[int, Check]]] = [[] for _ in range(self.ROUNDS)]
        # Term conditions, per round and fields read: (bit, mask, want, negate) holds when
        # `(found & mask == want) != negate` for the bits `found` of the terms the fields mention.
        self._term_tests: list[dict[tuple[str, ...], list[TermTest]]] = [{} for _ in range(self.ROUNDS)]
        groups: dict[tuple[int, ...], list[WatchRule]] = {}
        for rule in self.rules:
            groups.setdefault(self._compile(rule), []).append(rule)
        self._groups = list(groups.items())
        # Which groups stand and what they need, per round and set of conditions satisfied.
        self._plans: list[dict[int, tuple[list[Group], int]]] = [{} for _ in range(self.ROUNDS)]
        self._results: dict[int, list[WatchRule]] = {}
        self._scanners = self._lexicon.scanners()
        # The round-0 conditions some rule has, each kind worked out at once.
        families = (self._sources, self._companies, self._workplace, self._salary)
        self._families: list[Callable[[_Reading], int]] = [family for family in families if family]

    def matching(self, data: dict[str, Any], source: str | None = None) -> list[WatchRule]:
        """The rules a posting (a version's data) matches, grouped by their conditions."""
        posting = _Reading(data, source, self._scanners)
        satisfied = 0
        for family in self._families:
            satisfied |= family(posting)
        standing = self._groups
        for number in range(1, self.ROUNDS):
            standing, needed = self._standing(number, standing, satisfied)
            if not needed:
                continue
            for where, tests in self._term_tests[number].items():
                found = -1
                for bit, mask, want, negate in tests:
                    if needed & bit:
                        if found < 0:
                            found = posting.terms(where)
                        if (found & mask == want) != negate:
                            satisfied |= bit
            for bit, check in self._checks[number]:
                if needed & bit and check(posting):
                    satisfied |= bit
        return self._matched(standing, satisfied)

    def _standing(self, number: int, groups: list[Group], satisfied: int) -> tuple[list[Group], int]:
        """The groups whose conditions of earlier rounds all hold, and the conditions of round
        `number` they need. A function of `satisfied` (groups are fixed by it), so remembered."""
        known = self._plans[number].get(satisfied)
        if known is None:
            earlier = number - 1
            standing = [group for group in groups if satisfied & group[0][earlier] == group[0][earlier]]
            needed = 0
            for masks, _ in standing:
                needed |= masks[number]
            known = self._remember(self._plans[number], satisfied, (standing, needed))
        return known

    def _matched(self, standing: list[Group], satisfied: int) -> list[WatchRule]:
        found = self._results.get(satisfied)
        if found is None:
            last = self.ROUNDS - 1
            found = [
                rule for masks, rules in standing if satisfied & masks[last] == masks[last] for rule in rules
            ]
            self._remember(self._results, satisfied, found)
        return list(found)

    @staticmethod
    def _remember(memo: dict[int, Any], key: int, value: Any) -> Any:
        if len(memo) >= 4096:  # bounded: conditions rarely combine in more ways than this
            memo.clear()
        memo[key] = value
        return value

    def explain(self, data: dict[str, Any], source: str | None = None) -> list[Match]:
        """Each rule's verdict on a posting, with reasons (same order as `rules`)."""
        posting = _Reading(data, source, self._scanners)
        return [self._explain(rule, posting) for rule in self.rules]

    def _compile(self, rule: WatchRule) -> tuple[int, ...]:
        """The bits of a rule's conditions, one mask per round."""
        masks = [0] * self.ROUNDS
        for condition in CONDITIONS:
            if condition.has(rule):
                number, key, register = condition.compile(rule, self)
                bit = self._keys.get(key)
                if bit is None:
                    bit = self._keys[key] = 1 << len(self._keys)
                    register(bit)
                masks[number] |= bit
        return tuple(masks)

    def _scorer(self, score: Score) -> _Scorer:
        scorer = self._scorers.get(id(score))
        if scorer is None:
            scorer = self._scorers[id(score)] = _Scorer(score, self._lexicon)
        return scorer

    def _mentioned(self, posting: _Reading, terms: list[str], where: tuple[str, ...]) -> list[str]:
        """The terms (each once, in order) the fields mention."""
        found = posting.terms(where) if terms else 0
        bits = self._lexicon.bits
        return list(dict.fromkeys(term for term in terms if found & bits[term]))

    def _explain(self, rule: WatchRule, posting: _Reading) -> Match:
        """The verdict with reasons, conditions in the order of the rule's documentation."""
        reasons: list[str] = []
        for condition in CONDITIONS:
            if condition.has(rule):
                holds, reason = condition.explain(rule, posting, self)
                if reason is not None:
                    reasons.append(reason)
                if not holds:
                    return Match(False, reasons)
        return Match(True, reasons)


def salary_verdict(rule: WatchRule, data: dict[str, Any]) -> Match:
    assert rule.min_salary is not None
    wanted = rule.min_salary
    top = salary_top(data)
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
