"""Recruitee: every offer in one `GET /api/offers` on the company's own careers host."""

from __future__ import annotations

from config.schema import SourceConfig
from crawler.boards.base import OneRequestBoard, base_url, board_token
from crawler.extract.recruitee import extract_recruitee


class RecruiteeBoard(OneRequestBoard):
    name = "recruitee"
    # The host is per company; custom careers domains go in `api_base`.
    default_api_base = "https://{board}.recruitee.com"
    extract = staticmethod(extract_recruitee)

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        return f"{base_url(source, cls.default_api_base.format(board=board_token(source)))}/api/offers"
