"""Plain HTML job pages whose fields are named by the source's CSS/XPath `selectors`."""

from __future__ import annotations

from scrapy.http import TextResponse

from config.schema import SelectorSpec, SourceConfig
from crawler.boards.pages import PageBoard
from crawler.extract.selectors import extract_selectors
from crawler.items import ExtractResult


class SelectorsBoard(PageBoard):
    """`urls`: the job pages themselves, or listing pages / sitemaps with `follow` patterns
    leading to them; `selectors`: where title, description, location, salary, company are."""

    name = "selectors"
    extract_from_listing_pages = False

    def __init__(self, source: SourceConfig) -> None:
        super().__init__(source)
        assert source.selectors is not None  # the config model requires it for this type
        self.spec: SelectorSpec = source.selectors

    def extract_page(self, response: TextResponse) -> ExtractResult:
        return extract_selectors(response.text, response.url, self.spec)
