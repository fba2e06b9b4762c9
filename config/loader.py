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
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from config.errors import ConfigError
from config.references import reference_problems
from config.schema import Config
from config.yamlfile import decode_config, parse_yaml, read_config_bytes

__all__ = ["ConfigError", "load_config", "parse_config"]

EXAMPLE = "config/rolewatch.example.yaml"
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def load_config(path: str | os.PathLike[str], env: dict[str, str] | None = None) -> Config:
    path = Path(path)
    return parse_config(decode_config(read_config_bytes(path), str(path)), str(path), env)


def parse_config(text: str, filename: str = "<config>", env: dict[str, str] | None = None) -> Config:
    env = dict(os.environ) if env is None else env
    tree = parse_yaml(text, filename)
    if tree is None:
        raise ConfigError(
            [f"{filename}:1:1: the config is empty: it needs `sources:` at least (see {EXAMPLE})"]
        )
    if not isinstance(tree, CommentedMap):
        raise ConfigError([f"{filename}:1:1: the config must be a mapping of settings"])

    problems: list[str] = []
    data = _interpolate(tree, filename, env, problems)
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


def _interpolate(tree: CommentedMap, filename: str, env: dict[str, str], problems: list[str]) -> Any:
    """Plain Python data with `${VAR}` / `${VAR:-default}` replaced from the environment.

    A node the YAML shares through aliases is converted once and stays shared: copying it for
    each alias would cost what the aliases expand to.
    """
    converted: dict[int, Any] = {}

    def convert(node: Any, path: tuple[Any, ...]) -> Any:
        if isinstance(node, dict | list):
            if id(node) not in converted:
                if isinstance(node, dict):
                    converted[id(node)] = {k: convert(v, (*path, k)) for k, v in node.items()}
                else:
                    converted[id(node)] = [convert(v, (*path, i)) for i, v in enumerate(node)]
            return converted[id(node)]
        if isinstance(node, str) and "${" in node and not _expanded_when_sent(path):

            def substitute(match: re.Match[str]) -> str:
                name, default = match.group(1), match.group(2)
                if name in env:
                    return env[name]
                if default is not None:
                    return default
                where = _position(filename, tree, path)
                problems.append(f"{where}: {_dotted(path)}: environment variable {name} is not set")
                return ""

            return ENV_REF.sub(substitute, node)
        return node

    return convert(tree, ())


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
