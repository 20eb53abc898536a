"""Feeds to JSON Feed 1.1 bytes (https://www.jsonfeed.org/version/1.1/), with the standard library. Pure.

An archive document's `next_url` points to the next older document, as JSON Feed pagination does; the
subscription document's `next_url` to the newest archive document. Compact, with sorted keys: the same feed always
gives the same bytes. Each item is serialized once for all the documents rendered with it (`built`), and the
unified feed's `_source` (the first key in sorted order) is put in front of it.
"""

from __future__ import annotations

import json
from typing import Any

from feedsvc.model import Entry, Feed
from feedsvc.output.body import entry_html
from feedsvc.output.memo import Memo, made_once
from feedsvc.text import display

JSON = ".json"
VERSION = "https://jsonfeed.org/version/1.1"


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _item(entry: Entry) -> bytes:
    """The item of `entry` as JSON (UTF-8), without `_source`."""
    meta = entry.meta
    item: dict[str, Any] = {
        "id": meta.id,
        "url": meta.link,
        "title": display(meta.title),
        "content_html": entry_html(entry),
        "date_published": meta.published.isoformat(),
        "date_modified": meta.updated.isoformat(),
        "authors": [{"name": display(meta.author or meta.source_name)}],
    }
    if entry.summary:
        item["summary"] = entry.summary
    if meta.language:
        item["language"] = meta.language
    if meta.categories:
        item["tags"] = [display(c) for c in meta.categories]
    return _dumps(item).encode("utf-8")


def render_json(feed: Feed, memo: Memo | None = None) -> bytes:
    """The JSON Feed document of `feed` (`memo`: what was made of its entries for other documents rendered with
    it, by kind; here, under `.json`, the items serialized)."""
    document: dict[str, Any] = {
        "version": VERSION,
        "title": display(feed.title),
        "home_page_url": feed.alternate_url,
        "feed_url": feed.url(feed.stem, JSON),
        "authors": [{"name": display(feed.title)}],
        "items": [],
    }
    if feed.subtitle:
        document["description"] = display(feed.subtitle)
    if feed.language:
        document["language"] = feed.language
    if feed.prev_archive:
        document["next_url"] = feed.url(feed.prev_archive, JSON)
    if feed.hubs:
        document["hubs"] = [{"type": "WebSub", "url": hub} for hub in feed.hubs]
    items = []
    sources: dict[tuple[str, str], bytes] = {}
    for entry in feed.entries:
        item = made_once(memo, JSON, entry, _item)
        if feed.unified:
            meta = entry.meta
            key = (meta.source_slug, meta.source_name)
            source = sources.get(key)
            if source is None:
                source = sources[key] = b'{"_source":' + _dumps(
                    {"title": display(meta.source_name),
                     "feed_url": feed.url(feed.source_stem(meta.source_slug), JSON)}).encode("utf-8") + b","
            item = source + item[1:]
        items.append(item)
    # `"items":[]` occurs once: any other quote in the document is escaped inside a string
    before, found, after = _dumps(document).partition('"items":[]')
    assert found, "the document has its items"
    return b"".join((before.encode("utf-8"), b'"items":[', b",".join(items), b"]", after.encode("utf-8"), b"\n"))
