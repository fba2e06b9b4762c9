"""Read a YAML config into the typed model, reporting every problem as `file:line:col: path: why`.

ruamel.yaml's round-trip loader keeps the position of every key and item, so pydantic's error
locations can be translated back to the place in the file a person has to edit.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from config.references import reference_problems
from config.schema import Config

EXAMPLE = "config/rolewatch.example.yaml"
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(Exception):
    """Raised by the loader when a config file cannot be used; `problems` lists each one.

    Nothing has been touched when it is raised: callers load the config before opening the
    database.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def load_config(path: str | os.PathLike[str], env: dict[str, str] | None = None) -> Config:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError([f"{path}: cannot read config: {error.strerror or error}"]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line, column = before.count(b"\n") + 1, error.start - (before.rfind(b"\n") + 1) + 1
        raise ConfigError(
            [f"{path}:{line}:{column}: the config is not UTF-8 text (byte 0x{data[error.start]:02x} here)"]
        ) from None
    return parse_config(text, str(path), env)


def parse_config(text: str, filename: str = "<config>", env: dict[str, str] | None = None) -> Config:
    env = dict(os.environ) if env is None else env
    try:
        tree = YAML(typ="rt").load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else filename
        raise ConfigError([f"{where}: invalid YAML: {error.problem or error.context}"]) from None
    if tree is None:
        raise ConfigError(
            [f"{filename}:1:1: the config is empty: it needs `sources:` at least (see {EXAMPLE})"]
        )
    if not isinstance(tree, CommentedMap):
        raise ConfigError([f"{filename}:1:1: the config must be a mapping of settings"])

    problems: list[str] = []
    data = _interpolate(tree, tree, (), filename, env, problems)
    if problems:
        raise ConfigError(problems)
    try:
        config = Config.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_describe(error, tree, filename)) from None
    if found := reference_problems(config):
        raise ConfigError(
            [f"{_position(filename, tree, loc)}: {_dotted(loc) or '(top)'}: {why}" for loc, why in found]
        )
    return config


def _interpolate(
    tree: Any,
    node: Any,
    path: tuple[Any, ...],
    filename: str,
    env: dict[str, str],
    problems: list[str],
) -> Any:
    """Plain Python data with `${VAR}` / `${VAR:-default}` replaced from the environment."""
    if isinstance(node, dict):
        return {k: _interpolate(tree, v, (*path, k), filename, env, problems) for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate(tree, v, (*path, i), filename, env, problems) for i, v in enumerate(node)]
    if isinstance(node, str) and "${" in node and not _expanded_when_sent(path):

        def substitute(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            problems.append(
                f"{_position(filename, tree, path)}: {_dotted(path)}: environment variable {name} is not set"
            )
            return ""

        return ENV_REF.sub(substitute, node)
    return node


def _expanded_when_sent(path: tuple[Any, ...]) -> bool:
    """A recipient's Apprise or webhook URL keeps its `${VAR}`s until a digest is sent: the
    address a recipient's digests are stored under then holds no token, and a new token
    keeps the recipient's history."""
    return len(path) == 3 and path[0] == "recipients" and path[2] in ("notify", "webhook")


def _describe(error: ValidationError, tree: CommentedMap, filename: str) -> list[str]:
    problems = []
    for item in error.errors():
        loc = tuple(part for part in item["loc"] if not _is_union_tag(part))
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown setting"
        elif item["type"] == "missing":
            message = "required setting is missing"
        problems.append(f"{_position(filename, tree, loc)}: {_dotted(loc) or '(top)'}: {message}")
    return problems


def _is_union_tag(part: Any) -> bool:
    # pydantic adds the union member's type name to locations inside `X | None` fields.
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "float", "bool"})


def _position(filename: str, tree: Any, loc: Sequence[Any]) -> str:
    """file:line:col of the deepest node of `loc` that exists in the YAML tree."""
    line, col = 0, 0
    node = tree
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line, col = node.lc.key(part)
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line, col = node.lc.item(part)
            node = node[part]
        else:
            if isinstance(node, CommentedMap | CommentedSeq) and (line, col) == (0, 0):
                line, col = node.lc.line, node.lc.col
            break
    return f"{filename}:{line + 1}:{col + 1}"


def _dotted(loc: Sequence[Any]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
