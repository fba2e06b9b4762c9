"""Ashby: the whole board, pay included, in one `GET /posting-api/job-board/{board}`."""

from __future__ import annotations

from config.schema import SourceConfig
from crawler.boards.base import OneRequestBoard, base_url, board_token
from crawler.extract.ashby import extract_ashby


class AshbyBoard(OneRequestBoard):
    name = "ashby"
    default_api_base = "https://api.ashbyhq.com"
    extract = staticmethod(extract_ashby)

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        # Ashby leaves pay out unless asked for it.
        query = "includeCompensation=true"
        return f"{base_url(source, cls.default_api_base)}/posting-api/job-board/{board_token(source)}?{query}"
