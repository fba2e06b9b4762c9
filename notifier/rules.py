"""Watch-rule matching: pure functions from (rule, posting data, event) to a yes/no with reasons."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from config.schema import WatchRule
from notifier.matcher import LOCATION_ALIASES, Match, RuleSet, location_aliases
from notifier.textscan import term_pattern
from pipeline.states import EventType

__all__ = [
    "LOCATION_ALIASES",
    "Match",
    "RuleSet",
    "event_wanted",
    "found_terms",
    "location_aliases",
    "match_posting",
    "term_pattern",
]

# Diff keys grouped under the names people use in `changed_fields`.
FIELD_GROUPS = {
    "salary": {"salary_min", "salary_max", "salary_currency", "salary_period"},
    "location": {"locations"},
    "locations": {"locations"},
}


def found_terms(terms: Iterable[str], text: str) -> list[str]:
    return [term for term in terms if term_pattern(term).search(text)]


def match_posting(rule: WatchRule, data: dict[str, Any], source: str | None = None) -> Match:
    """Does a posting (a version's data) satisfy every condition of a resolved rule, and why?
    (To test many postings or rules, build one `RuleSet` and keep it.)"""
    return RuleSet([rule]).explain(data, source)[0]


def event_wanted(rule: WatchRule, event_type: str, diff: dict[str, Any] | None = None) -> bool:
    """Is this kind of event wanted, and for `changed`, did a field the rule cares about change?"""
    if event_type not in rule.events:
        return False
    if event_type != EventType.CHANGED or not rule.changed_fields:
        return True
    cared = set().union(*(FIELD_GROUPS.get(name, {name}) for name in rule.changed_fields))
    return bool(cared & set(diff or {}))
