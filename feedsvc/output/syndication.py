"""Feeds to Atom 1.0 (RFC 4287) and RSS 2.0 bytes. Only this module imports feedgen. Pure: no clock, no disk.

A feed's `<updated>` (RSS `lastBuildDate`) is its newest entry's; the same feed always renders to the same bytes.
Archive documents carry RFC 5005's `fh:archive` and `current`/`prev-archive`/`next-archive` links; every
document links to its WebSub hubs. In the unified feed each Atom entry's `<source>` names its source feed (id,
title, self link, and `updated` as of this document, so an archive document never changes for a newer story).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from feedsvc import __version__
from feedsvc.model import Entry, Feed
from feedsvc.output.body import entry_html
from feedsvc.output.plan import feed_id
from feedsvc.text import collapse_space, readable

GENERATOR_URI = "https://github.com/feedsvc/feedsvc"
EMPTY_FEED_UPDATED = datetime(2000, 1, 1, tzinfo=UTC)
"""`<updated>` of a feed with no entry: a constant, never the wall clock."""
ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
ATOM, RSS = ".atom", ".rss"


def _text(value: str) -> str:
    return collapse_space(readable(value))


class _Feedsvc(BaseExtension):  # type: ignore[misc]  # feedgen has no type hints
    """Feed-level additions feedgen has no field for: `fh:archive`, and RSS's `atom:link`s beyond `self`."""

    def __init__(self) -> None:
        self.archived = False
        self.links: list[tuple[str, str, str]] = []

    def extend_ns(self) -> dict[str, str]:
        return {"fh": HISTORY_NS} if self.archived else {}

    def extend_atom(self, feed: Any) -> Any:
        if self.archived:
            etree.SubElement(feed, f"{{{HISTORY_NS}}}archive")
        return feed

    def extend_rss(self, feed: Any) -> Any:
        channel = feed[0]
        for rel, href, kind in self.links:
            etree.SubElement(channel, f"{{{ATOM_NS}}}link", rel=rel, href=href, type=kind)
        if self.archived:
            etree.SubElement(channel, f"{{{HISTORY_NS}}}archive")
        return feed


class _FeedsvcEntry(BaseEntryExtension):  # type: ignore[misc]
    """Entry-level addition: a complete Atom `<source>` (feedgen writes only its title and link)."""

    def __init__(self) -> None:
        self.source: tuple[str, str, str, datetime] | None = None

    def extend_atom(self, entry: Any) -> Any:
        if self.source is not None:
            source_id, title, url, updated = self.source
            # feedgen builds its Atom tree without namespaces, under a literal default `xmlns`: so do we
            element = etree.SubElement(entry, "source")
            etree.SubElement(element, "id").text = source_id
            etree.SubElement(element, "title").text = title
            etree.SubElement(element, "link", rel="self", href=url, type="application/atom+xml")
            etree.SubElement(element, "updated").text = updated.isoformat()
        return entry


def _source_updated(entries: tuple[Entry, ...]) -> dict[str, datetime]:
    """Each source's newest `updated` among `entries`: its feed's `updated` as far as this document knows."""
    latest: dict[str, datetime] = {}
    for entry in entries:
        slug = entry.meta.source_slug
        if slug not in latest or entry.meta.updated > latest[slug]:
            latest[slug] = entry.meta.updated
    return latest


def _generator(feed: Feed, extension: str, media_type: str) -> FeedGenerator:
    generator = FeedGenerator()
    generator.register_extension("feedsvc", _Feedsvc, _FeedsvcEntry, atom=True, rss=True)
    generator.id(feed.id)
    generator.title(_text(feed.title))
    if feed.subtitle or extension == RSS:  # RSS requires a description
        generator.subtitle(_text(feed.subtitle) or _text(feed.title))
    generator.link(href=feed.url(feed.stem, extension), rel="self", type=media_type)
    generator.link(href=feed.alternate_url, rel="alternate", type="text/html")  # last: RSS's channel <link>
    links = [("current", feed.current), ("prev-archive", feed.prev_archive), ("next-archive", feed.next_archive)]
    extra = [(rel, feed.url(stem, extension), media_type) for rel, stem in links if stem]
    extra += [("hub", hub, "") for hub in feed.hubs]
    ext: _Feedsvc = generator.feedsvc
    ext.archived = feed.archived
    if extension == ATOM:
        for rel, href, kind in extra:
            generator.link(href=href, rel=rel, **({"type": kind} if kind else {}))
    else:
        ext.links = extra
    generator.author({"name": _text(feed.title)})
    generator.generator("feedsvc", version=__version__, uri=GENERATOR_URI)
    if feed.language:
        generator.language(feed.language)
    generator.updated(max((e.meta.updated for e in feed.entries), default=EMPTY_FEED_UPDATED))
    return generator


def render_atom(feed: Feed) -> bytes:
    """The Atom document of `feed`."""
    generator = _generator(feed, ATOM, "application/atom+xml")
    sources = _source_updated(feed.entries) if feed.unified else {}
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
            item.summary(entry.summary, type="text")  # the cleaner made it `text.readable`
        item.content(entry_html(entry), type="html")
        if feed.unified:
            slug = meta.source_slug
            variant = "" if slug in feed.variant_skips else feed.variant_dir
            item.feedsvc.source = (feed_id(slug, variant), _text(meta.source_name),
                                   feed.url(feed.source_stem(slug), ATOM), sources[slug])
    return bytes(generator.atom_str(pretty=True, encoding="UTF-8"))


def render_rss(feed: Feed) -> bytes:
    """The RSS 2.0 document of `feed`: each item's summary as `description`, the article as `content:encoded`,
    the author as `dc:creator` (RSS's own `author` must be an e-mail address), the source feed as `source`."""
    generator = _generator(feed, RSS, "application/rss+xml")
    generator.load_extension("dc", atom=False, rss=True)
    for entry in feed.entries:
        meta = entry.meta
        item = generator.add_entry(order="append")
        item.guid(meta.id, permalink=False)
        item.title(_text(meta.title))
        item.link(href=meta.link)
        item.pubDate(meta.published)
        body = entry_html(entry)
        item.description(entry.summary or body)
        item.content(body)
        item.dc.dc_creator(_text(meta.author or meta.source_name))
        for category in meta.categories:
            item.category(term=_text(category))
        if feed.unified:
            item.source(url=feed.url(feed.source_stem(meta.source_slug), RSS), title=_text(meta.source_name))
    return bytes(generator.rss_str(pretty=True, encoding="UTF-8"))
