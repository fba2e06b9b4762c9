"""Pages carrying schema.org JobPosting (JSON-LD or microdata), found from listing pages or
sitemaps by following the source's link patterns."""

from __future__ import annotations

from scrapy.http import TextResponse

from crawler.boards.pages import PageBoard
from crawler.extract.jsonld import extract_jsonld
from crawler.items import ExtractResult


class JsonLdBoard(PageBoard):
    """`urls`: listing pages or sitemap XML; `follow`/`deny`: regexes for posting links."""

    name = "jsonld"

    def extract_page(self, response: TextResponse) -> ExtractResult:
        return extract_jsonld(response.text, response.url)
