"""The OPML subscription lists and the pages for people: the index, each feed's newest stories, its archive index
and one page per archive period (the story pages: `output.story`). Pure: built from the feeds, deterministic; the
HTML comes from templates that escape every value (`output.templates`); no JavaScript, nothing from another host,
links relative, so the pages work from disk, a sub-folder or any static host."""

from __future__ import annotations

import functools
import hashlib
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import NamedTuple

from feedsvc import __version__
from feedsvc.model import Entry, Feed
from feedsvc.output.listing import ARCHIVE_DIR, STORIES_DIR
from feedsvc.output.memo import Memo, made_once
from feedsvc.output.templates import render
from feedsvc.text import display

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

FORMAT_LABELS = {".atom": ("Atom", "application/atom+xml"), ".rss": ("RSS", "application/rss+xml"),
                 ".json": ("JSON Feed", "application/feed+json")}

def _x(value: str) -> str:
    return escape(display(value), quote=True)


def _relative(url: str, base: str, page: str) -> str:
    """`url` as a link from the page published at `page` (a path below the output directory): relative where it is
    one of the site's own (below `base`), so that the pages work from a folder on disk, a sub-folder or any static
    host; any other URL as it is. Feeds and OPML keep absolute URLs: readers need them."""
    if not url.startswith(base):
        return url
    return relative_path(url[len(base):], posixpath.dirname(page))


def relative_path(path: str, start: str) -> str:
    """`posixpath.relpath(path or ".", start or ".")` for paths below one folder, without making either absolute
    first (which asks the working directory of the operating system for each of them: 0.05 s of a 0.5 s daemon
    run at 10,000 seeds went to the 455 links of one run's pages)."""
    start_parts = [part for part in start.split("/") if part and part != "."]
    path_parts = [part for part in path.split("/") if part and part != "."]
    if ".." in start_parts or ".." in path_parts or path.startswith("/") or start.startswith("/"):
        return posixpath.relpath(path or ".", start or ".")
    common = 0
    for ours, theirs in zip(start_parts, path_parts, strict=False):
        if ours != theirs:
            break
        common += 1
    parts = [".."] * (len(start_parts) - common) + path_parts[common:]
    return "/".join(parts) if parts else "."


def _up(page: str) -> str:
    """The way from the page published at `page` to the output directory (`""`, `"../"`, …)."""
    return "../" * page.count("/")


def story_page(story_id: str) -> str:
    """Where a story's page is published, from its id (`urn:uuid:…`, derived from its link alone, so the page
    keeps its address for good): `stories/<2 hex digits>/<uuid>.html`, a few hundred pages a folder."""
    name = story_id.removeprefix("urn:uuid:")
    if not _UUID.match(name):
        name = hashlib.sha256(story_id.encode("utf-8")).hexdigest()[:32]
    return f"{STORIES_DIR}/{name[:2]}/{name}.html"


def _common(title: str, page: str, site_title: str) -> dict[str, object]:
    """What every page's frame shows: its title, the way to the site's root (the search box, the OpenSearch
    description), the site's title."""
    return {"title": display(title), "version": __version__, "root": _up(page), "site_title": display(site_title)}


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


def render_opensearch(title: str, base: str) -> bytes:
    """The OpenSearch 1.1 description of the archive's search (`feedsvc serve`'s `/search`, in HTML, Atom, RSS and
    JSON Feed), so a browser offers it; its templates are absolute, as the specification asks."""
    urls = "".join(f'  <Url type="{kind}" template="{_x(base)}{path}?q={{searchTerms}}&amp;page={{startPage?}}"/>\n'
                   for kind, path in (("text/html", "search"), ("application/atom+xml", "search.atom"),
                                      ("application/rss+xml", "search.rss"), ("application/feed+json", "search.json")))
    return (f"""<?xml version="1.0" encoding="UTF-8"?>
<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/">
  <ShortName>{_x(display(title)[:16])}</ShortName>
  <Description>{_x(display(title))}: every story, searched in Chinese (either script) and other languages</Description>
  <InputEncoding>UTF-8</InputEncoding>
{urls}  <Url type="application/opensearchdescription+xml" rel="self" template="{_x(base)}opensearch.xml"/>
</OpenSearchDescription>
""").encode()


def render_index(title: str, subtitle: str, opml: Sequence[tuple[str, str]], listed: Sequence[Listed],
                 discovery: Sequence[tuple[str, str, str]], base: str) -> bytes:
    """A plain page listing the feeds (title, entry count, newest entry, every format and variant, archive),
    with autodiscovery links (`discovery`: (title, media type, URL)); links relative to `index.html` below
    `base`, each feed's address shown whole, to paste into a reader."""
    def href(url: str) -> str:
        return _relative(url, base, "index.html")

    alternates = [(display(name), kind, href(url)) for name, kind, url in discovery]
    alternates += [(label, "text/x-opml", href(url)) for label, url in opml]
    rows = []
    for item in listed:
        feed = item.feed
        address = item.copies[0][1][0][1]
        rows.append({
            "page": href(feed.url(feed.stem, ".html")), "lang": feed.language, "title": display(feed.title),
            "address": address, "count": feed.entry_count,
            "newest": feed.newest.strftime("%Y-%m-%d %H:%M UTC") if feed.newest else "—",
            "copies": [(label, [(name, href(url)) for name, url in links]) for label, links in item.copies],
            "archive": href(item.archive_url) if item.archive_url else None})
    unified = listed[0].feed if listed else None
    return render("index", **_common(title, "index.html", title), subtitle=display(subtitle), alternates=alternates,
                  rows=rows, opml=[(label, href(url)) for label, url in opml],
                  unified_page=href(unified.url(unified.stem, ".html")) if unified else "index.html")


def render_archive_index(feed: Feed, periods: Sequence[tuple[str, int, str]], formats: Sequence[str],
                         index_url: str, site_title: str = "") -> bytes:
    """A feed's archive: every period (name, story count, stem) newest first, linking to the period's page and
    its feed documents (relative links: the page is `archive/<feed>/index.html`)."""
    page = f"{ARCHIVE_DIR}/{feed.stem}/index.html"

    def href(stem: str, extension: str) -> str:
        return _relative(feed.url(stem, extension), feed.base_url, page)

    rows = [(name, count, href(stem, ".html"), [(FORMAT_LABELS[ext][0], href(stem, ext)) for ext in formats])
            for name, count, stem in periods]
    return render("archive", **_common(f"{feed.title}: archive", page, site_title), feed_title=display(feed.title),
                  lang=feed.language, count=feed.entry_count, periods=rows,
                  index=_relative(index_url, feed.base_url, page), newest_page=href(feed.stem, ".html"),
                  current=[(FORMAT_LABELS[ext][0], href(feed.stem, ext)) for ext in formats])


_ROWS = "listing rows"
"""The `Memo` key of the listing pages' rows (with the way up to the output directory: rows link relatively)."""


class Row(NamedTuple):
    """What a story's row shows in a listing or in search results (`rows.html`): its title linking to its page,
    in the story's language, its time, its source's name (in the source's language) and its original link."""

    page: str
    lang: str | None
    title: str
    iso: str
    when: str
    source: str
    source_lang: str | None
    link: str


def story_row(entry: Entry, up: str, languages: Mapping[str, str | None]) -> Row:
    """A story's row, its page `up` from the listing; its title in the story's language, or its source's where the
    text showed none (as every feed publishes it: `DocumentRenderer.prepare`), so that a browser picks the
    right CJK glyphs whether the entry was prepared (a listing) or read as stored (search results)."""
    meta = entry.meta
    source_lang = languages.get(meta.source_slug)
    return Row(up + story_page(meta.id), meta.language or source_lang, display(meta.title),
               meta.updated.isoformat(timespec="seconds"), f"{meta.updated:%Y-%m-%d %H:%M}", display(meta.source_name),
               source_lang, meta.link)


def render_period(feed: Feed, entries: Sequence[Entry], name: str, archive_url: str | None,
                  neighbours: tuple[tuple[str, str] | None, tuple[str, str] | None], memo: Memo | None = None,
                  languages: Mapping[str, str | None] | None = None, index_url: str | None = None,
                  site_title: str = "") -> bytes:
    """A listing of stories: a feed's newest (its subscription document's page) or one archive period's, newest
    first, each row linking to the story's page and to the original (`memo`: what was made of the entries for
    other documents rendered with it, whose pages list the same stories; `languages`: each source's language, by
    slug; `neighbours`: the newer and older listing, as (name, URL))."""
    page = feed.stem + ".html"
    up = _up(page)
    known = languages or {}
    row = functools.partial(story_row, up=up, languages=known)
    rows = [made_once(memo, f"{_ROWS} {up}", entry, row) for entry in entries]
    newer, older = neighbours

    def href(url: str) -> str:
        return _relative(url, feed.base_url, page)

    links = [("All feeds", href(index_url or feed.url("index", ".html")))]
    if archive_url:
        links.append((f"{display(feed.title)}: archive", href(archive_url)))
    return render("listing", **_common(f"{feed.title}: {name}", page, site_title), feed_title=display(feed.title),
                  lang=feed.language, name=name, count=len(entries), rows=rows, links=links,
                  newer=(newer[0], href(newer[1])) if newer else None,
                  older=(older[0], href(older[1])) if older else None,
                  alternates=[(display(feed.title), FORMAT_LABELS[".atom"][1], href(feed.url(feed.stem, ".atom")))]
                  if feed.current is None else [])
