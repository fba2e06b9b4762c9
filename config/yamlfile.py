"""A config file read into ruamel.yaml's round-trip tree, at a bounded cost whatever the file holds.

A daemon reloads its config on SIGHUP, so a hostile or broken file must end in a `ConfigError`
naming its place, never in a traceback or an exhausted machine: the file's size, its nesting
and what its aliases expand to are all limited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, MaxDepthExceededError
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode
from ruamel.yaml.reader import ReaderError

from config.errors import ConfigError

# A config of a few thousand sources is well under this; a larger file is a mistake or an attack.
MAX_CONFIG_BYTES = 1024 * 1024
# Containers inside containers; a config needs about six levels.
MAX_DEPTH = 64
# Nodes that aliases may stand for in all: a config that shares its watch rules by aliases needs a
# few thousand, the "billion laughs" needs billions.
MAX_ALIAS_NODES = 10_000


def read_config_bytes(path: Path) -> bytes:
    """The file's bytes; one byte past the limit is read, so a huge file or a device costs nothing."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise ConfigError([f"{path}: cannot read config: {error.strerror or error}"]) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(
            [f"{path}: the config is larger than {MAX_CONFIG_BYTES // 1024 // 1024} MiB, the most it may be"]
        )
    return data


def decode_config(data: bytes, filename: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        where = _place(filename, data.decode("latin-1"), error.start)
        why = f"the config is not UTF-8 text (byte 0x{data[error.start]:02x} here)"
        raise ConfigError([f"{where}: {why}"]) from None


def parse_yaml(text: str, filename: str) -> Any:
    """The round-trip tree of `text` (None for an empty document)."""
    yaml = YAML(typ="rt")
    yaml.max_depth = MAX_DEPTH
    yaml.Composer = _BoundedComposer
    yaml.Constructor = _PositionedConstructor
    try:
        return yaml.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else filename
        why = error.problem or error.context
        if isinstance(error, MaxDepthExceededError):
            why = f"nested more than {MAX_DEPTH} levels deep"
        raise ConfigError([f"{where}: invalid YAML: {why}"]) from None
    except ReaderError as error:
        where = _place(filename, text, error.position)
        why = f"character U+{error.character:04X} is not allowed"
        raise ConfigError([f"{where}: invalid YAML: {why}"]) from None


def _place(filename: str, text: str, position: int) -> str:
    line = text.count("\n", 0, position) + 1
    return f"{filename}:{line}:{position - text.rfind(chr(10), 0, position)}"


class _Refused(MarkedYAMLError):
    """YAML that is well-formed but costs too much, or cannot become plain data."""


class _BoundedComposer(Composer):
    """Refuses an alias inside the node it names, and aliases that stand for too many nodes."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self.alias_nodes = 0
        self.measured: dict[int, tuple[int, int]] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        if not self.parser.check_event(AliasEvent):
            return super().compose_node(parent, index)
        event = self.parser.peek_event()
        node = super().compose_node(parent, index)
        if isinstance(node, SequenceNode | MappingNode) and node.end_mark is None:
            # Still being composed: the alias is inside it (`a: &a [*a]`, `a: &a {<<: *a}`).
            why = f"alias *{event.anchor} is used inside the node it names"
            raise _Refused(None, None, why, event.start_mark)
        size, depth = self._measure(node)
        self.alias_nodes += size
        if self.alias_nodes > MAX_ALIAS_NODES:
            why = f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes by here"
            raise _Refused(None, None, why, event.start_mark)
        if self.depth + depth > MAX_DEPTH:
            why = f"nested more than {MAX_DEPTH} levels deep once alias *{event.anchor} is expanded"
            raise _Refused(None, None, why, event.start_mark)
        return node

    def _measure(self, node: Node) -> tuple[int, int]:
        """The nodes under `node`, itself included, and their depth; remembered, as aliases share
        nodes, so that this costs one visit per node of the file."""
        if id(node) not in self.measured:
            if isinstance(node, SequenceNode):
                children = [self._measure(item) for item in node.value]
            elif isinstance(node, MappingNode):
                children = [self._measure(part) for pair in node.value for part in pair]
            else:
                children = []
            size = 1 + sum(size for size, _ in children)
            self.measured[id(node)] = (size, 1 + max((depth for _, depth in children), default=0))
        return self.measured[id(node)]


class _PositionedConstructor(RoundTripConstructor):
    """A scalar that cannot become its type (`!!int x`, a 5,000-digit number) is named at its place."""

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as error:
            why = str(error).split(";")[0]
            raise _Refused(None, None, f"this value cannot be read: {why}", node.start_mark) from None
