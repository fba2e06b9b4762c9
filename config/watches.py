"""`extends:` resolved once, when the config is validated: every watch in a `Config` carries the
conditions of its whole chain (presets or other watches), so matching never looks them up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from config.presets import PRESETS

if TYPE_CHECKING:
    from config.schema import WatchRule

# Conditions that add up along a chain; every other setting of a rule replaces its base's.
LIST_KEYS = (
    "any", "all", "none", "title_any", "title_none", "workplace", "companies", "companies_none",
    "sources", "locations", "changed_fields",
)  # fmt: skip

# Watches a chain of `extends` may hold, the first included; people write two or three.
MAX_CHAIN = 16


def resolve(rule: WatchRule, by_name: Mapping[str, WatchRule] | None = None) -> WatchRule:
    """The rule with its chain merged in; `extends` stays, to say where it came from.

    Resolving a resolved rule again gives the same rule (a config crosses to crawl processes as
    JSON and is validated there again). An unknown, circular or too long chain is left as it
    is, for `config.references` to report at its line.
    """
    return _resolve(rule, by_name or {}, seen=(rule.name,))


def resolve_all(watches: list[WatchRule]) -> list[WatchRule]:
    """Every watch resolved; shorter chains first, so that each watch is merged once, into its
    base's resolved rule, however long the chains."""
    by_name = {watch.name: watch for watch in watches}
    lengths = chain_lengths(watches)
    resolved: dict[str, WatchRule] = {}
    for name in sorted(by_name, key=lambda name: lengths[name] or 0):
        rule, length = by_name[name], lengths[name]
        if length is not None and length <= MAX_CHAIN:
            base = _preset(rule.extends) or resolved.get(rule.extends or "")
            resolved[name] = _merged(rule, base) if base else rule
    # A name used twice (an error the references report) keeps its own resolution.
    return [resolved.get(w.name, w) if w is by_name[w.name] else resolve(w, by_name) for w in watches]


def _resolve(rule: WatchRule, by_name: Mapping[str, WatchRule], seen: tuple[str, ...]) -> WatchRule:
    if not rule.extends:
        return rule
    if base := _preset(rule.extends):
        return _merged(rule, base)
    if rule.extends in by_name and rule.extends not in seen and len(seen) < MAX_CHAIN:
        return _merged(rule, _resolve(by_name[rule.extends], by_name, (*seen, rule.extends)))
    return rule


def _preset(name: str | None) -> WatchRule | None:
    from config.schema import WatchRule

    return WatchRule(name=name, **PRESETS[name]) if name in PRESETS else None


def _merged(rule: WatchRule, base: WatchRule) -> WatchRule:
    from config.schema import WatchRule

    # Defaults never override the base: a config round-tripped through JSON has every key set.
    given = rule.model_dump(exclude_defaults=True)
    merged = base.model_dump(exclude_defaults=True, exclude={"name", "extends"})
    for key, value in given.items():
        if key in LIST_KEYS:
            merged[key] = list(dict.fromkeys([*merged.get(key, []), *value]))
        else:
            merged[key] = value
    return WatchRule(**merged)


def chain_lengths(watches: Sequence[WatchRule]) -> dict[str, int | None]:
    """How many watches each watch's chain holds, itself included; None for a chain that comes
    back on itself. Each watch is walked once, however long the chains."""
    by_name = {watch.name: watch for watch in watches}
    lengths: dict[str, int | None] = {}
    for start in by_name:
        path: list[str] = []
        on_path: set[str] = set()
        name: str | None = start
        while name is not None and name not in lengths and name not in on_path:
            path.append(name)
            on_path.add(name)
            following = by_name[name].extends
            name = following if following in by_name and following not in PRESETS else None
        length = 0 if name is None else None if name in on_path else lengths[name]
        for walked in reversed(path):
            length = None if length is None else length + 1
            lengths[walked] = length
    return lengths
