"""What every format publishes as an entry's body. Pure.

An entry whose article left nothing after cleaning (an empty seed, a video-only post) still gets a body: its
summary, or else a link to the original article, never an empty content element.
"""

from __future__ import annotations

from html import escape

from feedsvc.model import Entry
from feedsvc.text import display


def has_text(entry: Entry) -> bool:
    """Whether the archive holds any text of the entry (an article or a summary); else its body is only a link to
    the original."""
    return bool(entry.article or entry.summary)


def entry_html(entry: Entry) -> str:
    """The entry's cleaned HTML (the cleaner made it `text.readable` already), or a short stand-in when cleaning
    left nothing."""
    if entry.article:
        return entry.content
    if entry.summary:
        return f"<p>{escape(entry.summary, quote=False)}</p>"
    title = escape(display(entry.meta.title), quote=False)
    return f'<p><a href="{escape(entry.meta.link)}" rel="noopener noreferrer">{title}</a></p>'


def entry_html_utf8(entry: Entry) -> bytes:
    """`entry_html`, UTF-8 encoded: the article as the cache holds it, not decoded and encoded again."""
    return entry.content_utf8 if entry.article else entry_html(entry).encode("utf-8")
