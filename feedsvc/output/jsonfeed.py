"""Feeds to JSON Feed 1.1 bytes (https://www.jsonfeed.org/version/1.1/), with the standard library. Pure.

An archive document's `next_url` points to the next older document, as JSON Feed pagination does; the
subscription document's `next_url` to the newest archive document. Compact, with sorted keys: the same feed always
gives the same bytes.
"""

from __future__ import annotations

import json
from typing import Any

from feedsvc.model import Feed
from feedsvc.output.body import entry_html
from feedsvc.text import collapse_space, readable

JSON = ".json"
VERSION = "https://jsonfeed.org/version/1.1"


def _text(value: str) -> str:
    return collapse_space(readable(value))


def render_json(feed: Feed) -> bytes:
    document: dict[str, Any] = {
        "version": VERSION,
        "title": _text(feed.title),
        "home_page_url": feed.alternate_url,
        "feed_url": feed.url(feed.stem, JSON),
        "authors": [{"name": _text(feed.title)}],
        "items": [],
    }
    if feed.subtitle:
        document["description"] = _text(feed.subtitle)
    if feed.language:
        document["language"] = feed.language
    if feed.prev_archive:
        document["next_url"] = feed.url(feed.prev_archive, JSON)
    if feed.hubs:
        document["hubs"] = [{"type": "WebSub", "url": hub} for hub in feed.hubs]
    for entry in feed.entries:
        meta = entry.meta
        item: dict[str, Any] = {
            "id": meta.id,
            "url": meta.link,
            "title": _text(meta.title),
            "content_html": entry_html(entry),
            "date_published": meta.published.isoformat(),
            "date_modified": meta.updated.isoformat(),
            "authors": [{"name": _text(meta.author or meta.source_name)}],
        }
        if entry.summary:
            item["summary"] = entry.summary
        if meta.categories:
            item["tags"] = [_text(c) for c in meta.categories]
        if feed.unified:
            item["_source"] = {"title": _text(meta.source_name),
                               "feed_url": feed.url(feed.source_stem(meta.source_slug), JSON)}
        document["items"].append(item)
    return (json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n").encode("utf-8")
