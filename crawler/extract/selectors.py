"""Plain HTML job pages read with the CSS/XPath selectors a source declares in YAML, so the ad's
own text is kept apart from the site's header, sign-up pitches and advice around it."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from parsel import Selector, SelectorList

from config.schema import SelectorSpec, selector_query
from crawler.extract.common import text_or_none
from crawler.items import ExtractResult, RawPosting
from pipeline.normalize import canonical_url


def extract_selectors(html: str, url: str, spec: SelectorSpec) -> ExtractResult:
    """The one posting a page describes; a page without a title match (a listing, an error
    page) gives none, and one with a title but no description is dropped with the reason."""
    result = ExtractResult()
    page = Selector(text=html)
    title = _first_text(_select(page, spec.title))
    if title is None:
        return result
    description = "\n".join(_select(page, spec.description).getall()) or None
    if description is None:
        result.dropped.append(f"{url}: title {title!r} found but no description")
        return result
    canonical = page.xpath('//link[@rel="canonical"]/@href').get()
    page_url = canonical_url(urljoin(url, canonical.strip()) if canonical else url) or url
    result.postings.append(
        RawPosting(
            external_id=page_url,
            title=title,
            url=page_url,
            company=_first_text(_select(page, spec.company)),
            locations=[text for text in map(_text, _select(page, spec.location)) if text],
            description_html=description,
            salary_text=_first_text(_select(page, spec.salary)),
        )
    )
    return result


def _select(page: Selector, query: str | None) -> SelectorList[Selector]:
    if not query:
        return SelectorList()
    kind, expression = selector_query(query)
    return page.xpath(expression) if kind == "xpath" else page.css(expression)


def _text(node: Selector) -> str | None:
    """A node's visible text with whitespace collapsed; attribute and text nodes as they are."""
    value = node.xpath("string()").get() if node.xpath("self::*") else node.get()
    return text_or_none(re.sub(r"\s+", " ", value or ""))


def _first_text(nodes: SelectorList[Selector]) -> str | None:
    return next((text for text in map(_text, nodes) if text), None)
