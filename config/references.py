"""Checks across a whole config: names used twice and references to names that do not exist.

Each problem carries the location of the reference that is wrong (as pydantic's error
locations do), so the loader can name its line in the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from config.presets import PRESETS
from config.schema import Config
from config.watches import MAX_CHAIN, chain_lengths

Location = tuple[Any, ...]


def reference_problems(config: Config) -> list[tuple[Location, str]]:
    return [*_missing_sources(config), *_names_used_twice(config), *_unknown_references(config)]


def _missing_sources(config: Config) -> Iterator[tuple[Location, str]]:
    if not config.sources:
        yield (), "no sources: list at least one board under `sources:` (see config/rolewatch.example.yaml)"


def _names_used_twice(config: Config) -> Iterator[tuple[Location, str]]:
    for kind, section, keys, names in (
        ("source name", "sources", ["name"] * len(config.sources), [s.name for s in config.sources]),
        ("watch name", "watches", ["name"] * len(config.watches), [w.name for w in config.watches]),
        (
            "recipient",
            "recipients",
            [r.channel for r in config.recipients],
            [r.address.casefold() for r in config.recipients],
        ),
    ):
        first: dict[str, int] = {}
        for index, (key, name) in enumerate(zip(keys, names, strict=True)):
            if name in first:
                why = f"{kind} {name!r} is used more than once (first at {section}[{first[name]}])"
                yield (section, index, key), why
            else:
                first[name] = index


def _unknown_references(config: Config) -> Iterator[tuple[Location, str]]:
    source_names = {source.name for source in config.sources}
    by_name = {watch.name: watch for watch in config.watches}
    lengths = chain_lengths(config.watches)
    for index, watch in enumerate(config.watches):
        if watch.extends and watch.extends not in PRESETS and watch.extends not in by_name:
            known = ", ".join(sorted(PRESETS))
            yield (
                ("watches", index, "extends"),
                f"watch {watch.name!r} extends unknown preset {watch.extends!r} (known: {known})",
            )
        elif lengths[watch.name] is None:
            why = f"watch {watch.name!r} extends itself through {watch.extends!r}"
            yield ("watches", index, "extends"), why
        elif lengths[watch.name] == MAX_CHAIN + 1:
            # Only where the chain first runs too long: the watches that extend this one follow.
            why = (
                f"watch {watch.name!r} extends a chain of {MAX_CHAIN} watches already, the most there may be"
            )

            yield ("watches", index, "extends"), why
        for position, name in enumerate(watch.sources):
            if name not in source_names:
                yield (
                    ("watches", index, "sources", position),
                    f"watch {watch.name!r} is limited to unknown source {name!r}",
                )
    for index, recipient in enumerate(config.recipients):
        for position, followed in enumerate(recipient.watches):
            if followed not in by_name:
                yield (
                    ("recipients", index, "watches", position),
                    f"recipient {recipient.address} follows unknown watch {followed!r}",
                )
