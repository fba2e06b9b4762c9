"""Spider classes by the `type:` users write in YAML."""

from __future__ import annotations

from config.schema import SourceConfig
from crawler.spiders.ashby import AshbySpider
from crawler.spiders.base import BoardSpider
from crawler.spiders.greenhouse import GreenhouseSpider
from crawler.spiders.jsonld import JsonLdSpider
from crawler.spiders.lever import LeverSpider
from crawler.spiders.recruitee import RecruiteeSpider
from crawler.spiders.selectors import SelectorsSpider
from crawler.spiders.smartrecruiters import SmartRecruitersSpider
from crawler.spiders.workable import WorkableSpider
from crawler.spiders.workday import WorkdaySpider

SPIDERS: dict[str, type[BoardSpider]] = {
    "greenhouse": GreenhouseSpider,
    "lever": LeverSpider,
    "ashby": AshbySpider,
    "recruitee": RecruiteeSpider,
    "workable": WorkableSpider,
    "smartrecruiters": SmartRecruitersSpider,
    "workday": WorkdaySpider,
    "jsonld": JsonLdSpider,
    "selectors": SelectorsSpider,
}


def spider_for(source_type: str) -> type[BoardSpider]:
    try:
        return SPIDERS[source_type]
    except KeyError:
        raise NotImplementedError(f"no spider for source type {source_type!r} yet") from None


def listing_url(source: SourceConfig) -> str:
    """Where a source's listing lives, for `rolewatch check`."""
    return spider_for(source.type).listing_url(source)
