"""Field-level differences between two versions of a posting."""

from __future__ import annotations

import difflib
from typing import Any

from pipeline.identity import canonical_value


def field_diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """`{field: {"old": a, "new": b}}` for each material field that changed.

    The description is shown as a unified line diff, not two copies of the whole text.
    """
    changes: dict[str, Any] = {}
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if canonical_value(before) == canonical_value(after):
            continue
        if name == "description":
            changes[name] = {"lines": description_diff(before or "", after or "")}
        else:
            changes[name] = {"old": before, "new": after}
    return changes


def description_diff(old: str, new: str, context: int = 1) -> list[str]:
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=context)
    return [line for line in lines if not line.startswith(("---", "+++"))]
