"""Board readers by the `type:` users write in YAML."""

from __future__ import annotations

from config.schema import SourceConfig
from crawler.boards.ashby import AshbyBoard
from crawler.boards.base import Board
from crawler.boards.greenhouse import GreenhouseBoard
from crawler.boards.jsonld import JsonLdBoard
from crawler.boards.lever import LeverBoard
from crawler.boards.recruitee import RecruiteeBoard
from crawler.boards.selectors import SelectorsBoard
from crawler.boards.smartrecruiters import SmartRecruitersBoard
from crawler.boards.workable import WorkableBoard
from crawler.boards.workday import WorkdayBoard

BOARDS: dict[str, type[Board]] = {
    board.name: board
    for board in (
        GreenhouseBoard,
        LeverBoard,
        AshbyBoard,
        RecruiteeBoard,
        WorkableBoard,
        SmartRecruitersBoard,
        WorkdayBoard,
        JsonLdBoard,
        SelectorsBoard,
    )
}


def board_for(source: SourceConfig) -> Board:
    try:
        return BOARDS[source.type](source)
    except KeyError:
        raise NotImplementedError(f"no board reader for source type {source.type!r} yet") from None


def listing_url(source: SourceConfig) -> str:
    """Where a source's listing lives, for `rolewatch check`."""
    return BOARDS[source.type].listing_url(source)
