"""What every format publishes as an entry's body (`output.body`): the cleaned article, else its summary, else a
link to the original, never an empty content element."""

from __future__ import annotations

from datetime import UTC, datetime

from feedsvc.model import Entry, EntryMeta, Provenance
from feedsvc.output.body import entry_html, entry_html_utf8

WHEN = datetime(2024, 5, 1, 12, tzinfo=UTC)


def make_entry(content: str, summary: str = "") -> Entry:
    meta = EntryMeta("urn:story:1", "标题 <b>&", "https://www.dw.com/zh/a-1?x=1&y=2", WHEN, WHEN, "dw", "德国之声",
                     None, (), Provenance(("1.md",), "link-line", "header", "header"))
    return Entry(meta, content, summary, "d1")


def test_the_article_is_published_as_the_cache_holds_it() -> None:
    entry = make_entry(content="<p>正文 &amp; 图</p>")
    assert entry_html(entry) == "<p>正文 &amp; 图</p>"
    assert entry_html_utf8(entry) == "<p>正文 &amp; 图</p>".encode()


def test_an_empty_article_gets_its_summary_or_else_a_link_to_the_original() -> None:
    entry = make_entry(content="", summary="摘要 <不是标签> & 符号")
    assert entry_html(entry) == "<p>摘要 &lt;不是标签&gt; &amp; 符号</p>"
    bare = make_entry(content="")
    assert entry_html(bare) == ('<p><a href="https://www.dw.com/zh/a-1?x=1&amp;y=2" rel="noopener noreferrer">'
                                "标题 &lt;b&gt;&amp;</a></p>")
    assert entry_html_utf8(bare) == entry_html(bare).encode()
