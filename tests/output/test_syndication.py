"""output.syndication: an entry's body is written into its serialized entry from its UTF-8 bytes, escaped, instead
of through lxml's tree: the bytes must be the ones lxml writes, whatever the body holds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from lxml import etree

from feedsvc.model import Entry, EntryMeta, Provenance
from feedsvc.output.body import entry_html
from feedsvc.output.syndication import _entry_bytes, _feed_entry, _serialized, _with_rss_fields
from feedsvc.text import html_text, markup_safe

WHEN = datetime(2024, 5, 1, 12, tzinfo=UTC)
BODIES = [
    '<p>德國之聲 &amp; "引號" \'單\' <a href="https://example.com/?a=1&amp;b=2">連結</a></p>',
    "<p>a\r\nb\tc\n</p><!-- ]]> -->",  # a carriage return is written as a character reference
    "<p>😀 \u2028 \u00a0 \x85</p>",  # beyond the BMP, separators, C1 (allowed in XML)
    '<p>body</p><content type="html">body</content><description>body</description>',  # the stand-in's bytes, as text
    "body",
    "",  # cleaning left nothing: the summary, or a link to the original, stands in
]
SUMMARIES = ["", "body", "摘要 & <摘要>"]


def _entry(article: str | bytes, summary: str) -> Entry:
    title = 'body <content type="html">body</content>'  # the stand-in's bytes, in other fields
    meta = EntryMeta("urn:story:1", title, "https://www.dw.com/zh/a-1?x=1&y=2", WHEN, WHEN, "dw", "德国之声", None,
                     ("body",), Provenance(("1.md",), "link-line", "header", "header"))
    return Entry(meta, article, summary, "d1")


def _through_lxml(entry: Entry, rss: bool) -> bytes:
    """The entry as feedgen and lxml serialize it with the body set as its elements' text."""
    item = _feed_entry(entry)
    body = entry_html(entry)
    if rss:
        item = _with_rss_fields(item, entry)
        item.description(html_text(entry.summary) if entry.summary else body)  # HTML, as RSS readers read it
        item.title(markup_safe(entry.meta.title))  # what looks like a tag, escaped as HTML
    item.content(body, type="html")
    if rss:
        return _serialized(item.rss_entry(), rss)
    element = item.atom_entry()
    title = element.find("title")  # feedgen's entry element, before the document's namespace applies
    title.set("type", "html")  # it looks like markup: published as HTML, escaped
    title.text = markup_safe(entry.meta.title)
    return _serialized(element, rss)


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize("summary", SUMMARIES)
def test_the_body_is_written_as_lxml_writes_it(body: str, summary: str) -> None:
    for rss in (False, True):
        expected = _through_lxml(_entry(body, summary), rss)
        for article in (body, body.encode("utf-8")):  # as the cleaner made it, as the cache holds it
            assert _entry_bytes({}, _entry(article, summary), rss) == expected, (rss, article)
        assert b"<content" in expected


def test_the_body_is_the_element_s_text_and_the_summary_stays_apart() -> None:
    entry = _entry("<p>正文 &amp; 1 < 2</p>\r".encode(), "body")
    namespaces = {"atom": "http://www.w3.org/2005/Atom", "content": "http://purl.org/rss/1.0/modules/content/"}
    atom = etree.fromstring(b'<feed xmlns="http://www.w3.org/2005/Atom">' + _entry_bytes({}, entry, False) + b"</feed>")
    assert atom.findtext("atom:entry/atom:content", namespaces=namespaces) == "<p>正文 &amp; 1 < 2</p>\r"
    assert atom.findtext("atom:entry/atom:summary", namespaces=namespaces) == "body"
    rss = etree.fromstring(b'<rss xmlns:content="http://purl.org/rss/1.0/modules/content/" '
                           b'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
                           + _entry_bytes({}, entry, True) + b"</channel></rss>")
    assert rss.findtext("channel/item/content:encoded", namespaces=namespaces) == "<p>正文 &amp; 1 < 2</p>\r"
    assert rss.findtext("channel/item/description") == "body"


@pytest.mark.parametrize("rss", [False, True])
def test_every_category_is_written_once_in_its_order(rss: bool) -> None:
    """feedgen is given the categories at once (one call per category maps them all to RSS again: quadratic)."""
    entry = _entry("<p>x</p>", "")
    categories = tuple(f"類{n}" for n in range(300))
    entry = Entry(replace(entry.meta, categories=categories), entry.article, "", "d1")
    item = _feed_entry(entry)
    element = _with_rss_fields(item, entry).rss_entry() if rss else item.atom_entry()
    tags = element.iter("{*}category")
    written = [c.text for c in tags] if rss else [c.get("term") for c in tags]
    assert written == list(categories)
