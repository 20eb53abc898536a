"""The cleaner: table tests from real seeds, invariants over the corpus, text preservation, hostile input."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import html5lib
import lxml.etree
import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedsvc.clean.article import clean, visible_text_of
from feedsvc.clean.sanitize import sanitize_markup
from feedsvc.clean.tidy import ALLOWED_TAGS, BLOCKS
from feedsvc.images.policy import ImagePolicy
from feedsvc.model import CleanRules
from feedsvc.pipeline import make_job
from feedsvc.settings import Settings
from tests.conftest import NOW, SAMPLES, XSS, corpus_files, needs_corpus, needs_xss
from tests.feedcheck import hostile_findings

FOOTER = ('<br><hr><div>获取更多RSS：<br><a href="https://feedx.net" style="color:orange" target="_blank">'
          'https://feedx.net</a> <br><a href="https://feedx.{0}" style="color:orange" target="_blank">'
          "https://feedx.{0}</a><br></div>")
ALLOWED_ATTRS = {"a": {"href", "title", "rel"}, "img": {"src", "alt", "title", "width", "height"},
                 "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan", "scope"}, "ol": {"start"}}


def body_of(sample: str) -> str:
    return (SAMPLES / sample).read_text(encoding="utf-8").split("------\n", 1)[1]


@pytest.mark.parametrize(("html", "expected"), [
    ("<p>新闻</p>" + FOOTER.format("best"), "<p>新闻</p>"),
    ("<p>新闻</p>" + FOOTER.format("xyz"), "<p>新闻</p>"),
    ("<div>\n<p>新闻</p>" + FOOTER.format("site") + "\n</div>\n", "<p>新闻</p>"),
    ("<div><i>Mon, 06 Nov 2023 23:58:26 GMT</i></div><p>正文</p>", "<p>正文</p>"),
    ("<div><i><br>2023-11-08T05:20:41.666Z</i></div><p>正文</p>", "<p>正文</p>"),
    ("<div><i>  任琛<br>2020-07-16T09:48:51.000Z</i></div><p>正文</p>", "<p>正文</p>"),
    ("<div>22/10/2020 - 13:51</div><p>正文</p>", "<p>正文</p>"),
    ("<div><i>not a date</i></div><p>正文</p>", "<p><i>not a date</i></p><p>正文</p>"),
    ('<img src="https://images.weserv.nl/?url=static.dw.com/image/1_303.jpg" width="100%">'
     '<div><small style="color: #999;">图说</small></div><p>正文</p>',
     '<figure><img alt="" src="https://images.weserv.nl/?url=static.dw.com/image/1_303.jpg"><figcaption>图说</figcaption>'
     '</figure><p>正文</p>'),  # an image keeps its seed's URL: the renderers unwrap it (`images.policy`)
    ('<p><img src="https://images.weserv.nl?url=gdb.voanews.com/A_r1_s_w900.jpg"></p>',
     '<p><img alt="" src="https://images.weserv.nl?url=gdb.voanews.com/A_r1_s_w900.jpg"></p>'),
    ('<p><img src="//pictures.reuters.com/x.jpg"> <a href="/mandarin/a.html">链接</a></p>',
     '<p><img alt="" src="https://pictures.reuters.com/x.jpg"> <a href="https://www.rfa.org/mandarin/a.html" '
     'rel="noopener noreferrer">链接</a></p>'),
    ('<p>a<img src="https://t.example/p.gif" width="1" height="1">b</p>', "<p>ab</p>"),
    ('<p><img src="data:image/gif;base64,R0lGOD" data-src="https://cdn.example/real.jpg"></p>',
     '<p><img alt="" src="https://cdn.example/real.jpg"></p>'),
    ('<p><picture><source srcset="https://zh.bitterwinter.org/m.jpg?v=2" media="(max-width: 767.98px)">'
     '<source srcset="https://zh.bitterwinter.org/p.jpg?v=2"><img src="https://zh.bitterwinter.org/p.jpg?v=2" >'
     '</picture></p><p>正文</p>', '<p><img alt="" src="https://zh.bitterwinter.org/p.jpg?v=2"></p><p>正文</p>'),
    ('<div class="DC-embed DV-container"></div><p><script src="//assets.documentcloud.org/viewer/loader.js">'
     '</script><br /><script>DV.load("https://www.documentcloud.org/documents/1-x.js", {});</script><noscript><br />'
     '<a href="https://assets.documentcloud.org/documents/1/x.pdf">文件 (PDF)</a></p></noscript></p>',
     '<p><a href="https://assets.documentcloud.org/documents/1/x.pdf" rel="noopener noreferrer">文件 (PDF)</a></p>'),
    ('<p><span style="font-weight: 400;">文字</span></p><p>\xa0</p><p></p>', "<p>文字</p>"),
    ("<p>一<br><br><br><br>二<br></p>", "<p>一<br><br>二</p>"),
    ("<script>alert('x')</script><style>p{}</style><noscript>no</noscript><p>留下</p>", "<p>留下</p>"),
    ('<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ?feature=oembed"></iframe>',
     '<p><a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ" rel="noopener noreferrer">YouTube video</a></p>'),
    ('<audio src="https://av.example/a.mp3">你的浏览器不支持</audio>',
     '<p><a href="https://av.example/a.mp3" rel="noopener noreferrer">Audio (av.example)</a></p>'),
    ('<blockquote class="twitter-tweet"><p>推文</p>— x (@x) <a href="https://twitter.com/x/status/1">Nov 1</a>'
     '</blockquote><script async src="https://platform.twitter.com/widgets.js"></script>',
     '<blockquote><p>推文</p>— x (@x) <a href="https://twitter.com/x/status/1" rel="noopener noreferrer">Nov 1</a>'
     "</blockquote>"),
])
def test_table(html: str, expected: str) -> None:
    assert clean(html, "https://www.rfa.org/mandarin/x.html").html == expected


def test_dw_sample() -> None:
    result = clean(body_of("000_5e86a5536f436506.txt"), "https://www.dw.com/zh/a-67337300")
    assert result.html.startswith('<figure><img alt="" src="https://images.weserv.nl/?url=static.dw.com/image/66480939_303.jpg">'
                                  "<figcaption>中國的東風41戰略核導彈</figcaption></figure><p>（德國之聲中文網）")
    assert "获取更多RSS" not in result.html and "feedx" not in result.html
    published = ImagePolicy().rewrite(result.html.encode(), "dw").decode()
    assert published.startswith('<figure><img alt="" src="https://static.dw.com/image/66480939_303.jpg">')
    assert "weserv" not in published
    assert "2023-11-08T05:20:41.666Z" not in result.html
    assert result.html.endswith("並受到刑事追究。</em></p>")  # the publisher's copyright line stays
    assert {r.kind for r in result.removed} == {"feedx footer", "lead date line"}
    assert result.summary.startswith("（德國之聲中文網）一名不願具名的美國政府高官")
    assert len(result.summary) <= 300 and result.summary.endswith("…")


def test_rfa_sample_with_shipped_rules(base_settings: Settings) -> None:
    rules = make_job(base_settings, NOW).rules_for("rfa")
    result = clean(body_of("003_a3daf6ad2938cf1d.txt"),
                   "https://www.rfa.org/mandarin/yataibaodao/junshiwaijiao/lu-06212024152959.html", rules)
    assert "icon-zoom" not in result.html and "zoomattribute" not in result.html
    assert result.html.startswith("<figure><img ")
    assert "<figcaption>图为出现在南海的一艘中国海军094A型" in result.html
    assert "记者：乔琴恩" in result.html and "style" not in result.html
    assert "<ul>" not in result.html and "军事无禁区" not in result.html, "the related stories set into the text"
    assert "军事无禁区" not in result.summary


@pytest.mark.parametrize("items", [
    '<li><a href="https://www.rfa.org/mandarin/x.html">另一篇</a>（评论）</li>',  # text beside the link
    '<li><a href="https://www.nytimes.com/x.html">另一篇</a></li>',  # a link elsewhere
    "<li>要点一</li><li>要点二</li>",  # the article's own list
])
def test_an_rfa_list_that_is_not_only_its_own_stories_stays(base_settings: Settings, items: str) -> None:
    result = clean(f"<p>正文。</p><ul>{items}</ul>", "https://www.rfa.org/mandarin/a.html",
                   make_job(base_settings, NOW).rules_for("rfa"))
    assert "<ul>" in result.html


def test_the_mirrored_paywall_goes_with_shipped_rules_and_the_article_around_it_stays(base_settings: Settings) -> None:
    """Nei.st mirrors Medium articles with Medium's paywall left in the middle: its picture (lazy-loaded, so it would
    be kept as an image), "You've hit the wall." and a form for a key."""
    html = ('<p>前文。</p><div class="container img edge"><div class="BarrierFailsafe__fullBarrier___2bFWd">'
            '<div class="aspectRatioPlaceholder nykpaywall"><div class="progressiveMedia"><img class="progressiveMedia-'
            'image lazyload" data-src="https://cdn.jsdelivr.net/gh/x/_/img/1/full-desktop@2x.png"/></div></div>'
            '<h1 class="BarrierFailsafe__header___1VGQh">You’ve hit the wall.</h1>'
            '<div class="BarrierFailsafe__body___2hQxl">风高浪急 <a href="https://nei.st/medium/x">?</a></div>'
            '<form class="e-secret"><input type="password"/></form></div></div><p>后文。</p>')
    result = clean(html, "https://nei.st/medium/x", make_job(base_settings, NOW).rules_for("neist"))
    assert result.html == "<p>前文。</p><p>后文。</p>"


def test_neists_ad_slots_related_stories_categories_and_sign_go_with_shipped_rules(base_settings: Settings) -> None:
    html = ('<p>第一段。</p><div class="code-block code-block-1" style="margin: 8px 0;"><div class="card"><div '
            'class="card-footer"><div class="card-tag"><a href="https://nei.st/medium/q">Support Nei.st</a></div>'
            '<div class="card-medium is-shownIfHover"> NO</div></div></div></div><h2>二</h2><p>第二段。</p>'
            '<section class="jsx-1 collection"><header><span>Related</span></header><ul class="jsx-1 collection-list">'
            '<li><a href="https://nei.st/medium/nytimes/x"><h2 class="sidebar">另一篇</h2></a></li></ul></section>'
            '<footer class="entry-footer"><div class="categories"><a href="https://nei.st/category/medium/wsj" '
            'rel="category tag">The Wall Street Journal</a></div><div class="tags"><a href="https://nei.st/tag/x" '
            'rel="tag">The Coronavirus Crisis</a></div></footer><section class="lede"><h1 class="Lede__Hed">肆零'
            '<div class="mirrorRotateLevel">肆</div></h1></section>')
    result = clean(html, "https://nei.st/medium/wsj/x", make_job(base_settings, NOW).rules_for("neist"))
    assert result.html == "<p>第一段。</p><h2>二</h2><p>第二段。</p>"


def test_neists_publication_cards_go_with_shipped_rules(base_settings: Settings) -> None:
    """One of Nei.st's layouts (class names drawn at random) ends with cards of the publications it mirrors: a
    logo, the name as a heading linked to the publication's page, "MORE", "View", "Published since …"."""
    card = ('<div class="fzga"><span class="gbaj"><div class="gdge"><a href="https://nei.st/medium/economist"><img '
            'height="80" src="https://cdn.jsdelivr.net/gh/x/_/img/1/logo.png" width="80"/></a></div><span class="abcn">'
            '<div class="gngo"><span class="apcq">MORE</span></div><div class="gngq"><h2 class="apgr"><a '
            'href="https://nei.st/medium/economist">The Economist</a></h2><button class="gtbn"><a '
            'href="https://nei.st/medium/economist">View</a></button></div></span></span><div class="gnhd"><h4 '
            'class="hahb"><b>Published since September 1843</b></h4></div></div>')
    html = f'<p>正文。</p><h2>小标题</h2><p>再一段。</p><section class="wxyz"><div class="fvfw">{card}</div></section>'
    result = clean(html, "https://nei.st/medium/economist/x", make_job(base_settings, NOW).rules_for("neist"))
    assert result.html == "<p>正文。</p><h2>小标题</h2><p>再一段。</p>"


def test_a_link_a_widget_left_with_nothing_to_show_goes(base_settings: Settings) -> None:
    """VOA's related-story boxes, emptied by the cleaner, leave their bare link between two paragraphs."""
    html = ('<p>前文。</p><div class="wsw__embed"><div class="media-block"><a href="/a/5628358.html">'
            '<div class="img-wrap"><div class="thumb"></div></div></a></div></div><p>后文。</p>')
    assert clean(html, "https://www.voachinese.com/a/1.html").html == "<p>前文。</p><p>后文。</p>"


@pytest.mark.parametrize("beside", ["", '<p itemProp="byline">by S.V. </p>'])
def test_the_economists_date_line_goes_and_its_byline_stays(base_settings: Settings, beside: str) -> None:
    html = ('<aside><div><time itemscope="" itemType="http://schema.org/DateTime" dateTime="2020-10-26T17:20:13Z">'
            f'Oct 26th 2020</time>{beside}<meta itemProp="author" content="The Economist"/></div></aside>'
            "<p>MATT FURIE is studying a frog.</p>")
    result = clean(html, "https://www.economist.com/x", make_job(base_settings, NOW).rules_for("economist"))
    assert "Oct 26th" not in result.html and result.html.endswith("<p>MATT FURIE is studying a frog.</p>")
    assert ("by S.V." in result.html) == bool(beside)


def test_cnas_insets_of_links_go_and_a_glossary_keeps_its_text(base_settings: Settings) -> None:
    html = ('<div class="paragraph"><p>（中央社記者台北21日電）第一段。</p><div class="media"><div class="myCustom">'
            '<div class="book-title"><div>防疫資訊</div></div><div class="book"><ul class="book-list"><li><a '
            'class="moreArticle-link" href="https://www.cna.com.tw/news/firstnews/1.aspx">另一篇</a></li></ul></div>'
            '</div></div><div class="myCustom"><div class="topicbox"><a href="https://www.cna.com.tw/topic/3369.aspx">'
            '<div class="topictitle">2021寂寞倒數</div></a></div></div><p>第二段。</p>'
            "<div class='dictionary-box'><p class='dictionary-title'>低溫燈號小百科</p><div class='news-dic-text'>"
            "<p>黃色燈號：10度以下</p></div><div class='news-dic-all seeArticlemore'>看更多</div>"
            "<div class='news-dic-all closeBox'>關閉</div></div></div>")
    result = clean(html, "https://www.cna.com.tw/news/firstnews/2.aspx", make_job(base_settings, NOW).rules_for("cna"))
    assert result.html == ("<p>（中央社記者台北21日電）第一段。</p><p>第二段。</p><p>低溫燈號小百科</p>"
                           "<p>黃色燈號：10度以下</p>")


@pytest.mark.parametrize(("line", "kept"), [
    ("（編輯：陳清芳）1090803", "（編輯：陳清芳）"), ("（編輯：張芷瑄）1100114 ", "（編輯：張芷瑄） "),
    ("價格漲至（新台幣）1090803元", "價格漲至（新台幣）1090803元"),  # a number that goes on is not the code
    ("（編輯：陳清芳）1091399", "（編輯：陳清芳）1091399"),  # no such date
])
def test_cnas_closing_date_code_goes_and_the_editor_stays(base_settings: Settings, line: str, kept: str) -> None:
    result = clean(f"<p>正文。</p><p>第二段。{line}</p>", "https://www.cna.com.tw/news/firstnews/2.aspx",
                   make_job(base_settings, NOW).rules_for("cna"))
    assert result.html == f"<p>正文。</p><p>第二段。{kept}</p>"


@pytest.mark.parametrize(("line", "kept"), [
    ("责任编辑：林妍#", "责任编辑：林妍"), ("责任编辑：高静 #", "责任编辑：高静"),
    ("責任編輯：葉紫微#", "責任編輯：葉紫微"),
    ("责任编辑：方明", "责任编辑：方明"),  # no marker
    ("网友发起话题#武汉加油#", "网友发起话题#武汉加油#"),  # a hashtag closes with its own "#"
])
def test_epoch_times_credit_line_loses_the_cms_marker_and_keeps_the_editor(base_settings: Settings, line: str,
                                                                          kept: str) -> None:
    result = clean(f"<p>正文。</p><p>{line}</p>", "https://www.epochtimes.com/gb/21/1/6/n1.htm",
                   make_job(base_settings, NOW).rules_for("epochtimes"))
    assert result.html == f"<p>正文。</p><p>{kept}</p>"


def test_initiums_membership_pitch_goes_and_the_note_that_the_rest_is_for_members_stays(base_settings: Settings,
                                                                                      ) -> None:
    html = ("<p>香港呢？</p><br><br>-----------<p>閱讀餘下全文，需要您的小額支持，讓優質內容可以自食其力。</p>"
            "<p>暢讀全站所有好內容？每月只需一餐飯的錢，好新聞，並不貴。</p>"
            '<p>支持我們，請成為付費會員。馬上<a href="https://theinitium.com/subscription/offers/"> 點擊 </a>，'
            "與端傳媒站得更近。</p>"
            '<p> 原文鏈接：<a href="https://theinitium.com/article/x/">https://theinitium.com/article/x/</a> </p>')
    result = clean(html, "https://theinitium.com/article/x/", make_job(base_settings, NOW).rules_for("initium"))
    assert "付費會員" not in result.html and "一餐飯" not in result.html and "subscription" not in result.html
    assert "閱讀餘下全文" in result.html and "原文鏈接：" in result.html and result.html.startswith("<p>香港呢？</p>")


@pytest.mark.parametrize("briefing", ["NYT简报", "时报中文简报"])
def test_nyts_briefing_invitation_goes_in_either_wording(base_settings: Settings, briefing: str) -> None:
    html = ('<p><i>（欢迎</i><i><a href="https://sso.nytcn.me/email/?source=top-right">点击此处</a></i><i>订阅</i>'
            f'<i><a href="https://cn.nytimes.com/morning-brief/">{briefing}</a></i><i>。更多关于新冠疫情的消息，欢迎关注'
            "时报英文版。）</i></p><p>正文。</p>")
    result = clean(html, "https://cn.nytimes.com/china/20200716/x/", make_job(base_settings, NOW).rules_for("nytimes"))
    assert result.html == "<p>正文。</p>"


def test_voa_sample() -> None:
    result = clean(body_of("002_7e59d68a7c4f54af.txt"), "https://www.voachinese.com/a/7343844.html")
    published = ImagePolicy().rewrite(result.html.encode(), "voa").decode()
    assert published.startswith('<figure><img alt="" src="https://gdb.voanews.com/99E8ADFE-11B7-4726-86C8-'
                                'F7D0B1E7F470_r1_s_w900.jpg"><figcaption>2009 年 10 月 1 日')
    assert "Mon, 06 Nov 2023" not in result.html


def test_source_rules_selectors_xpath_paragraphs_and_text() -> None:
    rules = CleanRules(drop_selectors=(".ad",), drop_xpaths=("//p[@id='x']",),
                       drop_paragraphs=(r"^Feed enhanced by",), strip_text=(r"\[/caption\]",))
    html = ('<p>keep</p><div class="ad">ad text</div><p id="x">xpath</p>'
            "<p><small>Feed enhanced by Better Feed</small></p><p>photo[/caption]</p>")
    result = clean(html, "https://x.example/", rules)
    assert result.html == "<p>keep</p><p>photo</p>"
    assert [r.text for r in result.removed] == ["ad text", "xpath", "Feed enhanced by Better Feed", "[/caption]"]


def test_links_through_the_proxy_are_unwrapped_unless_the_rules_keep_it() -> None:
    html = ('<p><a href="https://images.weserv.nl/?url=static.dw.com/big.jpg">大图</a>'
            '<img src="https://images.weserv.nl/?url=static.dw.com/i.jpg"></p>')
    unwrapped = clean(html, "https://www.dw.com/").html
    assert 'href="https://static.dw.com/big.jpg"' in unwrapped
    assert 'src="https://images.weserv.nl/?url=static.dw.com/i.jpg"' in unwrapped  # the renderers' choice
    kept = clean(html, "https://www.dw.com/", CleanRules(unwrap_image_proxy=False)).html
    assert 'href="https://images.weserv.nl/?url=static.dw.com/big.jpg"' in kept


def test_summary_cuts_at_a_word_boundary() -> None:
    text = " ".join(["word"] * 200)
    summary = clean(f"<p>{text}</p>", "https://x.example/").summary
    assert summary.endswith("…") and len(summary) <= 300 and not summary[:-1].endswith("wor")


def test_empty_and_whitespace_input() -> None:
    assert clean("", "https://x.example/").html == ""
    assert clean("<div>\n\n</div>\n", "https://x.example/").html == ""


def test_a_body_that_is_only_its_title_leaves_no_article_and_no_summary() -> None:
    """As in BBC's video posts: the feeds then carry the link to the original, not the title twice."""
    cleaned = clean("<div>\n行山时睡着 圣伯纳犬由拯救队救下山\n</div>", "https://www.bbc.com/zhongwen/simp/uk-53566221",
                    title="行山时睡着 圣伯纳犬由拯救队救下山")
    assert (cleaned.html, cleaned.summary, [r.kind for r in cleaned.removed]) == ("", "", ["repeated title"])


@pytest.mark.parametrize(("opening", "closing"), [("<div>", "</div>"), ("<span><b>", "</b></span>"),
                                                  ("<ul><li>", "</li></ul>")])
@pytest.mark.parametrize("depth", [200, 300, 100_000])
def test_deeply_nested_markup_keeps_its_text_and_what_follows(opening: str, closing: str, depth: int) -> None:
    """The parser stops reading at 256 levels: deeper markup is read again flattened, never recursed into, and no
    text is lost, neither inside nor after it (before, everything from that depth on was dropped)."""
    html = "<p>前文</p>" + opening * depth + "深处<script>alert(1)</script>" + closing * depth + "<p>后文</p>"
    result = clean(html, "https://x.example/")
    text = visible_text_of(result.html)
    assert text.startswith("前文") and "深处" in text and text.endswith("后文"), text
    assert "alert" not in result.html


def test_huge_attribute() -> None:
    result = clean('<p title="' + "x" * 10_000_000 + '">t</p>', "https://x.example/")
    assert result.html == "<p>t</p>"


# --- invariants over the real corpus ----------------------------------------------------------------------------

def _squash(text: str) -> Counter[str]:
    return Counter("".join(text.split()))


def _corpus_cleaned(base_settings: Settings) -> list[tuple[Path, str, object]]:
    from feedsvc.ingest.parse import parse_seed

    job = make_job(base_settings, NOW)
    results: list[tuple[Path, str, object]] = []
    for path in corpus_files():
        parsed = parse_seed(path.read_bytes(), path.name, None, job.ctx)
        for raw in parsed.entries:
            cleaned = clean(raw.html, raw.meta.link, job.rules_for(raw.meta.source_slug), 300, raw.meta.title)
            results.append((path, raw.html, cleaned))
    return results


@pytest.fixture(scope="module")
def corpus_cleaned(base_settings: Settings) -> list[tuple[Path, str, object]]:
    return _corpus_cleaned(base_settings)


@needs_corpus
def test_corpus_has_no_feedx_proxy_style_or_foreign_markup(corpus_cleaned) -> None:  # type: ignore[no-untyped-def]
    problems = []
    for path, _, cleaned in corpus_cleaned:
        html = ImagePolicy().rewrite(cleaned.html.encode(), "any").decode()  # images as published by default
        for marker in ("获取更多RSS", "feedx.", "images.weserv.nl", "style=", "icon-zoom", "<script", "layout: post"):
            if marker in html:
                problems.append(f"{path.name}: {marker}")
        for element in html5lib.parseFragment(html, treebuilder="etree", namespaceHTMLElements=False).iter():
            tag = element.tag
            if not isinstance(tag, str) or tag == "DOCUMENT_FRAGMENT":
                continue
            if tag not in ALLOWED_TAGS:
                problems.append(f"{path.name}: <{tag}>")
            extra = set(element.attrib) - ALLOWED_ATTRS.get(tag, set())
            if extra:
                problems.append(f"{path.name}: <{tag}> {sorted(extra)}")
    assert problems == []


@needs_corpus
def test_corpus_list_items_are_in_lists(corpus_cleaned) -> None:  # type: ignore[no-untyped-def]
    """CCTV's programme lists come as items without a list; HTML has none such (nor terms outside a `<dl>`)."""
    parents = {"li": ("ul", "ol"), "dt": ("dl",), "dd": ("dl",)}
    stray = []
    for path, _, cleaned in corpus_cleaned:
        fragment = lxml.html.fragment_fromstring(cleaned.html or "<p></p>", create_parent="div")
        stray += [f"{path.name}: <{item.tag}>" for item in fragment.iter(*parents)
                  if item.getparent().tag not in parents[item.tag]]
    assert stray == []


@needs_corpus
def test_corpus_text_is_never_loose_at_the_top_level(corpus_cleaned) -> None:  # type: ignore[no-untyped-def]
    """Text stands in a paragraph (or another block), as a page's and a reader's styles expect: none left bare
    beside the blocks (Solidot's whole text, what CNA's glossary box left of its sentence)."""
    loose = []
    for path, _, cleaned in corpus_cleaned:
        fragment = lxml.html.fragment_fromstring(cleaned.html or "<p></p>", create_parent="div")
        texts = [fragment.text] + [c.tail for c in fragment]
        texts += [c.text_content() for c in fragment if c.tag not in BLOCKS]
        loose += [f"{path.name}: {t.strip()[:40]!r}" for t in texts if t and t.strip()]
    assert loose == []


@needs_corpus
def test_corpus_text_is_not_lost(corpus_cleaned) -> None:  # type: ignore[no-untyped-def]
    """Visible text out == visible text in, minus what the removal report lists, plus labels the cleaner wrote."""
    lost = []
    for path, raw, cleaned in corpus_cleaned:
        before = _squash(visible_text_of(raw))
        removed = sum((_squash(r.text) for r in cleaned.removed), Counter())
        after = _squash(visible_text_of(cleaned.html)) - _squash(cleaned.added_text)
        expected = before - removed
        if after != expected:
            missing = "".join((expected - after).elements())[:80]
            extra = "".join((after - expected).elements())[:80]
            lost.append(f"{path.name}: missing {missing!r}, extra {extra!r}")
    assert lost == []


@needs_corpus
def test_corpus_cleaning_is_idempotent(corpus_cleaned) -> None:  # type: ignore[no-untyped-def]
    changed = [p.name for p, _, c in corpus_cleaned if clean(c.html, "https://x.example/").html != c.html]
    assert changed == []


@needs_corpus
def test_corpus_output_is_what_bleach_clean_leaves_alone(corpus_cleaned) -> None:  # type: ignore[no-untyped-def]
    """The cleaner hands bleach a tree, not markup; `bleach.clean` (html5lib parsing the output afresh, as a
    browser would) must find nothing left to change."""
    changed = [p.name for p, _, c in corpus_cleaned if sanitize_markup(c.html) != c.html]
    assert changed == []


@pytest.mark.parametrize(("html", "expected"), [
    ("<p>a &amp;lt; b &amp;amp; c</p>", "<p>a &amp;lt; b &amp;amp; c</p>"),
    ("<p>&lt;b&gt;x&lt;/b&gt; &amp; &copy;</p>", "<p>&lt;b&gt;x&lt;/b&gt; &amp; ©</p>"),
    ('<a href="https://x.example/?a=1&amp;b=2&amp;lt=3">x</a>',
     '<p><a href="https://x.example/?a=1&amp;b=2&amp;lt=3" rel="noopener noreferrer">x</a></p>'),
    ('<a href="https://x.example/a b/中文?q=\'x\'">x</a>',
     '<p><a href="https://x.example/a%20b/%E4%B8%AD%E6%96%87?q=\'x\'" rel="noopener noreferrer">x</a></p>'),
    ("<xmp><b>shown as text</b></xmp>", "<p>&lt;b&gt;shown as text&lt;/b&gt;</p>"),
    ('<p title="&quot;q&quot; &amp; <x>">t</p>', "<p>t</p>"),
])
def test_text_and_attributes_keep_their_meaning(html: str, expected: str) -> None:
    """What the reader sees is what the article said: no character reference is decoded twice or lost."""
    assert clean(html, "https://x.example/").html == expected
    assert sanitize_markup(expected) == expected


@pytest.mark.parametrize(("url", "expected"), [
    ("https://中文.tw/路径?q=值", "https://xn--fiq228c.tw/%E8%B7%AF%E5%BE%84?q=%E5%80%BC"),
    ("https://user@例子.公司:8080/a b", "https://user@xn--fsqu00a.xn--55qx5d:8080/a%20b"),
    ("/rel/中", "https://x.example/rel/%E4%B8%AD"),
    ("https://a.example/%E4%B8%AD?x=1&amp;y=2", "https://a.example/%E4%B8%AD?x=1&amp;y=2"),
    ("https://x.example/a|b{c}", "https://x.example/a%7Cb%7Bc%7D"),
])
def test_urls_become_valid_uris(url: str, expected: str) -> None:
    assert clean(f'<p><a href="{url}">x</a></p>', "https://x.example/").html == \
        f'<p><a href="{expected}" rel="noopener noreferrer">x</a></p>'


def test_attribute_quotes_and_brackets_survive() -> None:
    html = '<img alt="a &quot;b&quot; &lt;c&gt;" src="https://x.example/i.jpg">'
    cleaned = clean(html, "https://x.example/").html
    assert cleaned == "<img alt='a \"b\" &lt;c>' src=\"https://x.example/i.jpg\">"
    image = html5lib.parseFragment(cleaned, treebuilder="etree", namespaceHTMLElements=False).find("img")
    assert image is not None and image.get("alt") == 'a "b" <c>'


# --- hostile input ----------------------------------------------------------------------------------------------


OWN_VECTORS = [
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href=" &#14;  javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<img src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "<img src=x onerror=alert(1)//",
    "]]></content><script>alert(1)</script>",
    "<base href=\"https://evil.example/\"><meta http-equiv=refresh content=0;url=https://evil.example>",
    "<template><script>alert(1)</script></template><p>t</p>",
    "<xmp><script>alert(1)</script></xmp>",
    "<plaintext><script>alert(1)</script>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"javascript:alert(1)\"></object><embed src=\"javascript:alert(1)\">",
]


def _vectors() -> list[str]:
    collected = list(OWN_VECTORS)
    if XSS.is_file():
        collected += json.loads(XSS.read_text(encoding="utf-8"))
    return collected


@needs_xss
def test_shared_vectors_are_all_there() -> None:
    assert len(json.loads(XSS.read_text(encoding="utf-8"))) == 508


@pytest.mark.parametrize("vector", _vectors())
def test_hostile_vectors_are_neutralized(vector: str) -> None:
    for html in (vector, f"<div><p>前文</p>{vector}<p>后文</p></div>", f"<p>{vector}</p>"):
        cleaned = clean(html, "https://www.example.com/a").html
        assert hostile_findings(cleaned) == [], cleaned
        lxml.etree.fromstring(f"<content>{_xml_escape(cleaned)}</content>".encode())


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- properties -------------------------------------------------------------------------------------------------

_TAGS = ["p", "div", "span", "a", "img", "b", "i", "script", "style", "svg", "table", "tr", "td", "ul", "li",
         "br", "hr", "figure", "small", "iframe", "video", "h1", "blockquote", "pre", "noscript", "o:p", "font"]
_ATTRS = ["href", "src", "style", "class", "onclick", "data-src", "width", "height", "title", "alt", "id"]
_VALUES = ["https://a.example/x", "/rel", "//proto.example/y", "javascript:alert(1)", "data:x", "1", "100%",
           "https://images.weserv.nl/?url=b.example/c.jpg", "", "x y", "获取更多RSS", "https://feedx.net"]


@st.composite
def html_soup(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.integers(0, 3))
        if kind == 0:
            tag = draw(st.sampled_from(_TAGS))
            attrs = "".join(f' {draw(st.sampled_from(_ATTRS))}="{draw(st.sampled_from(_VALUES))}"'
                            for _ in range(draw(st.integers(0, 3))))
            parts.append(f"<{tag}{attrs}>")
        elif kind == 1:
            parts.append(f"</{draw(st.sampled_from(_TAGS))}>")
        else:
            parts.append(draw(st.text(alphabet=st.characters(codec="utf-8"), max_size=20)))
    return "".join(parts)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(html_soup())
def test_cleaning_is_idempotent_and_allowlisted(html: str) -> None:
    once = clean(html, "https://base.example/dir/page.html")
    assert clean(once.html, "https://base.example/dir/page.html").html == once.html
    assert sanitize_markup(once.html) == once.html
    for element in html5lib.parseFragment(once.html, treebuilder="etree", namespaceHTMLElements=False).iter():
        if isinstance(element.tag, str) and element.tag != "DOCUMENT_FRAGMENT":
            assert element.tag in ALLOWED_TAGS
            assert set(element.attrib) <= ALLOWED_ATTRS.get(element.tag, set())
    assert hostile_findings(once.html) == []
    lxml.etree.fromstring(f"<c>{_xml_escape(once.html)}{_xml_escape(once.summary)}</c>".encode())


@settings(deadline=None)
@given(st.text(max_size=200))
def test_any_text_cleans_to_xml_safe_output(text: str) -> None:
    result = clean(text, "https://base.example/")
    lxml.etree.fromstring(f"<c>{_xml_escape(result.html)}{_xml_escape(result.summary)}</c>".encode())
