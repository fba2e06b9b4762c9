"""Watch-rule matching: pure functions from (rule, posting data, event) to a yes/no with reasons."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from config.presets import PRESETS
from config.schema import Config, Topic, WatchRule

_LIST_KEYS = (
    "any", "all", "none", "title_any", "title_none", "workplace", "companies", "sources", "locations",
    "changed_fields",
)  # fmt: skip

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
# Diff keys grouped under the names people use in `changed_fields`.
FIELD_GROUPS = {
    "salary": {"salary_min", "salary_max", "salary_currency", "salary_period"},
    "location": {"locations"},
    "locations": {"locations"},
}


def resolve(rule: WatchRule, config: Config | None = None) -> WatchRule:
    """The rule with its `extends:` chain (presets or other watches) merged in."""
    if not rule.extends:
        return rule
    if rule.extends in PRESETS:
        base = WatchRule(name=rule.extends, **PRESETS[rule.extends])
    elif config is not None:
        base = resolve(config.watch(rule.extends), config)
    else:
        raise KeyError(rule.extends)
    # Defaults never override the base: a config round-tripped through JSON has every key set.
    given = rule.model_dump(exclude_defaults=True, exclude={"extends"})
    merged = base.model_dump(exclude_defaults=True, exclude={"name"})
    for key, value in given.items():
        if key in _LIST_KEYS:
            merged[key] = list(dict.fromkeys([*merged.get(key, []), *value]))
        else:
            merged[key] = value
    return WatchRule(**merged)


@lru_cache(maxsize=4096)
def term_pattern(term: str) -> re.Pattern[str]:
    """Whole words, case-folded; a trailing plural "s"/"es" is accepted ("database(s)")."""
    words = [re.escape(word) for word in term.split()]
    body = r"[\s\-/]+".join(words)
    plural = "(?:s|es)?" if term[-1:].isalpha() else ""
    return re.compile(rf"(?<![\w]){body}{plural}(?![\w])", re.IGNORECASE)


def found_terms(terms: Iterable[str], text: str) -> list[str]:
    return [term for term in terms if term_pattern(term).search(text)]


@dataclass
class Match:
    matched: bool
    reasons: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.matched


def match_posting(rule: WatchRule, data: dict[str, Any], source: str | None = None) -> Match:
    """Does a posting (a version's data) satisfy every condition of a resolved rule?"""
    reasons: list[str] = []
    title = data.get("title") or ""
    texts = {
        "title": title,
        "description": data.get("description") or "",
        "department": data.get("department") or "",
    }
    body = "\n".join(texts[name] for name in rule.fields)

    def fail(reason: str) -> Match:
        return Match(False, [*reasons, reason])

    if rule.title_any:
        hits = found_terms(rule.title_any, title)
        if not hits:
            return fail("title has none of the rule's title terms")
        reasons.append(f"title mentions {', '.join(hits)}")
    if hits := found_terms(rule.title_none, title):
        return fail(f"title mentions excluded {', '.join(hits)}")
    if rule.topic is not None:
        verdict = _topic(rule.topic, title, body)
        if not verdict:
            return fail(verdict.reasons[0])
        reasons.extend(verdict.reasons)
    if rule.any:
        hits = found_terms(rule.any, body)
        if not hits:
            return fail("text has none of the rule's terms")
        reasons.append(f"mentions {', '.join(hits)}")
    if rule.all and (missing := [t for t in rule.all if not term_pattern(t).search(body)]):
        return fail(f"text lacks {', '.join(missing)}")
    if hits := found_terms(rule.none, body):
        return fail(f"text mentions excluded {', '.join(hits)}")
    if rule.regex and not re.search(rule.regex, body, re.IGNORECASE):
        return fail(f"text does not match /{rule.regex}/")
    if rule.workplace:
        offered = set(data.get("workplace") or [])
        if not offered & set(rule.workplace):
            shown = ", ".join(sorted(offered)) or "unknown"
            return fail(f"workplace {shown} is not {' or '.join(rule.workplace)}")
        reasons.append(f"workplace {', '.join(sorted(offered & set(rule.workplace)))}")
    if rule.companies and (data.get("company") or "").casefold() not in {
        company.casefold() for company in rule.companies
    }:
        return fail(f"company {data.get('company')!r} is not watched")
    if rule.locations:
        places = data.get("locations") or []
        wanted = [alias for place in rule.locations for alias in location_aliases(place)]
        if not any(found_terms(wanted, place) for place in places):
            return fail(f"location {'; '.join(places) or 'unknown'} is not in {', '.join(rule.locations)}")
        reasons.append(f"location {'; '.join(places)}")
    if rule.sources and source not in rule.sources:
        return fail(f"source {source!r} is not watched")
    if rule.min_salary is not None:
        verdict = _salary(rule, data)
        if not verdict:
            return fail(verdict.reasons[0])
        reasons.extend(verdict.reasons)
    return Match(True, reasons)


def _topic(topic: Topic, title: str, body: str) -> Match:
    if hits := found_terms(topic.title, title):
        return Match(True, [f"title is about {', '.join(hits)}"])
    hits = found_terms(topic.text, body)
    if len(hits) >= topic.min_text:
        return Match(True, [f"text is about {', '.join(hits)}"])
    return Match(False, [f"only {len(hits)} of {topic.min_text} topic terms in the text"])


def _salary(rule: WatchRule, data: dict[str, Any]) -> Match:
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


def location_aliases(place: str) -> list[str]:
    return LOCATION_ALIASES.get(place.casefold().strip(), [place])


def event_wanted(rule: WatchRule, event_type: str, diff: dict[str, Any] | None = None) -> bool:
    """Is this kind of event wanted, and for `changed`, did a field the rule cares about change?"""
    if event_type not in rule.events:
        return False
    if event_type != "changed" or not rule.changed_fields:
        return True
    cared = set().union(*(FIELD_GROUPS.get(name, {name}) for name in rule.changed_fields))
    return bool(cared & set(diff or {}))
