"""Seeds to entries: every format, the golden sample seeds, the real corpus, hostile and mutated input."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedsvc.ingest.dates import from_epoch_ms, parse_date
from feedsvc.ingest.parse import (
    ParseContext,
    _dateline,
    _first_heading,
    _header,
    parse_seed,
    split_link_line,
)
from feedsvc.model import LFS_POINTER, ParseResult
from feedsvc.pipeline import make_job
from feedsvc.settings import Settings
from tests.conftest import NOW, ROOT, SAMPLES, corpus_files, needs_corpus


@pytest.fixture(scope="module")
def ctx(base_settings: Settings) -> ParseContext:
    return make_job(base_settings, NOW).ctx


def parse(ctx: ParseContext, text: str | bytes, path: str = "seed.md", mtime: datetime | None = None) -> ParseResult:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_seed(data, path, mtime, ctx)


def only(result: ParseResult):  # type: ignore[no-untyped-def]
    assert result.problem is None, result.problem
    assert len(result.entries) == 1
    return result.entries[0].meta


GOLDEN = {
    "000_5e86a5536f436506.txt": {
        "title": "中美核軍備雙邊磋商 形式重於實質",
        "link": "https://www.dw.com/zh/%E4%B8%AD%E7%BE%8E%E6%A0%B8%E8%BB%8D%E5%82%99%E9%9B%99%E9%82%8A%E7%A3%8B%E5%95%86"
             "%20%E5%BD%A2%E5%BC%8F%E9%87%8D%E6%96%BC%E5%AF%A6%E8%B3%AA/a-67337300",
        "id": "urn:uuid:228d29b0-0fb9-5256-8a79-5ad88d043a9e",
        "published": datetime(2023, 11, 8, 5, 20, 41, 666000, tzinfo=UTC), "date_from": "byline",
        "source_slug": "dw", "source_name": "德国之声 DW", "categories": ()},
    "002_7e59d68a7c4f54af.txt": {
        "title": "美中可以进行核对话，为什么展开核军控谈判几乎不可能？",
        "link": "https://www.voachinese.com/a/what-to-expect-from-us-china-nuclear-arms-control-talk/7343844.html",
        "id": "urn:uuid:24442393-41f3-51e5-b5c5-bb0628308cdb",
        "published": datetime(2023, 11, 6, 23, 58, 26, tzinfo=UTC), "date_from": "byline",
        "source_slug": "voa", "source_name": "美国之音 VOA", "categories": ()},
    "003_a3daf6ad2938cf1d.txt": {
        "title": "台海战事寻求避核武 中美恢复五年首次非正式会谈",
        "link": "https://www.rfa.org/mandarin/yataibaodao/junshiwaijiao/lu-06212024152959.html",
        "id": "urn:uuid:5589ac09-053f-5c08-9055-bb46e5c372ec",
        "published": datetime(2024, 6, 22, 1, 39, 58, 392000, tzinfo=UTC), "date_from": "front-matter",
        "source_slug": "rfa", "source_name": "自由亚洲电台 RFA", "categories": ()},
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_sample_seed_parses_to_its_exact_entry(ctx: ParseContext, name: str) -> None:
    expected = GOLDEN[name]
    meta = only(parse(ctx, (SAMPLES / name).read_bytes(), name))
    assert meta.title == expected["title"]
    assert meta.link == expected["link"]
    assert meta.id == expected["id"]
    assert meta.published == meta.updated == expected["published"]
    assert meta.provenance.published_from == expected["date_from"]
    assert (meta.source_slug, meta.source_name) == (expected["source_slug"], expected["source_name"])
    assert meta.categories == expected["categories"]
    assert meta.provenance.seeds == (name,)


def test_ids_do_not_depend_on_file_name_or_location(ctx: ParseContext) -> None:
    data = (SAMPLES / "002_7e59d68a7c4f54af.txt").read_bytes()
    first = only(parse(ctx, data, "002_7e59d68a7c4f54af.txt"))
    moved = only(parse(ctx, data, "archive/2023/renamed.md", datetime(2030, 1, 1, tzinfo=UTC)))
    assert first.id == moved.id


def test_link_line_splits_on_the_last_bracket() -> None:
    line = "[[Chinese] 中国—[World] 报道](https://www.bbc.com/zhongwen/a?at_medium=RSS&at_campaign=KARANGA)"
    assert split_link_line(line) == ("[Chinese] 中国—[World] 报道",
                                     "https://www.bbc.com/zhongwen/a?at_medium=RSS&at_campaign=KARANGA")


def test_bbc_title_prefix_and_tracking_parameters_are_removed(ctx: ParseContext) -> None:
    text = ("<!--1699422424000-->\n[[Chinese] 中国报道](https://www.BBC.com/zhongwen/simp/x-1?at_medium=RSS"
            "&at_campaign=KARANGA#top)\n------\n\n<p>正文</p>\n")
    meta = only(parse(ctx, text))
    assert meta.title == "中国报道"
    assert meta.link == "https://www.bbc.com/zhongwen/simp/x-1"


def test_rfi_suffix_entities_and_double_slash(ctx: ParseContext) -> None:
    text = ("---\nlayout: post\ntitle: \"蓬佩奥指责中国是&quot;掠夺者&quot;\"\ndate: 2020-10-28T10:00:00.000Z\n"
            "author: 法广\nfrom: http://www.rfi.fr//cn/x\ntags: [ 法广 ]\ncategories: [ 法广 ]\n---\n"
            "<!--1603879200000-->\n[蓬佩奥指责中国是&quot;掠夺者&quot;\xa0 越南行 – 法国国际广播电台 - RFI]"
            "(http://www.rfi.fr//cn/x)\n------\n\n<div>\n<p>x</p>\n</div>\n")
    meta = only(parse(ctx, text))
    assert meta.title == '蓬佩奥指责中国是"掠夺者" 越南行'
    assert meta.link == "http://www.rfi.fr/cn/x"
    assert meta.source_slug == "rfi"
    assert meta.categories == ()  # 法广 only repeats the source's name
    assert meta.author is None


def test_invalid_yaml_front_matter_is_read_leniently(ctx: ParseContext) -> None:
    text = ('---\nlayout: post\ntitle: "中国自研"鲲龙"AG600首飞"\ndate: 2020-07-26T02:30:43.498Z\nauthor: 联合早报\n'
            "from: https://www.zaobao.com/realtime/china/story20200726-1072946\ntags: [ 联合早报 ]\n"
            "categories: [ news, 联合早报, 航空 ]\n---\n<!--NaN-->\n[](https://www.zaobao.com/realtime/china/"
            "story20200726-1072946)\n------\n\n<div>\n<p>正文</p>\n</div>\n")
    meta = only(parse(ctx, text))
    assert meta.title == '中国自研"鲲龙"AG600首飞'
    assert meta.provenance.title_from == "front-matter"
    assert meta.provenance.published_from == "front-matter"
    assert meta.categories == ("航空",)


def test_format_c_takes_the_dateline(ctx: ParseContext) -> None:
    text = ("[杜强啊杜强](https://chinadigitaltimes.net/chinese/2020/06/abc/)\n------\n"
            "日期：Wed, 24 Jun 2020 08:53:10 +0000\n\n<p>一</p>\n<p>二</p>\n")
    result = parse(ctx, text)
    meta = only(result)
    assert meta.published == datetime(2020, 6, 24, 8, 53, 10, tzinfo=UTC)
    assert meta.provenance.published_from == "dateline"
    assert "<p>一</p>\n<p>二</p>" in result.entries[0].html


def test_format_n_takes_the_link_from_front_matter(ctx: ParseContext) -> None:
    text = ("---\nlayout: post\ntitle: \"被「并居」的村庄\"\ndate: 2020-07-29T07:01:44+01:00\nauthor: Nei.st\n"
            "from: https://nei.st/medium/caixin/fecpe9bd6\ntags: [ Nei.st ]\ncategories: [ Nei.st ]\n---\n"
            "<article>\n <h1>被「并居」的村庄</h1>\n <p>正文</p>\n</article>\n")
    meta = only(parse(ctx, text))
    assert meta.link == "https://nei.st/medium/caixin/fecpe9bd6"
    assert meta.published == datetime(2020, 7, 29, 6, 1, 44, tzinfo=UTC)
    assert meta.source_slug == "neist"


@pytest.mark.parametrize("copies", [2, 8])
def test_a_seed_written_into_its_file_more_than_once_gives_its_first_copy(ctx: ParseContext, copies: int) -> None:
    """Nei.st's seeds come written over and over into one file (front matter and article again, up to eight
    times): the article is the first copy's, and the run says so."""
    front = ("---\nlayout: post\ntitle: \"上海中年夫妻的婚姻故事\"\ndate: 2020-07-15T18:58:24+01:00\nauthor: Nei.st\n"
             "from: https://nei.st/medium/lifeweek/spga1w\ntags: [ Nei.st ]\ncategories: [ Nei.st ]\n---\n")
    result = parse(ctx, (front + "<article><p>正文。</p></article>\n") * copies)
    assert only(result).link == "https://nei.st/medium/lifeweek/spga1w"
    assert result.entries[0].html == "<article><p>正文。</p></article>"
    assert any(f"{copies} times" in note for note in result.notes)


def test_front_matter_quoted_inside_an_article_is_the_article_s(ctx: ParseContext) -> None:
    """Only the seed's own block, whole and at the start of a line, marks a copy: an article that shows another
    post's front matter (or its own keys, indented) keeps it."""
    front = "---\nlayout: post\ntitle: \"例\"\ndate: 2020-07-15T18:58:24+01:00\nfrom: https://nei.st/medium/x/y\n---\n"
    body = "<pre>\n---\nlayout: post\ntitle: \"另一篇\"\n---\n</pre>\n<pre> " + front + "</pre>"
    result = parse(ctx, front + body)
    assert result.entries[0].html == body
    assert result.notes == ()


@pytest.mark.parametrize(("line", "header"), [
    ("<!--1603400000000-->", "1603400000000"), ("<!--  1603400000000 \t-->", "1603400000000"),
    ("<!---->", ""), ("<!-->", None), ("<!-- a --> b -->", "a --> b"), ("[t](https://a.example/)", None),
    ("<!--" + " " * 100_000 + "x", None),  # no backtracking over the spaces
])
def test_the_header_line_is_one_comment(line: str, header: str | None) -> None:
    assert _header(line) == header


@pytest.mark.parametrize(("line", "date"), [
    ("日期：Wed, 24 Jun 2020 08:53:10 +0000", "Wed, 24 Jun 2020 08:53:10 +0000"),
    ("日期:  2020-06-24 \u3000", "2020-06-24"),
    ("日期：", None), ("日期 2020", None), ("日期：a" + " " * 100_000 + "b", "a" + " " * 100_000 + "b"),
])
def test_the_dateline_of_format_c(line: str, date: str | None) -> None:
    assert _dateline(line) == date


@pytest.mark.parametrize(("body", "heading"), [
    ("<p>前</p><h2 class='t'>标<b>题</b></h2><h1>后</h1>", "标<b>题</b>"),
    ("<h1>未闭<h3>小标题</h3>", "未闭<h3>小标题"),  # to the first closing tag of the three
    ("<h1>字" * 1000, None),  # none closes
])
def test_the_first_heading_of_a_body(body: str, heading: str | None) -> None:
    assert _first_heading(body) == heading


def test_empty_title_falls_back_to_the_body_and_says_so(ctx: ParseContext) -> None:
    text = ("<!--1603400000000-->\n[](https://chinadigitaltimes.net/chinese/2020/10/658453/)\n------\n\n"
            "<p>A man walks past a mural in Wuhan. The city reopened in April.</p>\n")
    result = parse(ctx, text)
    meta = only(result)
    assert meta.title == "A man walks past a mural in Wuhan."
    assert meta.provenance.title_from == "body"
    assert any("title" in note for note in result.notes)


def test_empty_body_is_still_an_entry(ctx: ParseContext) -> None:
    text = "<!--1599600000000-->\n[阿斯利康暂停试验](https://cn.reuters.com/article/x-idCNKBS25Z0AB)\n------\n\n<div>\n\n</div>\n"
    result = parse(ctx, text)
    assert only(result).title == "阿斯利康暂停试验"
    assert result.entries[0].html.strip() == "<div>\n\n</div>"


def test_byline_author_and_date(ctx: ParseContext) -> None:
    text = ("<!--NaN-->\n[标题](https://cn.nytimes.com/china/20200716/x/)\n------\n\n"
            "<div><i>KONEY BAI,KONEY BAI<br>2020-07-16 09:48:51</i></div><p>x</p>\n")
    meta = only(parse(ctx, text))
    assert meta.author == "KONEY BAI"
    assert meta.provenance.published_from == "local-byline"  # no zone: the weakest candidate, but the only one
    assert meta.published == datetime(2020, 7, 16, 9, 48, 51, tzinfo=UTC)


def _voa(header: str, front_date: str | None, lead: str, url: str) -> str:
    front = (f'---\nlayout: post\ntitle: "t"\ndate: {front_date}\nauthor: 美国之音\nfrom: {url}\n'
             "tags: [ 美国之音 ]\ncategories: [ 美国之音 ]\n---\n") if front_date else ""
    return f"{front}<!--{header}-->\n[美国制裁]({url})\n------\n\n<div>\n<div><i>{lead}</i></div><p>x</p>\n</div>\n"


def test_a_typo_in_the_url_date_never_overrides_agreeing_timestamps(ctx: ParseContext) -> None:
    """The public archive's VOA story whose slug says 20221216 while its header, front matter and lead line all
    say 2020-12-16: it led the unified feed two years in the future of its own scrape."""
    url = ("https://www.voachinese.com/a/us-santions-china-and-uae-based-entities-over-iran-sanctions-20221216/"
           "5701891.html")
    meta = only(parse(ctx, _voa("1608144080000", "2020-12-16T18:41:20.000Z", "Wed, 16 Dec 2020 17:51:01 GMT", url)))
    assert meta.published == datetime(2020, 12, 16, 17, 51, 1, tzinfo=UTC)
    assert meta.provenance.published_from == "byline"


def test_a_url_dated_after_agreeing_stamps_never_wins(ctx: ParseContext) -> None:
    """The public archive's blog posts whose URL carries a coming event's day: header and front matter agree on
    the scrape, nothing else dates the story, and the URL's later day must not be taken."""
    url = "https://www.example.org/2021/03/08/womens-day-event/"
    meta = only(parse(ctx, _voa("1613000000000", "2021-02-10T23:33:20.000Z", "", url)))
    assert meta.published == datetime(2021, 2, 10, 23, 33, 20, tzinfo=UTC)
    assert meta.provenance.published_from == "header"


def test_names_and_categories_are_decoded_once(ctx: ParseContext) -> None:
    """A name the seed escaped twice (`&#38;` in YAML) is `&`; a literal `&amp;` written as `&amp;amp;` stays one."""
    text = ('---\nlayout: post\ntitle: "t"\ndate: 2021-02-10T23:33:20.000Z\n'
            "author: Maria Repnikova, Evan Medeiros &#38; more\nfrom: https://www.example.org/a\n"
            "tags: [ R&amp;D ]\ncategories: [ A &amp;amp; B ]\n---\n<!--1613000000000-->\n"
            "[Title &amp;amp; more](https://www.example.org/a)\n------\n\n<div>\n<p>x</p>\n</div>\n")
    meta = only(parse(ctx, text))
    assert meta.author == "Maria Repnikova, Evan Medeiros & more"
    assert meta.categories == ("R&D", "A &amp; B")
    assert meta.title == "Title &amp; more"


def test_the_zoned_lead_line_is_the_story_time_and_batches_get_distinct_times(ctx: ParseContext) -> None:
    """feedx stamps a batch of stories with one instant; each story's lead line has its own."""
    url = "https://www.voachinese.com/a/story-{}/1.html"
    times = {only(parse(ctx, _voa("1608144080000", "2020-12-16T18:41:20.000Z", f"Wed, 16 Dec 2020 17:{m}:01 GMT",
                                  url.format(m)))).published for m in ("10", "20", "30")}
    assert len(times) == 3


def test_nothing_is_published_after_its_scrape(ctx: ParseContext) -> None:
    """A lead line later than the scrape (a zone read wrongly, a clock off) loses to the scrape time; so does a
    header clamped by the generator (front matter earlier than the header: the feed's pubDate lay in the future)."""
    url = "https://www.voachinese.com/a/story/1.html"
    late = only(parse(ctx, _voa("1608144080000", "2020-12-16T18:41:20.000Z", "Wed, 16 Dec 2020 23:00:00 GMT", url)))
    assert late.published == datetime(2020, 12, 16, 18, 41, 20, tzinfo=UTC)
    clamped = only(parse(ctx, _voa("1595841840000", "2020-07-27T02:30:43.498Z", "", url)))
    assert clamped.published == datetime(2020, 7, 27, 2, 30, 43, 498000, tzinfo=UTC)
    assert clamped.provenance.published_from == "front-matter"


def test_date_contradicting_the_url_loses_to_the_url(ctx: ParseContext) -> None:
    text = "<!--996537600000-->\n[旧日期](https://www.example.com/news/2023/11/06/story.html)\n------\n\n<p>x</p>\n"
    meta = only(parse(ctx, text))
    assert meta.published == datetime(2023, 11, 6, tzinfo=UTC)
    assert meta.provenance.published_from == "url"


@pytest.mark.parametrize("header", ["NaN", "0", "-5000", "253402300799000", "99999999999999999"])
def test_absurd_header_dates_fall_back_to_the_file_time(ctx: ParseContext, header: str) -> None:
    text = f"<!--{header}-->\n[标题](https://www.example.com/a)\n------\n\n<p>x</p>\n"
    mtime = datetime(2024, 5, 1, tzinfo=UTC)
    meta = only(parse(ctx, text, mtime=mtime))
    assert meta.published == mtime
    assert meta.provenance.published_from == "mtime"


def test_unknown_host_gets_a_derived_source(ctx: ParseContext) -> None:
    meta = only(parse(ctx, "<!--1699422424000-->\n[t](https://www.example.co.uk/a)\n------\n\n<p>x</p>\n"))
    assert (meta.source_slug, meta.source_name) == ("example-co-uk", "example.co.uk")


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty file"),
    (b"   \n\t\n", "whitespace only"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary file"),
    (b"<!--1699422424000-->\n", "header comment without a body"),
    (b"<p>just some html</p>", "not a seed"),
    (b"dw\n------\n\n1-2 [a](/articles/a.md)\n\n1-3 [b](/articles/b.md)\n", "archive index page"),
    (b"<!--1-->\n[t](javascript:alert(1))\n------\n\n<p>x</p>", "no absolute http(s) link"),
    (b"\xff\xfe\xfd" * 10, "not text"),
])
def test_non_seeds_are_reported_with_a_reason(ctx: ParseContext, data: bytes, reason: str) -> None:
    result = parse(ctx, data)
    assert not result.entries
    assert result.problem is not None and reason in result.problem


def test_git_lfs_pointers_are_recognised(ctx: ParseContext) -> None:
    pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"0f" * 32 + b"\nsize 8123\n"
    assert parse(ctx, pointer).problem == LFS_POINTER
    extended = pointer.replace(b"oid", b"ext-0-foo sha256:" + b"1" * 64 + b"\noid")
    assert parse(ctx, extended).problem == LFS_POINTER
    prose = b"version https://git-lfs.github.com/spec/v1 is the pointer format\n"
    assert parse(ctx, prose).problem != LFS_POINTER


def test_size_limit(base_settings: Settings) -> None:
    from dataclasses import replace

    small = make_job(replace(base_settings, max_seed_bytes=100), NOW).ctx
    result = parse_seed(b"x" * 101, "big.md", None, small)
    assert result.problem is not None and "size limit" in result.problem


@pytest.mark.parametrize("encoding", ["gb18030", "big5"])
def test_legacy_chinese_encodings_are_decoded_and_reported(ctx: ParseContext, encoding: str) -> None:
    text = "<!--1699422424000-->\n[中國的東風戰略核導彈，這是我們的國家](https://www.dw.com/zh/a-1)\n------\n\n<p>我們的國家</p>\n"
    result = parse(ctx, text.encode(encoding))
    meta = only(result)
    assert meta.title == "中國的東風戰略核導彈，這是我們的國家"
    assert meta.provenance.encoding == encoding
    assert any(encoding in note for note in result.notes)


def test_bom_and_crlf(ctx: ParseContext) -> None:
    text = "\ufeff<!--1699422424000-->\r\n[标题](https://www.dw.com/zh/a-1)\r\n------\r\n\r\n<p>x</p>\r\n"
    assert only(parse(ctx, text)).title == "标题"


def test_rss_feed_file_items_become_entries(ctx: ParseContext) -> None:
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>
    <item><title>First &amp; one</title><link>https://www.voachinese.com/a/1.html</link>
      <pubDate>Mon, 06 Nov 2023 23:58:26 GMT</pubDate><description>&lt;p&gt;body&lt;/p&gt;</description></item>
    <item><title>Second</title><link>https://www.voachinese.com/a/2.html</link>
      <pubDate>Tue, 07 Nov 2023 10:00:00 GMT</pubDate></item></channel></rss>"""
    result = parse(ctx, rss, "feed.xml")
    assert [e.meta.title for e in result.entries] == ["First & one", "Second"]
    assert result.entries[0].meta.published == datetime(2023, 11, 6, 23, 58, 26, tzinfo=UTC)
    assert result.entries[0].meta.provenance.published_from == "feed"
    assert "<p>body</p>" in result.entries[0].html


def test_atom_feed_file(ctx: ParseContext) -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
    <id>urn:x</id><updated>2023-11-07T00:00:00Z</updated><entry><title>A</title><id>urn:a</id>
    <link href="https://www.rfa.org/mandarin/a.html"/><updated>2023-11-07T00:00:00Z</updated>
    <content type="html">&lt;p&gt;hi&lt;/p&gt;</content></entry></feed>"""
    result = parse(ctx, atom, "x.atom")
    assert only(result).source_slug == "rfa"


@pytest.mark.parametrize("payload", [
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><rss version="2.0"><channel><item><title>&c;</title>'
    b"<link>https://example.com/a</link></item></channel></rss>",
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rss version="2.0"><channel>'
    b"<item><title>&xxe;</title><link>https://example.com/a</link></item></channel></rss>",
])
def test_feed_files_with_entity_declarations_are_refused(ctx: ParseContext, payload: bytes) -> None:
    result = parse(ctx, payload, "evil.xml")
    assert not result.entries
    assert result.problem is not None and "entities" in result.problem


@needs_corpus
def test_every_corpus_file_yields_a_sound_entry_or_a_reason(ctx: ParseContext) -> None:
    files = corpus_files()
    assert len(files) == 300
    unusable: list[str] = []
    entries = 0
    for path in files:
        mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        result = parse(ctx, path.read_bytes(), path.name, mtime)
        if result.problem:
            continue  # a reason is an acceptable answer; the count below says how many
        for raw in result.entries:
            meta = raw.meta
            sound = (meta.title.strip() and meta.link.startswith(("http://", "https://"))
                     and datetime(1995, 1, 1, tzinfo=UTC) <= meta.published <= NOW)
            if not sound:
                unusable.append(path.name)
            entries += 1
    assert unusable == []
    assert entries == 300  # every real article in the sample is usable; none needs a reason to be skipped


@needs_corpus
def test_a_story_in_both_formats_is_one_entry(make_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from feedsvc.pipeline import regenerate

    settings = make_settings()
    source = next(p for p in corpus_files() if p.read_text(encoding="utf-8").startswith("---"))
    text = source.read_text(encoding="utf-8")
    body = text.split("\n---\n", 1)[1]  # Jekyll post without its front matter: a feedx item of the same story
    (settings.seeds_dir / "jekyll.md").write_text(text, encoding="utf-8")
    (settings.seeds_dir / "feedx.txt").write_text(body, encoding="utf-8")
    report = regenerate(settings, NOW)
    assert report.entries == 1
    import feedparser

    parsed = feedparser.parse(str(settings.output_dir / "all.atom"))
    assert len(parsed.entries) == 1


def test_ids_are_identical_across_runs_and_renames(make_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from feedsvc.pipeline import regenerate

    settings = make_settings()
    for sample in SAMPLES.iterdir():
        shutil.copy(sample, settings.seeds_dir / sample.name)
    regenerate(settings, NOW)
    first = (settings.output_dir / "all.atom").read_bytes()
    renamed = tmp_path / "renamed"
    (renamed / "deep" / "er").mkdir(parents=True)
    for number, sample in enumerate(sorted(SAMPLES.iterdir())):
        shutil.copy(sample, renamed / "deep" / "er" / f"other-{number}.md")
    moved = make_settings(seeds_dir=renamed, output_dir=tmp_path / "public2", state_dir=tmp_path / "var2")
    regenerate(moved, NOW)
    second = (moved.output_dir / "all.atom").read_bytes()
    ids = [line for line in first.decode().splitlines() if line.strip().startswith("<id>")]
    assert ids == [line for line in second.decode().splitlines() if line.strip().startswith("<id>")]
    assert len(ids) == 7  # the feed's own id, three entries and the id of each one's source feed


# --- properties -------------------------------------------------------------------------------------------------

_SAMPLE_TEXTS = [p.read_bytes() for p in sorted(SAMPLES.iterdir())]


@st.composite
def mutated_samples(draw: st.DrawFn) -> bytes:
    data = draw(st.sampled_from(_SAMPLE_TEXTS))
    lines = data.split(b"\n")
    action = draw(st.sampled_from(["truncate", "drop_line", "swap", "duplicate", "insert"]))
    if action == "truncate":
        return data[: draw(st.integers(0, len(data)))]
    if action == "drop_line" and lines:
        del lines[draw(st.integers(0, len(lines) - 1))]
    elif action == "swap" and len(lines) > 1:
        i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
    elif action == "duplicate" and lines:
        i = draw(st.integers(0, len(lines) - 1))
        lines.insert(i, lines[i])
    else:
        lines.insert(draw(st.integers(0, len(lines))), draw(st.binary(max_size=64)))
    return b"\n".join(lines)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=2048), mutated_samples()))
def test_parser_never_raises(data: bytes) -> None:
    from feedsvc.settings import load_settings

    ctx = make_job(load_settings(ROOT / "config" / "feedsvc.toml", environ={}), NOW).ctx
    result = parse_seed(data, "fuzz.md", None, ctx)
    assert bool(result.entries) != bool(result.problem)
    for raw in result.entries:
        assert raw.meta.title and raw.meta.link.startswith(("http://", "https://"))
        assert raw.meta.published.tzinfo is not None


def test_utf8_with_a_few_broken_bytes_is_read_with_replacements(ctx: ParseContext) -> None:
    text = "<!--1699422424000-->\n[三星李在镕遭起诉](https://www.rfi.fr/cn/x)\n------\n\n<p>正文</p>\n".encode()
    broken = text.replace("镕".encode(), "镕".encode()[:2])  # a multi-byte character cut short, as in RFI seeds
    result = parse(ctx, broken)
    assert only(result).title == "三星李在遭起诉"  # decoded with U+FFFD, which is not published (BadCharacters)
    assert result.entries[0].meta.provenance.encoding == "utf-8 (1 invalid sequences replaced)"


@needs_corpus
def test_no_corpus_story_is_published_after_its_seed_was_scraped(ctx: ParseContext) -> None:
    """The epoch header and the front-matter date record when a seed was scraped (the front matter clamped to the
    generator's clock): no story can have been published after that."""
    checked = 0
    for path in corpus_files():
        text = path.read_bytes().decode("utf-8", "replace")
        stamps = []
        if (header := re.search(r"^<!--(\d+)-->$", text, re.MULTILINE)) and (when := from_epoch_ms(header[1])):
            stamps.append(when)
        if text.startswith("---") and (front := re.search(r"^date: (.+)$", text, re.MULTILINE)) and \
                (when := parse_date(front[1])):
            stamps.append(when)
        for raw in parse(ctx, path.read_bytes(), path.name).entries:
            if stamps:
                checked += 1
                assert raw.meta.published <= min(stamps), (path.name, raw.meta.published, min(stamps))
    assert checked > 250
