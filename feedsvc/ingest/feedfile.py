"""RSS 2.0, RSS 1.0 and Atom files as seeds. Only this module imports feedparser, and only when it reads such a
file: most archives hold none, and importing it costs a run that cleans one new seed 0.06 s.

Documents that declare entities are refused before feedparser sees them: no entity is ever expanded (no
"billion laughs") and no external entity is ever resolved (no XXE).
"""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from feedsvc.errors import FeedFileError

_FEED_START = re.compile(rb"(?:\s++|<\?[^>]*+>|<!--(?:[^-]|-(?!->))*+-->|<!DOCTYPE[^>]*+>)*+<(?:rss|feed|rdf:RDF)\b",
                         re.IGNORECASE)
"""A prolog (whitespace, the XML declaration and other processing instructions, comments, a doctype), then a
feed's root element. Possessive, and a comment's text cannot hold `-->`: nothing can be matched two ways, so
nothing backtracks (comments matched as `.*?-->` could end at any later `-->`: 4 KB of `<!-- -->` took
exponential time)."""
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_DOCTYPE_START = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_DOCTYPE = re.compile(rb"<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>", re.DOTALL | re.IGNORECASE)
FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf")


@dataclass(frozen=True)
class FeedItem:
    """One item of a feed file, fields as found."""

    title: str
    link: str
    html: str
    published: datetime | None
    updated: datetime | None
    author: str | None
    categories: tuple[str, ...]


def looks_like_feed(data: bytes) -> bool:
    return bool(_FEED_START.match(data[:4096]))


def _when(parsed: time.struct_time | None) -> datetime | None:
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _without_doctype(data: bytes) -> bytes:
    """`data` without its document type declaration, the first `<!DOCTYPE`, when it is one. Tried only there:
    searching for the whole declaration scans to the end from every `<!DOCTYPE [` that never closes (quadratic)."""
    start = _DOCTYPE_START.search(data)
    declaration = _DOCTYPE.match(data, start.start()) if start else None
    return data[:declaration.start()] + data[declaration.end():] if declaration else data


def parse_feed(data: bytes) -> tuple[FeedItem, ...]:
    """The items of an RSS or Atom document; raises FeedFileError for a refused or unreadable document."""
    if _ENTITY_DECL.search(data):
        raise FeedFileError("feed declares XML entities (possible entity-expansion or XXE attack): refused")
    data = _without_doctype(data)
    import feedparser

    parsed = feedparser.parse(data, resolve_relative_uris=False, sanitize_html=False)
    if not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise FeedFileError(f"feed has no items{f' ({problem})' if problem else ''}")
    items = []
    for raw in parsed.entries:
        contents = raw.get("content") or []
        html = contents[0].get("value", "") if contents else raw.get("summary", "")
        items.append(FeedItem(
            title=str(raw.get("title", "") or ""),
            link=str(raw.get("link", "") or ""),
            html=str(html or ""),
            published=_when(raw.get("published_parsed")),
            updated=_when(dict.get(raw, "updated_parsed")),  # plain lookup: no published->updated fallback
            author=str(raw.get("author")) if raw.get("author") else None,
            categories=tuple(str(t.get("term")) for t in raw.get("tags", []) if t.get("term")),
        ))
    return tuple(items)
