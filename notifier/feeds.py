"""Atom feeds of the event stream: one per watch, one per recipient.

Entry ids are built from the event (its source, the posting's id there, the event's number), so
a feed written again — by the next cycle, or served by `rolewatch serve` — never shows a
reader an event twice. A feed's `updated` is its newest event's time, so the same events give
the same bytes and an unchanged file is not rewritten.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from feedgen.feed import FeedGenerator
from sqlalchemy.orm import Session

from config.schema import Config, Recipient
from notifier.render import DigestRow, entry_of, environment
from notifier.stream import EventFilter, EventRow, events, find_watch, recipient_events
from pipeline.dates import parse_posted, shown_date
from pipeline.private import make_private_folder, write_private

TAG = "tag:rolewatch,2026:"
# Characters XML 1.0 cannot hold (controls, surrogates, U+FFFE/U+FFFF): a board may send them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    return _NOT_XML.sub("", value)


# A watch's feed looks for its entries among this many newest events.
SCAN = 20_000


class UnknownFeed(LookupError):
    pass


@dataclass(frozen=True)
class Feed:
    kind: Literal["watch", "recipient"]
    name: str  # the watch's name, or the recipient's address
    slug: str  # the file name, without ".xml"
    title: str


def watch_feed_of(name: str) -> Feed:
    return Feed("watch", name, f"watch-{_slug(name)}", f"rolewatch: {name}")


def recipient_feed_of(recipient: Recipient) -> Feed:
    if recipient.email:
        slug, title = _slug(recipient.email), recipient.email
    else:
        # A chat or webhook URL may carry a token: neither the file name nor the title shows it.
        url = recipient.notify or recipient.webhook or ""
        slug = hashlib.sha256(url.encode()).hexdigest()[:12]
        title = recipient.shown
    return Feed("recipient", recipient.address, f"recipient-{slug}", f"rolewatch for {title}")


def all_feeds(config: Config) -> list[Feed]:
    """Every feed, each with its own file: names that make the same slug ("Infra!" and
    "infra") keep the first one's, and the others get a suffix from their exact name."""
    feeds = [watch_feed_of(watch.name) for watch in config.watches] + [
        recipient_feed_of(recipient) for recipient in config.recipients
    ]
    taken: set[str] = set()
    unique = []
    for feed in feeds:
        if feed.slug in taken:
            feed = replace(feed, slug=f"{feed.slug}-{hashlib.sha256(feed.name.encode()).hexdigest()[:8]}")
        taken.add(feed.slug)
        unique.append(feed)
    return unique


def find_feed(config: Config, slug: str) -> Feed:
    found = next((feed for feed in all_feeds(config) if feed.slug == slug), None)
    if found is None:
        raise UnknownFeed(f"no feed {slug!r}")
    return found


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-") or "unnamed"


def feed_rows(session: Session, config: Config, feed: Feed, entries: int) -> list[EventRow]:
    if feed.kind == "watch":
        find_watch(config, feed.name)
        return events(session, config, EventFilter(watch=feed.name), entries, scan=SCAN)
    return recipient_events(session, feed.name, entries)


def feed_xml(session: Session, config: Config, feed: Feed) -> bytes:
    entries = config.feeds.entries if config.feeds else 50
    rows = feed_rows(session, config, feed, entries)
    generator = FeedGenerator()
    generator.id(TAG + f"feed/{feed.slug}")
    generator.title(feed.title)
    generator.author({"name": "rolewatch"})
    generator.subtitle(
        f"New, changed, closed and reopened postings of the watch {feed.name}"
        if feed.kind == "watch"
        else "What rolewatch tells this recipient of"
    )
    generator.link(href=f"{feed.slug}.xml", rel="self")
    generator.generator("rolewatch")
    template = environment(config.mail.templates).get_template("feed_entry.html.j2")
    # feedgen puts the entry added first last; the newest must come first.
    for row in reversed(rows):
        posted = shown_date(parse_posted(row.record.posted_at, row.time), None)
        entry = entry_of(DigestRow(row.type, row.record, row.diff, row.source, posted=posted))
        item = generator.add_entry()
        item.id(TAG + f"event/{quote(row.source, safe='')}/{quote(row.external_id, safe='')}/{row.id}")
        item.title(xml_text(f"{row.type.upper()}: {entry.title} — {entry.company}"))
        item.updated(row.time)
        item.published(row.time)
        if entry.url:
            item.link(href=xml_text(entry.url))
        item.author({"name": xml_text(entry.company)})
        item.category(term=row.type)
        item.content(xml_text(template.render(e=entry)), type="html")
    generator.updated(rows[0].time if rows else "1970-01-01T00:00:00Z")
    return bytes(generator.atom_str(pretty=True))


def write_feeds(session: Session, config: Config) -> list[Path]:
    """Write every feed into `feeds.dir`; returns the files that changed."""
    assert config.feeds is not None
    folder = Path(config.feeds.dir)
    make_private_folder(folder)
    changed = []
    for feed in all_feeds(config):
        path = folder / f"{feed.slug}.xml"
        content = feed_xml(session, config, feed)
        if path.exists() and path.read_bytes() == content:
            continue
        # Readers polling the file never see half of it.
        temporary = path.with_suffix(f".xml.{os.getpid()}.tmp")
        write_private(temporary, content)
        os.replace(temporary, path)
        changed.append(path)
    return changed
