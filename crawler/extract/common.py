"""Helpers shared by the extraction functions."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any


def text_or_none(value: Any) -> str | None:
    """A stripped string, or None for missing/blank values."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def unescape_html(value: str | None) -> str | None:
    """Boards send descriptions entity-escaped, sometimes twice; undo until stable."""
    if value is None:
        return None
    for _ in range(3):
        unescaped = unescape(value)
        if unescaped == value:
            break
        value = unescaped
    return value


# The entities escaped HTML is made of, "&amp;" last: a replacement never yields an "&", so
# none can make another entity, and "&amp;lt;" still becomes "&lt;" as in one pass.
_COMMON_ENTITIES = (
    ("&lt;", "<"),
    ("&gt;", ">"),
    ("&quot;", '"'),
    ("&#39;", "'"),
    ("&nbsp;", "\xa0"),
    ("&amp;", "&"),
)


def unescape(value: str) -> str:
    """`html.unescape`, by plain replacement when every "&" starts one of the common entities
    (html.unescape calls back into Python for each entity: a board's worth is thousands)."""
    ampersands = value.count("&")
    if not ampersands:
        return value
    if sum(value.count(entity) for entity, _ in _COMMON_ENTITIES) != ampersands:
        return html.unescape(value)
    for entity, character in _COMMON_ENTITIES:
        value = value.replace(entity, character)
    return value


def names(items: Any, key: str = "name") -> list[str]:
    """The non-blank `key` values of a list of dicts (Greenhouse offices, departments...)."""
    if not isinstance(items, list):
        return []
    found = [text_or_none(item.get(key)) for item in items if isinstance(item, dict)]
    return [name for name in found if name]


def label(value: Any, key: str = "label") -> str | None:
    """`value[key]` of a `{"id": ..., "label": ...}` style object, or None."""
    return text_or_none(value.get(key)) if isinstance(value, dict) else None


def join_parts(*parts: Any, separator: str = ", ") -> str | None:
    """The non-blank parts joined ("Austin", None, "US" → "Austin, US"), or None."""
    found = [text for text in (text_or_none(part) for part in parts) if text]
    return separator.join(found) or None


def identified(
    items: list[Any], dropped: list[str], label: str, id_key: str = "id", title_key: str = "title"
) -> Iterator[tuple[int, dict[str, Any], str, str]]:
    """(index, item, id, title) for each item that is an object with an id and a title; the
    others are recorded in `dropped` as `label[index]: reason`."""
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            dropped.append(f"{label}[{index}]: not an object")
            continue
        external_id, title = text_or_none(item.get(id_key)), text_or_none(item.get(title_key))
        if external_id is None or title is None:
            dropped.append(f"{label}[{index}]: missing {id_key if external_id is None else 'title'}")
            continue
        yield index, item, external_id, title
