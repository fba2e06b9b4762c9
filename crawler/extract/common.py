"""Helpers shared by the extraction functions."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from typing import Any

from crawler.items import ExtractResult, RawPosting


def text_or_none(value: Any) -> str | None:
    """A stripped string, or None for missing/blank values. Only text and numbers are text: an
    object or list where a board should send a string is no value, not its Python repr."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value).strip()
    return text or None


def unescape_html(value: Any) -> str | None:
    """Boards send descriptions entity-escaped, sometimes twice; undo until stable. Anything
    but a string (a list, a number where the HTML should be) is no description."""
    if not isinstance(value, str):
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
        if external_id is not None and "\x00" in external_id:  # as RawPosting stores it
            external_id = external_id.replace("\x00", "") or None
        if external_id is None or title is None:
            dropped.append(f"{label}[{index}]: missing {id_key if external_id is None else 'title'}")
            continue
        yield index, item, external_id, title


def read_each(
    items: list[Any],
    result: ExtractResult,
    label: str,
    build: Callable[[int, dict[str, Any], str, str], RawPosting | None],
    id_key: str = "id",
    title_key: str = "title",
) -> Iterator[RawPosting]:
    """`build(index, item, id, title)` for each identified item, one at a time: an item it
    cannot read (a field of an unexpected type, a value nested too deep) is recorded in
    `result.unreadable` under its id, and the others are read on. None from `build`: dropped
    (it says why in `result.dropped`)."""
    for index, item, external_id, title in identified(items, result.dropped, label, id_key, title_key):
        try:
            posting = build(index, item, external_id, title)
        except DATA_ERRORS as error:  # what a malformed job can raise: it alone is left out
            result.unreadable[external_id] = unreadable(f"{label}[{index}]", external_id, error)
            continue
        if posting is not None:
            yield posting


# What reading a job of unexpected shape raises (a string where an object was expected, a figure
# such as 1e400, a value nested too deep); a bug in an extractor (NameError, ...) is not hidden.
DATA_ERRORS = (AttributeError, TypeError, ValueError, KeyError, IndexError, OverflowError, RecursionError)


def unreadable(where: str, external_id: str, error: BaseException) -> str:
    return f"{where} (id {external_id[:80]}): cannot read it ({type(error).__name__}: {str(error)[:200]})"
