"""Board readers by the `type:` users write in YAML (the families are listed in `config.families`)."""

from __future__ import annotations

from functools import cache
from importlib import import_module

from config.families import FAMILIES
from config.schema import SourceConfig
from crawler.boards.base import Board


@cache
def reader(family: str) -> type[Board]:
    module, _, name = FAMILIES[family].reader.partition(":")
    board: type[Board] = getattr(import_module(module), name)
    return board


def board_for(source: SourceConfig) -> Board:
    return reader(source.type)(source)


def listing_url(source: SourceConfig) -> str:
    """Where a source's listing lives, for `rolewatch check`."""
    return reader(source.type).listing_url(source)
