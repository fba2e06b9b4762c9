"""Content hashes over material fields, and fingerprints linking one job across sources."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from typing import Any


def content_hash(material: dict[str, Any]) -> str:
    """Stable over key order and whitespace; changes only when a material value changes."""
    canonical = {key: canonical_value(value) for key, value in sorted(material.items())}
    encoded = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def canonical_value(value: Any) -> Any:
    """A value as compared for changes: whitespace collapsed, 1.0 equal to 1."""
    if isinstance(value, str):
        return " ".join(value.split())  # the same as collapsing r"\s+" and stripping, faster
    if isinstance(value, list):
        return [canonical_value(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def fingerprint(company: str | None, title: str, locations: list[str]) -> str:
    """The same job seen through two sources shares this (company, title, locations) digest."""
    parts = [_fold(company or ""), _fold(title), "|".join(sorted(_fold(loc) for loc in locations))]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).casefold()
    return " ".join(re.findall(r"[a-z0-9]+", text))
