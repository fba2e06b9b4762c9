"""Reading the XML feeds some boards publish (Teamtailor's RSS, Personio's XML) with lxml.

The parser never resolves entities or fetches anything a feed points at: a board's bytes are
untrusted, and a feed needs neither.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from crawler.extract.common import text_or_none


def parse_xml(body: bytes) -> Any:
    """The document's root element; ValueError when the body is not well-formed XML."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as error:
        raise ValueError(f"response is not well-formed XML ({error})") from None
    if root is None:
        raise ValueError("response is not well-formed XML (empty document)")
    return root


def child_text(element: Any, path: str, namespaces: dict[str, str] | None = None) -> str | None:
    """The stripped text of the first element at `path` (CDATA included), or None."""
    found = element.find(path, namespaces)
    return text_or_none("".join(found.itertext())) if found is not None else None
