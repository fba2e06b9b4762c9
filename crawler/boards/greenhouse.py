"""Greenhouse: the whole board in one `GET /v1/boards/{board}/jobs?content=true`."""

from __future__ import annotations

from config.schema import SourceConfig
from crawler.boards.base import OneRequestBoard, base_url, board_token
from crawler.extract.greenhouse import extract_greenhouse


class GreenhouseBoard(OneRequestBoard):
    name = "greenhouse"
    default_api_base = "https://boards-api.greenhouse.io"
    extract = staticmethod(extract_greenhouse)

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        return f"{base_url(source, cls.default_api_base)}/v1/boards/{board_token(source)}/jobs?content=true"
