"""output.variants: Simplified and Traditional copies convert text, never markup, URLs or attributes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from feedsvc.model import Entry, EntryMeta, Feed, Provenance
from feedsvc.output.variants import VARIANTS, Converter, transforms, written_in

WHEN = datetime(2024, 1, 1, tzinfo=UTC)


def _entry(title: str, content: str, slug: str = "voa", language: str | None = "zh-Hans") -> Entry:
    meta = EntryMeta("urn:1", title, "https://www.voachinese.com/a/汉字/1.html", WHEN, WHEN, slug, "美国之音",
                     "记者 张三", ("国际新闻",), Provenance(("a.md",), "link-line", "header", "header"), language)
    return Entry(meta, content, "简体摘要", "d1")


def _feed(language: str | None, *entries: Entry, unified: bool = False) -> Feed:
    return Feed("all" if unified else "voa", "美国之音", "简体副标题", "all" if unified else "sources/voa",
                "https://f.example/", "https://www.voachinese.com/", language, entries, id="urn:feed",
                unified=unified, prev_archive="archive/sources/voa/2024-01")


def test_html_text_is_converted_and_markup_urls_and_attributes_are_not() -> None:
    converter = Converter(VARIANTS["zh-Hant"])
    html = ('<p>这是简体中文<a href="https://x.example/汉字?q=国" title="简体标题">汉字链接</a></p>'
            '<img alt="图片说明" src="https://x.example/图.jpg"><p>发展 &amp; 经济</p>')
    assert converter.html(html) == (
        '<p>這是簡體中文<a href="https://x.example/汉字?q=国" title="简体标题">漢字鏈接</a></p>'
        '<img alt="图片说明" src="https://x.example/图.jpg"><p>發展 &amp; 經濟</p>')


def test_a_simplified_story_gets_a_traditional_copy_and_the_reverse() -> None:
    to_hant, to_hans = transforms(["zh-Hant", "zh-Hans"], {"voa": "zh-Hans", "cna": "zh-Hant"})
    feed = _feed("zh-Hans", _entry("美国国会通过预算", "<p>国会议员发言</p>"))
    copy, same = to_hant(feed), to_hans(feed)
    assert copy is not None and same is not None, "a source may write both scripts: every Chinese source gets both"
    assert same.entries[0].content is feed.entries[0].content, "a story already in the variant's script is kept"
    assert copy.entries[0].meta.language == "zh-Hant"
    assert (copy.stem, copy.language, copy.title, copy.subtitle) == ("zh-hant/sources/voa", "zh-Hant", "美國之音",
                                                                      "簡體副標題")
    assert copy.prev_archive == "zh-hant/archive/sources/voa/2024-01" and copy.id != feed.id
    (entry,) = copy.entries
    assert (entry.meta.title, entry.content, entry.summary) == ("美國國會通過預算", "<p>國會議員發言</p>", "簡體摘要")
    assert (entry.meta.author, entry.meta.categories) == ("記者 張三", ("國際新聞",))
    assert entry.meta.source_name == "美國之音"
    assert entry.meta.link == feed.entries[0].meta.link and entry.meta.id == "urn:1"
    traditional = _feed("zh-Hant", _entry("美國國會", "<p>國會議員</p>", language="zh-Hant"))
    back = to_hans(traditional)
    assert back is not None and back.entries[0].meta.title == "美国国会" and back.language == "zh-Hans"


def test_the_unified_feed_gets_every_variant_and_links_to_sources_that_have_one() -> None:
    (to_hant,) = transforms(["zh-Hant"], {"voa": "zh-Hans", "cna": "zh-Hant"})
    copy = to_hant(_feed(None, _entry("x", "<p>x</p>"), unified=True))
    assert copy is not None
    assert copy.source_stem("voa") == "zh-hant/sources/voa"
    assert copy.source_stem("cna") == "zh-hant/sources/cna", "CNA may write Simplified too: it has a copy"
    assert copy.source_stem("newsite") == "zh-hant/sources/newsite", "an unconfigured source gets copies"
    english = replace(_feed("en"), unified=False)
    assert to_hant(english) is None
    (to_hant,) = transforms(["zh-Hant"], {"economist": "en"})
    copy = to_hant(_feed(None, _entry("x", "<p>x</p>"), unified=True))
    assert copy is not None and copy.source_stem("economist") == "sources/economist", "no copy to link to"


def test_each_story_is_converted_by_its_own_script() -> None:
    """DW writes both scripts: in each copy of its feed every story is in the copy's script."""
    to_hant, to_hans = transforms(["zh-Hant", "zh-Hans"], {"dw": "zh-Hant"})
    simplified = _entry("德国议会辩论", "<p>议会</p>", slug="dw", language="zh-Hans")
    traditional = _entry("德國議會辯論", "<p>議會</p>", slug="dw", language="zh-Hant")
    english = _entry("Bundestag", "<p>Debate</p>", slug="dw", language="en")
    feed = replace(_feed("zh-Hant", simplified, traditional, english), slug="dw", stem="sources/dw")
    hant, hans = to_hant(feed), to_hans(feed)
    assert hant is not None and hans is not None
    assert [e.meta.title for e in hant.entries] == ["德國議會辯論", "德國議會辯論", "Bundestag"]
    assert [e.meta.title for e in hans.entries] == ["德国议会辩论", "德国议会辩论", "Bundestag"]
    assert [e.meta.language for e in hant.entries] == ["zh-Hant", "zh-Hant", "en"]
    assert hant.entries[1].content is traditional.content and hans.entries[0].content is simplified.content


def test_a_story_is_converted_once_for_every_document_that_lists_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its source's feed and the unified feed get the same converted entry: the renderers' memos find it by
    identity, and OpenCC sees its summary and article once."""
    (to_hant,) = transforms(["zh-Hant"], {"voa": "zh-Hans"})
    story = _entry("美国国会通过预算", "<p>国会议员发言</p>")
    converter = to_hant.args[1]  # type: ignore[attr-defined]
    converted: list[str] = []
    real = converter._opencc.convert

    def counting(text: str) -> str:
        converted.append(text)
        return str(real(text))

    monkeypatch.setattr(converter._opencc, "convert", counting)
    source, unified = to_hant(_feed("zh-Hans", story)), to_hant(_feed(None, story, unified=True))
    assert source is not None and unified is not None
    assert source.entries[0] is unified.entries[0]
    assert source.entries[0].summary == "簡體摘要" and converted.count("简体摘要") == 1
    assert sum("国会议员发言" in text for text in converted) == 1


def test_the_unified_copy_leaves_stories_already_written_in_its_variant_as_written() -> None:
    (to_hant,) = transforms(["zh-Hant"], {"voa": "zh-Hans", "cna": "zh-Hant"})
    simplified = _entry("美国国会", "<p>国会</p>")
    traditional = _entry("臺灣 发展", "<p>发展</p>", slug="cna", language="zh-Hant")  # s2t would write 發展
    copy = to_hant(_feed(None, simplified, traditional, unified=True))
    assert copy is not None
    converted, kept = copy.entries
    assert (converted.meta.title, converted.content) == ("美國國會", "<p>國會</p>")
    assert kept.content is traditional.content and kept.meta.title == traditional.meta.title, \
        "the story is Traditional: it is published as CNA wrote it"
    assert kept.meta.source_name == "美國之音", "but its source's name, configured here in Simplified, is converted"
    (as_written,) = to_hant(_feed(None, replace(traditional, meta=replace(traditional.meta, source_name="中央社")),
                                  unified=True)).entries  # type: ignore[union-attr]
    assert as_written.meta.source_name == "中央社" and as_written.meta.title == "臺灣 发展"


@pytest.mark.parametrize(("language", "script"), [
    ("zh-Hans", "zh-Hans"), ("zh-CN", "zh-Hans"), ("zh-Hant", "zh-Hant"), ("zh-TW", "zh-Hant"), ("zh-HK", "zh-Hant"),
    ("zh", "mixed"), (None, "mixed"), ("en", None),
])
def test_written_in(language: str | None, script: str | None) -> None:
    assert written_in(language) == script
