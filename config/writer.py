"""Adding sources to a config file in place, keeping its comments, order and formatting.

The file is edited through ruamel.yaml's round-trip mode: every comment and key stays where it
was, and the new sources are appended to `sources:` (created at the end when absent). A board
already in the file (same type, board and api_base) is not added again.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML, YAMLError
from ruamel.yaml.comments import CommentedMap, CommentedSeq


@dataclass(frozen=True)
class NewSource:
    name: str
    type: str
    board: str
    api_base: str | None = None

    def key(self) -> tuple[str, str, str | None]:
        return (self.type, self.board, _base(self.api_base))


def _base(api_base: object) -> str | None:
    return str(api_base).rstrip("/") if api_base else None


def add_sources(path: Path, sources: Iterable[NewSource]) -> tuple[list[NewSource], list[NewSource]]:
    """Append the sources the file does not have yet; (added, already there). The new entries
    are written as lines of text in the style of the existing ones, so nothing else in the
    file changes; it is replaced atomically, so a failure leaves it as it was."""
    path = path.resolve()  # a config behind a symlink is edited where it lives
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    try:
        document = YAML(typ="rt").load(text) if text.strip() else CommentedMap()
    except YAMLError as error:
        raise ValueError(f"{path}: not readable YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(document, CommentedMap):
        raise ValueError(f"{path}: the config is not a mapping of settings")
    listed = document.get("sources")
    if listed is not None and not isinstance(listed, CommentedSeq):
        raise ValueError(f"{path}: `sources` is not a list")
    entries = [entry for entry in listed or [] if isinstance(entry, dict)]
    present = {_key(entry) for entry in entries}
    names = {str(entry.get("name")) for entry in entries}
    added, skipped = [], []
    for source in sources:
        if source.key() in present:
            skipped.append(source)
            continue
        name = _free_name(source.name, names)
        present.add(source.key())
        names.add(name)
        added.append(NewSource(name, source.type, source.board, source.api_base))
    if added:
        _replace(path, _with_sources(text, document, listed, added))
    return added, skipped


def _with_sources(
    text: str, document: CommentedMap, listed: CommentedSeq | None, new: list[NewSource]
) -> str:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    block = ["sources:\n", *(_entry(source, 2, flow=False) for source in new)]
    if not listed:  # no sources yet: a block list in place of `sources:` / `[]` / `~`, or at the end
        if "sources" not in document:
            return "".join(lines + block)
        start, end = document.lc.key("sources")[0], _end_of(document, "sources", lines)
        return "".join(lines[:start] + block + lines[end:])
    if listed.fa.flow_style():
        raise ValueError("`sources` is written as a flow list ([...]): write it as a block list to add to it")
    dash = max(0, listed.lc.item(0)[1] - 2)
    first = listed[0]
    flow = isinstance(first, CommentedMap) and first.fa.flow_style()
    end = _end_of(document, "sources", lines)
    lines[end:end] = [_entry(source, dash, flow) for source in new]
    return "".join(lines)


def _end_of(document: CommentedMap, key: str, lines: list[str]) -> int:
    """The line after `key`'s value: the next key's, less the blank lines and comments just
    above it (they belong to it)."""
    keys = list(document.keys())
    after = keys.index(key) + 1
    end = document.lc.key(keys[after])[0] if after < len(keys) else len(lines)
    while end > document.lc.key(key)[0] + 1 and (
        not lines[end - 1].strip() or lines[end - 1].startswith("#")
    ):
        end -= 1
    return end


def _entry(source: NewSource, dash: int, flow: bool) -> str:
    fields = [("name", source.name), ("type", source.type), ("board", source.board)]
    if source.api_base:
        fields.append(("api_base", source.api_base))
    pad = " " * dash
    if flow:
        return pad + "- {" + ", ".join(f"{key}: {_scalar(value)}" for key, value in fields) + "}\n"
    head, *rest = fields
    return "".join(
        [f"{pad}- {head[0]}: {_scalar(head[1])}\n", *(f"{pad}  {k}: {_scalar(v)}\n" for k, v in rest)]
    )


_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def _scalar(value: str) -> str:
    """A YAML scalar for the value: plain where YAML reads it back as this string, else quoted."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value)


def _key(entry: dict[str, Any]) -> tuple[str, str, str | None]:
    return (str(entry.get("type")), str(entry.get("board")), _base(entry.get("api_base")))


def _free_name(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    n = 2
    while f"{name}-{n}" in taken:
        n += 1
    return f"{name}-{n}"


def _replace(path: Path, text: str) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
