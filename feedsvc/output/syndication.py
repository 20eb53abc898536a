"""Feeds to Atom 1.0 (RFC 4287) and RSS 2.0 bytes. Only this module imports feedgen. Pure: no clock, no disk.

A story lies in two documents (its source's feed and the unified feed), in the same period: documents rendered
together share a `Memo`, so each entry is built once (one feedgen entry serves Atom and RSS) and serialized once
per format, and its bytes are put into every document that holds it (in the unified feed with its `<source>`):
the same bytes as serializing each document whole. feedgen lays out each document around a placeholder entry,
and each entry around a stand-in for its body, which is then written from the body's UTF-8 bytes, escaped (once
per format).

A feed's `<updated>` (RSS `lastBuildDate`) is its newest entry's; the same feed always renders to the same bytes.
Archive documents carry RFC 5005's `fh:archive` and `current`/`prev-archive`/`next-archive` links; every
document links to its WebSub hubs. In the unified feed each Atom entry's `<source>` names its source feed (id,
title, self link, and `updated` as of this document, so an archive document never changes for a newer story).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseExtension
from feedgen.ext.dc import DcEntryExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from feedsvc import __version__
from feedsvc.model import Entry, Feed
from feedsvc.output.body import entry_html_utf8
from feedsvc.output.memo import Memo, Recent, made_once
from feedsvc.output.plan import feed_id
from feedsvc.text import display, html_text, markup_safe

GENERATOR_URI = "https://github.com/feedsvc/feedsvc"
EMPTY_FEED_UPDATED = datetime(2000, 1, 1, tzinfo=UTC)
"""`<updated>` of a feed with no entry: a constant, never the wall clock."""
ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
ATOM, RSS = ".atom", ".rss"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
"""An Atom entry's language (`xml:lang`): the story's own, which may differ from its feed's."""


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


_FEEDGEN, _FEEDGEN_RSS = "feedgen", "feedgen for RSS"
"""The `Memo` keys of feedgen's entries, and of those made ready for RSS too (`_with_rss_fields`)."""
Source = tuple[str, str, str, datetime]
"""What an entry of the unified feed says of its source feed: id, title, self link, updated."""
DC_NS = "http://purl.org/dc/elements/1.1/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
_ATOM_ROOT = {None: ATOM_NS}
_RSS_ROOT = {"atom": ATOM_NS, "content": CONTENT_NS, "dc": DC_NS}
"""The namespaces the documents' roots declare (feedgen builds its Atom tree without namespaces, under a literal
default `xmlns`), so that an element serialized under them declares none of its own."""


class _Placeholder(FeedEntry):  # type: ignore[misc]
    """Stands where the entries go: feedgen lays out the document around an empty element, whose bytes are then
    replaced by the entries' own."""

    def atom_entry(self, extensions: bool = True) -> Any:
        return etree.Element("entry")

    def rss_entry(self, extensions: bool = True) -> Any:
        return etree.Element("item")


_ATOM_PLACEHOLDER = b"\n  <entry/>\n"
_RSS_PLACEHOLDER = b"\n    <item/>\n"


class _StandIns(threading.local):
    """Per thread, for each kind of element (`_serialized`), stand-ins for its ancestors, made once: the element
    is put under them to be serialized and taken out again."""

    def __init__(self) -> None:
        self.by_kind: dict[tuple[bool, bool], tuple[Any, Any, int]] = {}

    def get(self, rss: bool, source: bool) -> tuple[Any, Any, int]:
        """(root, parent, depth) for an entry (or, with `source`, an entry's `<source>`) of `rss` or Atom."""
        found = self.by_kind.get((rss, source))
        if found is None:
            tags = ["rss", "channel"] if rss else ["feed"]
            if source:
                tags.append("item" if rss else "entry")
            root = parent = etree.Element(tags[0], nsmap=_RSS_ROOT if rss else _ATOM_ROOT)
            for tag in tags[1:]:
                parent = etree.SubElement(parent, tag)
            found = self.by_kind[(rss, source)] = (root, parent, len(tags))
        return found


_STAND_INS = _StandIns()


def _serialized(element: Any, rss: bool) -> bytes:
    """The bytes of `element` (an Atom entry or RSS item, or an entry's `<source>`) exactly as they stand in a
    pretty-printed document, indentation included. lxml indents an element by its depth alone, so the element is
    serialized under stand-ins for its ancestors (declaring the namespaces the document's root declares, so it
    declares none of its own) and cut out: the ancestors hold no text, so they take one line each, above and
    below it."""
    root, parent, depth = _STAND_INS.get(rss, element.tag == "source")
    parent.append(element)
    try:
        data: bytes = etree.tostring(root, pretty_print=True, encoding="UTF-8", xml_declaration=False)
    finally:
        parent.remove(element)
    start, end = 0, len(data) - 1  # data ends with a newline
    for _ in range(depth):
        start = data.index(b"\n", start) + 1
        end = data.rindex(b"\n", 0, end)
    return data[start:end + 1]


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


_BODY = "body"
"""The text feedgen is given for an entry's body: its elements are serialized holding it, and it is replaced by
the body itself, escaped (`_with_body`)."""
_ATOM_BODY = (b'<content type="html">', b"</content>")
_RSS_BODY = (b"<content:encoded>", b"</content:encoded>")
_RSS_DESCRIBED_BY_BODY = (b"<description>", b"</description>")
"""The tags around `_BODY` of each element that holds the body: found once each in a serialized entry, since
text and attribute values never hold a raw `<`."""


def _escaped_body(entry: Entry) -> bytes:
    """`entry`'s body escaped as lxml escapes an element's text (`&`, `<`, `>`, carriage returns), from its UTF-8
    bytes: setting the text of an lxml element encodes it (and checks it: the cleaner's `text.readable` made every
    character one that XML allows), which costs more than the whole serialization of its entry's other fields."""
    return _xml_escaped(entry_html_utf8(entry))


def _xml_escaped(text: bytes) -> bytes:
    """UTF-8 `text` escaped as lxml escapes an element's text."""
    return text.replace(b"&", b"&amp;").replace(b"<", b"&lt;").replace(b">", b"&gt;").replace(b"\r", b"&#13;")


def _with_body(data: bytes, element: tuple[bytes, bytes], body: bytes) -> bytes:
    """`data` with the `_BODY` that `element` (its tags) holds replaced by `body`."""
    start, end = element
    before, found, after = data.partition(start + _BODY.encode() + end)
    assert found, start
    return b"".join((before, start, body, end, after))


def _feed_entry(entry: Entry) -> FeedEntry:
    """feedgen's entry for `entry`, with all an Atom entry needs: its summary and content (HTML, `_BODY` standing
    for it), which is also the RSS item's `content:encoded` (the rest of the item: `_with_rss_fields`)."""
    meta = entry.meta
    item = FeedEntry()
    item.id(meta.id)  # and RSS's guid, not a permalink
    item.title(display(meta.title))
    item.link(href=meta.link, rel="alternate", type="text/html")
    item.published(meta.published)
    item.updated(meta.updated)
    item.author({"name": _author(entry)})  # Atom's: RSS's own needs an e-mail address
    if meta.categories:  # at once: feedgen maps every category to RSS again at each call (quadratic)
        item.category([{"term": display(category)} for category in meta.categories])
    if entry.summary:
        item.summary(entry.summary, type="text")  # the cleaner made it `text.readable`
    item.content(_BODY, type="html")
    return item


def _author(entry: Entry) -> str:
    return display(entry.meta.author or entry.meta.source_name)


def _with_rss_fields(item: FeedEntry, entry: Entry) -> FeedEntry:
    """feedgen's entry for `entry` (`_feed_entry`) made ready for RSS as well, when RSS is published: the item's
    `description` (the summary, or else the article) and `dc:creator`. The Atom entry it makes is unchanged."""
    item.register_extension("dc", DcEntryExtension, atom=False, rss=True)
    item.description(html_text(entry.summary) if entry.summary else _BODY)
    item.content(_BODY, type="html")  # again: `description` sets Atom's content too
    item.dc.dc_creator(markup_safe(_author(entry)))
    return item


def _rss_title(data: bytes, entry: Entry) -> bytes:
    """The RSS item `data` with its title made `markup_safe`: many readers show an RSS title as HTML. The title is
    set on the feedgen entry that Atom shares (where it is `type="text"`), so it is replaced in the item's bytes:
    its first `<title>` element, which lxml wrote with `&`, `<` and `>` escaped."""
    title = display(entry.meta.title)
    safe = markup_safe(title)
    if safe == title:
        return data
    start, end = b"<title>", b"</title>"
    before, found, after = data.partition(start + _xml_escaped(title.encode()) + end)
    assert found, title
    return b"".join((before, start, _xml_escaped(safe.encode()), end, after))


def _atom_title(element: Any, entry: Entry) -> None:
    """An Atom title that holds something an HTML parser takes for a tag is published as `type="html"`, escaped:
    the same text for readers, and no undeclared markup in a text construct (the W3C validator warns of it)."""
    title = display(entry.meta.title)
    safe = markup_safe(title)
    if safe != title:
        node = element.find("title")  # feedgen's entry element: the document's namespace applies later
        if node is not None:
            node.set("type", "html")
            node.text = safe


_RECENT: Recent[tuple[Entry, bool], bytes] = Recent(1024)
"""The entries serialized last, in either format. Each daemon run renders the feeds a new story joins, every entry
of them again though one is new: at 10,000 seeds, 0.1 s of a 0.58 s run went to serializing the same 400 entries
as the run before. Keyed by the whole entry (content, fields, provenance), so any change makes another key."""


def _entry_bytes(memo: Memo, entry: Entry, rss: bool) -> bytes:
    """`entry` serialized for one format: as a recent run made it (`_RECENT`), from `memo` where another document
    of the group made it, or from the group's feedgen entry where the other format made that."""
    recent = _RECENT.get((entry, rss))
    if recent is not None:
        return recent
    def serialized(entry: Entry) -> bytes:
        item = made_once(memo, _FEEDGEN, entry, _feed_entry)
        body = _escaped_body(entry)
        if not rss:
            element = item.atom_entry()
            if entry.meta.language:
                element.set(XML_LANG, entry.meta.language)
            _atom_title(element, entry)
            return _with_body(_serialized(element, rss), _ATOM_BODY, body)
        item = made_once(memo, _FEEDGEN_RSS, entry, lambda entry: _with_rss_fields(item, entry))
        data = _rss_title(_with_body(_serialized(item.rss_entry(), rss), _RSS_BODY, body), entry)
        return data if entry.summary else _with_body(data, _RSS_DESCRIBED_BY_BODY, body)

    made = made_once(memo, RSS if rss else ATOM, entry, serialized)
    _RECENT.put((entry, rss), made)
    return made


def _assembled(generator: FeedGenerator, rss: bool, entries: list[bytes]) -> bytes:
    """The document feedgen lays out, its entries' bytes where its placeholder stands."""
    if entries:
        generator.add_entry(_Placeholder(), order="append")
    document = bytes(generator.rss_str(pretty=True, encoding="UTF-8") if rss else
                     generator.atom_str(pretty=True, encoding="UTF-8"))
    if not entries:
        return document
    placeholder = _RSS_PLACEHOLDER if rss else _ATOM_PLACEHOLDER
    before, found, after = document.partition(placeholder)
    assert found and placeholder not in after, "one placeholder: text never holds a raw `<`"
    return b"".join((before, b"\n", *entries, after))


_ENTRY_END = b"  </entry>\n"
_PUB_DATE_END = b"</pubDate>\n"


def render_atom(feed: Feed, memo: Memo | None = None) -> bytes:
    """The Atom document of `feed` (`memo`: what was made of its entries for other documents rendered with it).
    In the unified feed each entry ends with its `<source>`."""
    generator = _generator(feed, ATOM, "application/atom+xml")
    sources = _source_updated(feed.entries) if feed.unified else {}
    memo = {} if memo is None else memo
    source_bytes: dict[Source, bytes] = {}
    entries = []
    for entry in feed.entries:
        data = _entry_bytes(memo, entry, rss=False)
        if feed.unified:
            meta = entry.meta
            slug = meta.source_slug
            variant = "" if slug in feed.variant_skips else feed.variant_dir
            source = (feed_id(slug, variant), display(meta.source_name), feed.url(feed.source_stem(slug), ATOM),
                      sources[slug])
            if source not in source_bytes:
                source_bytes[source] = _serialized(_atom_source(source), rss=False)
            data = data[:-len(_ENTRY_END)] + source_bytes[source] + _ENTRY_END
        entries.append(data)
    return _assembled(generator, False, entries)


def _atom_source(source: Source) -> Any:
    """RFC 4287's complete `<source>`: the source feed's id, title, self link and updated."""
    source_id, title, url, updated = source
    element = etree.Element("source")
    etree.SubElement(element, "id").text = source_id
    etree.SubElement(element, "title").text = title
    etree.SubElement(element, "link", rel="self", href=url, type="application/atom+xml")
    etree.SubElement(element, "updated").text = updated.isoformat()
    return element


def render_rss(feed: Feed, memo: Memo | None = None) -> bytes:
    """The RSS 2.0 document of `feed`: each item's summary as `description`, the article as `content:encoded`,
    the author as `dc:creator` (RSS's own `author` must be an e-mail address), the source feed as `source`
    (after `pubDate`)."""
    generator = _generator(feed, RSS, "application/rss+xml")
    generator.load_extension("dc", atom=False, rss=True)
    memo = {} if memo is None else memo
    source_bytes: dict[tuple[str, str], bytes] = {}
    entries = []
    for entry in feed.entries:
        data = _entry_bytes(memo, entry, rss=True)
        if feed.unified:
            meta = entry.meta
            source = (display(meta.source_name), feed.url(feed.source_stem(meta.source_slug), RSS))
            if source not in source_bytes:
                source_bytes[source] = _serialized(_rss_source(*source), rss=True)
            cut = data.index(_PUB_DATE_END) + len(_PUB_DATE_END)
            data = data[:cut] + source_bytes[source] + data[cut:]
        entries.append(data)
    return _assembled(generator, True, entries)


def _rss_source(title: str, url: str) -> Any:
    """RSS's `<source>`: the source feed's title and URL."""
    element = etree.Element("source", url=url)
    element.text = title
    return element
