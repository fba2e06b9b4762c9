"""Workable: the account's jobs, with descriptions, in one widget API request."""

from __future__ import annotations

from config.schema import SourceConfig
from crawler.boards.base import OneRequestBoard, base_url, board_token
from crawler.extract.workable import extract_workable


class WorkableBoard(OneRequestBoard):
    name = "workable"
    default_api_base = "https://apply.workable.com"
    extract = staticmethod(extract_workable)

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        account = board_token(source)
        return f"{base_url(source, cls.default_api_base)}/api/v1/widget/accounts/{account}?details=true"
