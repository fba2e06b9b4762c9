"""`extends:` resolved once, when the config is validated: every watch in a `Config` carries the
conditions of its whole chain (presets or other watches), so matching never looks them up."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from config.presets import PRESETS

if TYPE_CHECKING:
    from config.schema import WatchRule

# Conditions that add up along a chain; every other setting of a rule replaces its base's.
LIST_KEYS = (
    "any", "all", "none", "title_any", "title_none", "workplace", "companies", "companies_none",
    "sources", "locations", "changed_fields",
)  # fmt: skip


def resolve(rule: WatchRule, by_name: Mapping[str, WatchRule] | None = None) -> WatchRule:
    """The rule with its chain merged in; `extends` stays, to say where it came from.

    Resolving a resolved rule again gives the same rule (a config crosses to crawl processes as
    JSON and is validated there again). An unknown or circular chain is left as it is, for
    `config.references` to report at its line.
    """
    return _resolve(rule, by_name or {}, seen=(rule.name,))


def resolve_all(watches: list[WatchRule]) -> list[WatchRule]:
    by_name = {watch.name: watch for watch in watches}
    return [resolve(watch, by_name) for watch in watches]


def _resolve(rule: WatchRule, by_name: Mapping[str, WatchRule], seen: tuple[str, ...]) -> WatchRule:
    from config.schema import WatchRule

    if not rule.extends:
        return rule
    if rule.extends in PRESETS:
        base = WatchRule(name=rule.extends, **PRESETS[rule.extends])
    elif rule.extends in by_name and rule.extends not in seen:
        base = _resolve(by_name[rule.extends], by_name, (*seen, rule.extends))
    else:
        return rule
    # Defaults never override the base: a config round-tripped through JSON has every key set.
    given = rule.model_dump(exclude_defaults=True)
    merged = base.model_dump(exclude_defaults=True, exclude={"name", "extends"})
    for key, value in given.items():
        if key in LIST_KEYS:
            merged[key] = list(dict.fromkeys([*merged.get(key, []), *value]))
        else:
            merged[key] = value
    return WatchRule(**merged)
