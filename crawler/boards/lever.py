"""Lever: the whole site in one `GET /v0/postings/{site}?mode=json` (EU sites: set `api_base`)."""

from __future__ import annotations

from config.schema import SourceConfig
from crawler.boards.base import OneRequestBoard, base_url, board_token
from crawler.extract.lever import extract_lever


class LeverBoard(OneRequestBoard):
    name = "lever"
    default_api_base = "https://api.lever.co"
    extract = staticmethod(extract_lever)

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        return f"{base_url(source, cls.default_api_base)}/v0/postings/{board_token(source)}?mode=json"
