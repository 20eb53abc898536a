"""The OPML subscription lists and the pages for people: the index, each feed's archive index and one page per
archive period. Pure: built from the feeds, escaped, deterministic; plain HTML, no JavaScript, one stylesheet."""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from feedsvc import __version__
from feedsvc.model import Entry, Feed
from feedsvc.output.memo import Memo, made_once
from feedsvc.output.plan import ARCHIVE_DIR
from feedsvc.text import display

FORMAT_LABELS = {".atom": ("Atom", "application/atom+xml"), ".rss": ("RSS", "application/rss+xml"),
                 ".json": ("JSON Feed", "application/feed+json")}

_STYLE = """body { font: 16px/1.5 system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
td.n, th.n { text-align: right; }
td.d, .formats { white-space: nowrap; }
code { font-size: .85em; word-break: break-all; }
nav, .formats { font-size: .9em; }
.formats a { margin-right: .5em; white-space: nowrap; }"""


def _x(value: str) -> str:
    return escape(display(value), quote=True)


def _lang(language: str | None) -> str:
    """The `lang` attribute of text in `language` (none if unknown): the pages are in English, the names and
    titles they list in their sources' languages, and a browser picks the glyphs of Chinese text by it."""
    return f' lang="{_x(language)}"' if language else ""


def _in(language: str | None, text: str) -> str:
    """`text` (escaped), marked as written in `language` if that is known."""
    return f"<span{_lang(language)}>{_x(text)}</span>" if language else _x(text)


def _relative(url: str, base: str, page: str) -> str:
    """`url` as a link from the page published at `page` (a path below the output directory): relative where it is
    one of the site's own (below `base`), so that the pages work from a folder on disk, a sub-folder or any static
    host; any other URL as it is. Feeds and OPML keep absolute URLs: readers need them."""
    if not url.startswith(base):
        return url
    return posixpath.relpath(url[len(base):] or ".", posixpath.dirname(page) or ".")


def _page(title: str, head: str, body: str) -> bytes:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="feedsvc {__version__}">
<title>{_x(title)}</title>
{head}<style>
{_STYLE}
</style>
</head>
<body>
{body}</body>
</html>
""".encode()


@dataclass(frozen=True)
class Listed:
    """A feed as the index lists it: its subscription document, and the address of each published copy as
    (label, [(format label, URL)])."""

    feed: Feed
    copies: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    archive_url: str | None = None


def render_opml(title: str, feeds: Sequence[Feed], extension: str) -> bytes:
    """OPML 2.0 listing every feed in one format, for one-click subscription in a feed reader."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        f"    <title>{_x(title)}</title>",
        "  </head>",
        "  <body>",
    ]
    for feed in feeds:
        lines.append(
            f'    <outline type="rss" text="{_x(feed.title)}" title="{_x(feed.title)}" '
            f'xmlUrl="{_x(feed.url(feed.stem, extension))}" htmlUrl="{_x(feed.alternate_url)}"'
            + (f' language="{_x(feed.language)}"' if feed.language else "") + "/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines).encode("utf-8")


def render_index(title: str, subtitle: str, opml: Sequence[tuple[str, str]], listed: Sequence[Listed],
                 discovery: Sequence[tuple[str, str, str]], base: str) -> bytes:
    """A plain page listing the feeds (title, entry count, newest entry, every format and variant, archive),
    with autodiscovery links (`discovery`: (title, media type, URL)); links relative to `index.html` below
    `base`, each feed's address shown whole, to paste into a reader."""
    def href(url: str) -> str:
        return _x(_relative(url, base, "index.html"))

    head = "".join(f'<link rel="alternate" type="{_x(kind)}" title="{_x(name)}" href="{href(url)}">\n'
                   for name, kind, url in discovery)
    head += "".join(f'<link rel="alternate" type="text/x-opml" title="{_x(label)}" href="{href(url)}">\n'
                    for label, url in opml)
    rows = []
    for item in listed:
        feed = item.feed
        newest = feed.newest.strftime("%Y-%m-%d %H:%M UTC") if feed.newest else "—"
        main_url = item.copies[0][1][0][1]
        copies = "<br>".join(
            f"{_x(label)}: " + " ".join(f'<a href="{href(url)}">{_x(name)}</a>' for name, url in links)
            for label, links in item.copies)
        archive = f'<a href="{href(item.archive_url)}">archive</a>' if item.archive_url else ""
        rows.append(
            f'<tr><td><a href="{href(main_url)}"{_lang(feed.language)}>{_x(feed.title)}</a><br>'
            f"<code>{_x(main_url)}</code></td>"
            f'<td class="n">{feed.entry_count}</td><td class="d">{newest}</td><td class="formats">{copies}</td>'
            f"<td>{archive}</td></tr>")
    imports = ", ".join(f'<a href="{href(url)}">{_x(label)}</a>' for label, url in opml)
    body = f"""<h1>{_x(title)}</h1>
<p>{_x(subtitle)}</p>
<p>Paste a feed's address into your feed reader, or import every feed as OPML: {imports}.</p>
<table>
<thead><tr><th>Feed</th><th class="n">Entries</th><th>Newest entry</th><th>Formats</th><th>History</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
"""
    return _page(title, head, body)


def render_archive_index(feed: Feed, periods: Sequence[tuple[str, int, str]], formats: Sequence[str],
                         index_url: str) -> bytes:
    """A feed's archive: every period (name, story count, stem) newest first, linking to the period's page and
    its feed documents (relative links: the page is `archive/<feed>/index.html`)."""
    page = f"{ARCHIVE_DIR}/{feed.stem}/index.html"

    def href(stem: str, extension: str) -> str:
        return _x(_relative(feed.url(stem, extension), feed.base_url, page))

    rows = []
    for name, count, stem in periods:
        documents = " ".join(f'<a href="{href(stem, ext)}">{FORMAT_LABELS[ext][0]}</a>' for ext in formats)
        rows.append(f'<tr><td><a href="{href(stem, ".html")}">{_x(name)}</a></td>'
                    f'<td class="n">{count}</td><td class="formats">{documents}</td></tr>')
    current = " ".join(f'<a href="{href(feed.stem, ext)}">{FORMAT_LABELS[ext][0]}</a>' for ext in formats)
    body = f"""<nav><a href="{_x(_relative(index_url, feed.base_url, page))}">All feeds</a></nav>
<h1>{_in(feed.language, feed.title)}: archive</h1>
<p>{feed.entry_count} stories in all. The newest are in the feed itself ({current}); the older ones, period by
period, below. Each period is also a feed document (RFC 5005 archived feed), so a feed reader can fetch the whole
history.</p>
<table>
<thead><tr><th>Period</th><th class="n">Stories</th><th>Feed documents</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
"""
    return _page(f"{feed.title}: archive", "", body)


_ROWS = "period rows"
"""The `Memo` key of the period pages' rows."""


def _period_row(entry: Entry, lang_attributes: Mapping[str, str]) -> str:
    """A story's row, its title marked with the story's language and its source's name with the source's
    (`lang_attributes`: each source's `_lang`, by slug). Its link is canonical
    (`links.canonical_link`): ASCII, with nothing for `display` to mend, only escaping to do."""
    meta = entry.meta
    lang = lang_attributes.get(meta.source_slug, "")
    return (f'<tr><td class="d">{meta.updated:%Y-%m-%d %H:%M}</td>'
            f'<td{_lang(meta.language)}><a href="{escape(meta.link)}" rel="noopener noreferrer">{_x(meta.title)}</a>'
            f"</td><td{lang}>{_x(meta.source_name)}</td></tr>")


def render_period(feed: Feed, entries: Sequence[Entry], name: str, archive_url: str,
                  neighbours: tuple[tuple[str, str] | None, tuple[str, str] | None], memo: Memo | None = None,
                  languages: Mapping[str, str | None] | None = None) -> bytes:
    """One archive period's stories as a plain list: date, title linking to the original article, source
    (`memo`: what was made of the entries for other documents rendered with it, whose period pages list the
    same stories; `languages`: each source's language, by slug)."""
    row = functools.partial(_period_row, lang_attributes={slug: _lang(language)
                                                          for slug, language in (languages or {}).items()})
    rows = [made_once(memo, _ROWS, entry, row) for entry in entries]
    newer, older = neighbours
    page = feed.stem + ".html"

    def href(url: str) -> str:
        return _x(_relative(url, feed.base_url, page))

    links = [f'<a href="{href(archive_url)}">{_x(feed.title)}: archive</a>']
    if newer:
        links.append(f'<a href="{href(newer[1])}">newer: {_x(newer[0])}</a>')
    if older:
        links.append(f'<a href="{href(older[1])}">older: {_x(older[0])}</a>')
    body = f"""<nav>{" · ".join(links)}</nav>
<h1>{_in(feed.language, feed.title)}: {_x(name)}</h1>
<p>{len(entries)} stories, newest first (times in UTC).</p>
<table>
<thead><tr><th>Date</th><th>Title</th><th>Source</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
"""
    return _page(f"{feed.title}: {name}", "", body)
