"""output.pages: the OPML lists and the pages for people, parsed as a reader and a browser parse them."""

from __future__ import annotations

import posixpath
from dataclasses import replace
from datetime import UTC, datetime

import html5lib
import lxml.etree
from hypothesis import given
from hypothesis import strategies as st

from feedsvc.model import Entry, EntryMeta, Feed, Provenance
from feedsvc.output.pages import relative_path, render_archive_index, render_opml, render_period, story_page

WHEN = datetime(2024, 5, 1, 12, tzinfo=UTC)
XHTML = "{http://www.w3.org/1999/xhtml}"


def _feed(slug: str, title: str, language: str | None, *entries: Entry) -> Feed:
    return Feed(slug, title, "", f"sources/{slug}", "https://f.example/", f"https://{slug}.example/", language,
                entries, id=f"urn:{slug}", entry_count=len(entries))


def _entry(title: str, language: str | None) -> Entry:
    meta = EntryMeta("urn:1", title, "https://www.dw.com/zh/a-1?x=1&y=2", WHEN, WHEN, "dw", "德国之声", None, (),
                     Provenance(("1.md",), "link-line", "header", "header"), language)
    return Entry(meta, "<p>x</p>", "", "d1")


def test_opml_lists_every_feed_with_its_url_and_escaped_names() -> None:
    feeds = [_feed("dw", 'DW "德国之声" & <co>', "zh-Hant"), _feed("voa", "美国之音", None)]
    outlines = list(lxml.etree.fromstring(render_opml("全部", feeds, ".atom")).iter("outline"))
    assert [(o.get("text"), o.get("xmlUrl"), o.get("language")) for o in outlines] == [
        ('DW "德国之声" & <co>', "https://f.example/sources/dw.atom", "zh-Hant"),
        ("美国之音", "https://f.example/sources/voa.atom", None)]


def test_the_archive_index_links_every_period_in_every_format() -> None:
    feed = _feed("dw", "德国之声", "zh-Hant")
    page = html5lib.parse(render_archive_index(feed, [("2024-05", 3, "archive/sources/dw/2024-05")],
                                               [".atom", ".json"], "https://f.example/index.html"))
    links = [a.get("href") for a in page.iter(f"{XHTML}a")]
    assert links == ["../../../index.html", "../../../sources/dw.html", "../../../sources/dw.html",
                     "../../../sources/dw.atom", "../../../sources/dw.json", "2024-05.html", "2024-05.atom",
                     "2024-05.json"], "relative: the page is archive/sources/dw/"


def test_a_period_page_lists_each_story_escaped_and_in_its_language() -> None:
    entry = _entry("<script>alert(1)</script> 报道", "zh-Hans")
    page = html5lib.parse(render_period(replace(_feed("dw", "德国之声", "zh-Hant", entry),
                                                stem="archive/sources/dw/2024-05", current="sources/dw"),
                                        [entry], "2024-05", "https://f.example/archive/sources/dw/index.html",
                                        (None, None), None, {"dw": "zh-Hant"}))
    assert not list(page.iter(f"{XHTML}script"))
    (listing,) = page.iter(f"{XHTML}ol")
    (row,) = listing
    title, meta = row
    assert title.get("lang") == "zh-Hans" and title.text == "<script>alert(1)</script> 报道"
    assert title.get("href") == "../../../" + story_page("urn:1")  # its page, relative to archive/sources/dw/
    source = meta.findall(f"{XHTML}span")[0]
    assert source.get("lang") == "zh-Hant" and source.text == "德国之声"
    original = meta.findall(f"{XHTML}a")[-1]
    assert original.get("href") == "https://www.dw.com/zh/a-1?x=1&y=2" and original.text == "原文"
    assert original.get("rel") == "noopener noreferrer"


_SEGMENT = st.sampled_from(["a", "b", "archive", "all", "stories", "ab", ".", "", "..", "x.html"])


@given(st.lists(_SEGMENT, max_size=4).map("/".join), st.lists(_SEGMENT, max_size=4).map("/".join))
def test_relative_paths_are_those_of_posixpath(path: str, start: str) -> None:
    assert relative_path(path, start) == posixpath.relpath(path or ".", start or ".")
