"""Feeds to Atom 1.0 bytes (RFC 4287). Only this module imports feedgen. Pure: no clock, no disk.

A feed's `<updated>` is its newest entry's; the same feed always renders to the same bytes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

from feedsvc import __version__
from feedsvc.model import Feed
from feedsvc.text import collapse_space, strip_xml_illegal

GENERATOR_URI = "https://github.com/feedsvc/feedsvc"
EMPTY_FEED_UPDATED = datetime(2000, 1, 1, tzinfo=UTC)
"""`<updated>` of a feed with no entry: a constant, never the wall clock."""
_FEED_NAMESPACE = uuid.UUID("6f1c2b7e-59a4-5d0e-9a57-4a0b8f3c2d10")


def feed_id(slug: str) -> str:
    """A feed's permanent id: derived from its slug alone, so it survives a move to another base URL."""
    return f"urn:uuid:{uuid.uuid5(_FEED_NAMESPACE, slug)}"


def _text(value: str) -> str:
    return collapse_space(strip_xml_illegal(value))


def render_atom(feed: Feed, source_feeds: dict[str, tuple[str, str]] | None = None) -> bytes:
    """The Atom document of `feed`. In the unified feed, `source_feeds` (slug -> (title, feed URL)) gives each
    entry's `<source>`."""
    generator = FeedGenerator()
    generator.id(feed_id(feed.slug))
    generator.title(_text(feed.title))
    if feed.subtitle:
        generator.subtitle(_text(feed.subtitle))
    generator.link(href=feed.self_url, rel="self", type="application/atom+xml")
    generator.link(href=feed.alternate_url, rel="alternate", type="text/html")
    generator.author({"name": _text(feed.title)})
    generator.generator("feedsvc", version=__version__, uri=GENERATOR_URI)
    if feed.language:
        generator.language(feed.language)
    generator.updated(max((e.meta.updated for e in feed.entries), default=EMPTY_FEED_UPDATED))
    for entry in feed.entries:
        meta = entry.meta
        item = generator.add_entry(order="append")
        item.id(meta.id)
        item.title(_text(meta.title))
        item.link(href=meta.link, rel="alternate", type="text/html")
        item.published(meta.published)
        item.updated(meta.updated)
        item.author({"name": _text(meta.author or meta.source_name)})
        for category in meta.categories:
            item.category(term=_text(category))
        if entry.summary:
            item.summary(strip_xml_illegal(entry.summary), type="text")
        if entry.content:
            item.content(strip_xml_illegal(entry.content), type="html")
        if feed.unified and source_feeds and meta.source_slug in source_feeds:
            title, url = source_feeds[meta.source_slug]
            item.source(url=url, title=_text(title))
    return bytes(generator.atom_str(pretty=True, encoding="UTF-8"))
