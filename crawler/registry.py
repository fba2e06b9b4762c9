"""Spider classes by the `type:` users write in YAML."""

from __future__ import annotations

from crawler.spiders.base import BoardSpider
from crawler.spiders.greenhouse import GreenhouseSpider

SPIDERS: dict[str, type[BoardSpider]] = {
    "greenhouse": GreenhouseSpider,
}


def spider_for(source_type: str) -> type[BoardSpider]:
    try:
        return SPIDERS[source_type]
    except KeyError:
        raise NotImplementedError(f"no spider for source type {source_type!r} yet") from None


def listing_url(source_type: str, board: str | None, api_base: str | None) -> str:
    """Where a source's listing lives, for `rolewatch check`."""
    spider = spider_for(source_type)
    base = (api_base or spider.default_api_base).rstrip("/")
    if source_type == "greenhouse":
        return f"{base}/v1/boards/{board}/jobs?content=true"
    return base
