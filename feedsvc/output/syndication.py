"""Feeds to Atom 1.0 (RFC 4287) and RSS 2.0 bytes. Only this module imports feedgen. Pure: no clock, no disk.

A story lies in two documents (its source's feed and the unified feed), in the same period: documents rendered
together share a `built` mapping, so each entry's element is built once per format and moved from one document
to the next once the first is serialized (in the unified feed with its `<source>`), which gives the same bytes as
building it twice.

A feed's `<updated>` (RSS `lastBuildDate`) is its newest entry's; the same feed always renders to the same bytes.
Archive documents carry RFC 5005's `fh:archive` and `current`/`prev-archive`/`next-archive` links; every
document links to its WebSub hubs. In the unified feed each Atom entry's `<source>` names its source feed (id,
title, self link, and `updated` as of this document, so an archive document never changes for a newer story).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseExtension
from feedgen.ext.dc import DcEntryExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from feedsvc import __version__
from feedsvc.model import Entry, Feed
from feedsvc.output.body import entry_html
from feedsvc.output.plan import feed_id
from feedsvc.text import display

GENERATOR_URI = "https://github.com/feedsvc/feedsvc"
EMPTY_FEED_UPDATED = datetime(2000, 1, 1, tzinfo=UTC)
"""`<updated>` of a feed with no entry: a constant, never the wall clock."""
ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
ATOM, RSS = ".atom", ".rss"


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


Built = dict[Entry, Any]
"""Entry -> its element (lxml; feedgen has no type hints) as built for one format."""
Source = tuple[str, str, str, datetime]
"""What an entry of the unified feed says of its source feed: id, title, self link, updated."""


class _Reused(FeedEntry):  # type: ignore[misc]
    """An entry whose element is already built: feedgen appends that element itself, with the unified feed's
    `<source>` (RFC 4287's complete one in Atom; RSS's url and title) and without the one an earlier document
    gave it. The element moves out of the document it was last in, which is serialized by then: lxml keeps an
    element in one tree, and moving it copies nothing."""

    def __init__(self, element: Any, source: Source | None) -> None:
        super().__init__()
        self._element = element
        self._source = source

    def atom_entry(self, extensions: bool = True) -> Any:
        entry = self._element
        if len(entry) and entry[-1].tag == "source":  # where an earlier document put it: last
            del entry[-1]
        if self._source is not None:
            source_id, title, url, updated = self._source
            # feedgen builds its Atom tree without namespaces, under a literal default `xmlns`: so do we
            element = etree.SubElement(entry, "source")
            etree.SubElement(element, "id").text = source_id
            etree.SubElement(element, "title").text = title
            etree.SubElement(element, "link", rel="self", href=url, type="application/atom+xml")
            etree.SubElement(element, "updated").text = updated.isoformat()
        return entry

    def rss_entry(self, extensions: bool = True) -> Any:
        item = self._element
        earlier = item.find("source")
        if earlier is not None:
            item.remove(earlier)
        if self._source is not None:  # where feedgen puts it: after pubDate
            _, title, url, _ = self._source
            source = etree.Element("source", url=url)
            source.text = title
            item.insert(item.index(item.find("pubDate")) + 1, source)
        return item


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
    generator.register_extension("feedsvc", _Feedsvc, None, atom=True, rss=True)
    generator.id(feed.id)
    generator.title(display(feed.title))
    if feed.subtitle or extension == RSS:  # RSS requires a description
        generator.subtitle(display(feed.subtitle) or display(feed.title))
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
    generator.author({"name": display(feed.title)})
    generator.generator("feedsvc", version=__version__, uri=GENERATOR_URI)
    if feed.language:
        generator.language(feed.language)
    generator.updated(max((e.meta.updated for e in feed.entries), default=EMPTY_FEED_UPDATED))
    return generator


def _atom_entry(entry: Entry) -> Any:
    meta = entry.meta
    item = FeedEntry()
    item.id(meta.id)
    item.title(display(meta.title))
    item.link(href=meta.link, rel="alternate", type="text/html")
    item.published(meta.published)
    item.updated(meta.updated)
    item.author({"name": display(meta.author or meta.source_name)})
    for category in meta.categories:
        item.category(term=display(category))
    if entry.summary:
        item.summary(entry.summary, type="text")  # the cleaner made it `text.readable`
    item.content(entry_html(entry), type="html")
    return item.atom_entry()


def _rss_item(entry: Entry) -> Any:
    meta = entry.meta
    item = FeedEntry()
    item.register_extension("dc", DcEntryExtension, atom=False, rss=True)
    item.guid(meta.id, permalink=False)
    item.title(display(meta.title))
    item.link(href=meta.link)
    item.pubDate(meta.published)
    body = entry_html(entry)
    item.description(entry.summary or body)
    item.content(body)
    item.dc.dc_creator(display(meta.author or meta.source_name))
    for category in meta.categories:
        item.category(term=display(category))
    return item.rss_entry()


class _Elements:
    """The elements of one document's entries: from `built` where another document of the group made them."""

    def __init__(self, built: Built | None, build: Callable[[Entry], Any]) -> None:
        self.built = built
        self.build = build
        self.used: set[int] = set()

    def __call__(self, entry: Entry) -> Any:
        if self.built is None:
            return self.build(entry)
        element = self.built.get(entry)
        if element is None:
            element = self.built[entry] = self.build(entry)
        elif id(element) in self.used:  # the same entry twice in one document: never expected, but never lost
            return copy.deepcopy(element)
        self.used.add(id(element))
        return element


def render_atom(feed: Feed, built: Built | None = None) -> bytes:
    """The Atom document of `feed` (`built`: entries built for other documents rendered with it)."""
    generator = _generator(feed, ATOM, "application/atom+xml")
    sources = _source_updated(feed.entries) if feed.unified else {}
    elements = _Elements(built, _atom_entry)
    for entry in feed.entries:
        source = None
        if feed.unified:
            meta = entry.meta
            slug = meta.source_slug
            variant = "" if slug in feed.variant_skips else feed.variant_dir
            source = (feed_id(slug, variant), display(meta.source_name), feed.url(feed.source_stem(slug), ATOM),
                      sources[slug])
        generator.add_entry(_Reused(elements(entry), source), order="append")
    return bytes(generator.atom_str(pretty=True, encoding="UTF-8"))


def render_rss(feed: Feed, built: Built | None = None) -> bytes:
    """The RSS 2.0 document of `feed`: each item's summary as `description`, the article as `content:encoded`,
    the author as `dc:creator` (RSS's own `author` must be an e-mail address), the source feed as `source`."""
    generator = _generator(feed, RSS, "application/rss+xml")
    generator.load_extension("dc", atom=False, rss=True)
    elements = _Elements(built, _rss_item)
    for entry in feed.entries:
        source = None
        if feed.unified:
            meta = entry.meta
            source = ("", display(meta.source_name), feed.url(feed.source_stem(meta.source_slug), RSS), meta.updated)
        generator.add_entry(_Reused(elements(entry), source), order="append")
    return bytes(generator.rss_str(pretty=True, encoding="UTF-8"))
