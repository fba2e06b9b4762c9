"""Lever: the whole site in one `GET /v0/postings/{site}?mode=json` (EU sites: set `api_base`)."""

from __future__ import annotations

from config.schema import SourceConfig
from crawler.extract.lever import extract_lever
from crawler.spiders.base import OneRequestSpider, base_url, board_token


class LeverSpider(OneRequestSpider):
    name = "lever"
    default_api_base = "https://api.lever.co"
    extract = staticmethod(extract_lever)

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        return f"{base_url(source, cls.default_api_base)}/v0/postings/{board_token(source)}?mode=json"
