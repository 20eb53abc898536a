"""Removals that do not depend on media (`clean.structure`): active content, the feedx footer in each of its
shapes, the lead date line, a repeated title, and a source's own rules, each recorded with what it took."""

from __future__ import annotations

from collections.abc import Callable

import lxml.html
import pytest

from feedsvc.clean.structure import (
    apply_rules,
    remove_active,
    remove_footer,
    remove_head,
    remove_lead_date,
    remove_repeated_title,
    rule_kind,
)
from feedsvc.clean.tree import HtmlElement, Recorder, parse_body
from feedsvc.model import CleanRules, Removal

LINK = '<a href="https://feedx.net" target="_blank">feedx.net</a>'
FOOTER = ('<br><hr><div>获取更多RSS：<br><a href="https://feedx.net" style="color:orange" target="_blank">'
          'https://feedx.net</a> <br><a href="https://feedx.{second}" style="color:orange" target="_blank">'
          'https://feedx.{second}</a><br></div>')
"""feedx's footer exactly as the archives carry it (`{second}`: its second domain, which changed over time)."""


def _after(html: str, step: Callable[[HtmlElement, Recorder], None]) -> tuple[str, list[Removal]]:
    body, _ = parse_body(html)
    record = Recorder()
    step(body, record)
    inner = lxml.html.tostring(body, encoding="unicode")
    return inner.removeprefix("<body>").removesuffix("</body>"), record.removed


def test_active_content_goes_with_its_text() -> None:
    html = "<p>文<script>alert(1)</script></p><style>p{}</style><form><input value=x>表单</form><svg><rect/></svg>"
    kept, removed = _after(html, remove_active)
    assert kept == "<p>文</p>" and {r.kind for r in removed} == {"active content"}
    assert "表单" in [r.text for r in removed]


def test_a_head_with_text_is_noted() -> None:
    record = Recorder()
    remove_head(parse_body("<html><head><title>页面标题</title></head><body>x</body></html>")[1], record)
    remove_head(None, record)
    assert record.removed == [Removal("head", "页面标题")]


@pytest.mark.parametrize(("article", "expected"), [
    ("<p>正文。</p>" + FOOTER.format(second="xyz"), "<p>正文。</p>"),
    ("<p>正文。</p>" + FOOTER.format(second="best"), "<p>正文。</p>"),
    ("<div><p>正文。</p>" + FOOTER.format(second="site") + "\n</div>\n", "<div><p>正文。</p>\n</div>"),  # B
    (f"<p>正文。</p>获取更多RSS：<br>{LINK}", "<p>正文。</p><br>"),  # no wrapper: the text and the link themselves
])
def test_the_feedx_footer_goes_back_to_the_rule_before_it(article: str, expected: str) -> None:
    kept, removed = _after(article, remove_footer)
    assert kept.strip() == expected
    assert removed and all(r.kind == "feedx footer" for r in removed) and "获取更多RSS" in removed[0].text


@pytest.mark.parametrize("html", [f"<p>文章提到 {LINK} 网站。</p>", "<p>获取更多RSS 是一句话。</p>",
                                  '<p><a href="https://notfeedx.net/">获取更多RSS</a></p>'])
def test_a_feedx_link_without_the_promo_text_or_the_text_without_a_feedx_link_stays(html: str) -> None:
    assert _after(html, remove_footer) == (html, [])


@pytest.mark.parametrize(("lead", "dropped"), [
    ("<div><i>作者<br>2023-01-02 03:04</i></div>", True),
    ("<section><div><i>2023年1月2日</i></div></section>", True),
    ("<div>02/01/2023 - 03:04</div>", True),  # RFI
    ("<div><i>这是一句斜体的话</i></div>", False),
    ("<p>正文在前</p><div><i>2023-01-02</i></div>", False),  # only the first element counts
])
def test_the_lead_date_line(lead: str, dropped: bool) -> None:
    kept, removed = _after(lead + "<p>正文。</p>", remove_lead_date)
    assert (removed == [] if not dropped else [r.kind for r in removed] == ["lead date line"])
    assert kept.endswith("<p>正文。</p>") and ("<i>" not in kept and "/2023" not in kept) is dropped


def test_a_heading_that_repeats_the_title_goes_once() -> None:
    html = "<h1>  标题 一 </h1><p>正文</p><h2>标题 一</h2>"
    kept, removed = _after(html, lambda body, record: remove_repeated_title(body, "标题  一", record))
    assert kept == "<p>正文</p><h2>标题 一</h2>" and removed == [Removal("repeated title", "标题 一")]
    assert _after(html, lambda body, record: remove_repeated_title(body, " ", record))[0] == html


@pytest.mark.parametrize(("html", "emptied"), [
    ("<div>\n行山时睡着  圣伯纳犬\n</div>", True),  # BBC's video posts: the archive has the title only
    ("<p>行山时睡着</p><p>圣伯纳犬</p>", True),
    ("行山时睡着 圣伯纳犬", True),
    ("<p>行山时睡着 圣伯纳犬</p><p>正文。</p>", False),
    ('<p>行山时睡着 圣伯纳犬</p><img src="a.jpg">', False),  # a photo with its title as caption
    ('<p>行山时睡着 圣伯纳犬</p><video src="a.mp4"></video>', False),
    ('<p><a href="https://elsewhere.example/">行山时睡着 圣伯纳犬</a></p>', False),  # a link somewhere
])
def test_a_body_that_only_repeats_the_title_is_emptied(html: str, emptied: bool) -> None:
    """What is left then is an article without text, which every format publishes as a link to the original."""
    kept, removed = _after(html, lambda body, record: remove_repeated_title(body, "行山时睡着 圣伯纳犬", record))
    assert (kept.strip(), {r.kind for r in removed}) == (("", {"repeated title"}) if emptied else (html, set()))


def test_each_rule_removes_what_it_names_and_is_recorded_with_it() -> None:
    rules = CleanRules(drop_selectors=("div.share",), drop_xpaths=("//a[contains(@href, 't.me')]",),
                       drop_paragraphs=("^相关阅读",), strip_text=(r"\[caption[^\]]*\]",))
    html = ('<p>[caption id="1"]正文[caption]</p><div class="share">分享</div><p>相关阅读：别的</p>'
            '<p>订阅 <a href="https://t.me/x">频道</a></p>')
    kept, removed = _after(html, lambda body, record: apply_rules(body, rules, record))
    assert kept == "<p>正文</p><p>订阅 </p>"
    assert [(r.kind, r.text) for r in removed] == [
        (rule_kind("drop_selectors", "div.share"), "分享"),
        (rule_kind("drop_xpaths", "//a[contains(@href, 't.me')]"), "频道"),
        (rule_kind("drop_paragraphs", "^相关阅读"), "相关阅读：别的"),
        (rule_kind("strip_text", r"\[caption[^\]]*\]"), '[caption id="1"]'),
        (rule_kind("strip_text", r"\[caption[^\]]*\]"), "[caption]")]


@pytest.mark.parametrize(("html", "kept"), [
    ('<div class="DV-container"></div><script>DV.load("x")</script><noscript><a href="https://d.example/1.pdf">'
     "文件 (PDF)</a></noscript>", '<div class="DV-container"></div><a href="https://d.example/1.pdf">文件 (PDF)</a>'),
    ('<img src="https://i.example/a.jpg"><noscript><img src="https://i.example/a.jpg"></noscript>',
     '<img src="https://i.example/a.jpg">'),  # the image again: a reader has it already
    ('<a href="https://d.example/1.pdf">文件</a><noscript><a href="https://d.example/1.pdf">文件</a></noscript>',
     '<a href="https://d.example/1.pdf">文件</a>'),
    ("<noscript>请启用 JavaScript</noscript><p>正文</p>", "<p>正文</p>"),
    ('<p>正文</p><noscript>Please enable JavaScript to view the <a href="https://disqus.com/?ref_noscript">'
     "comments powered by Disqus.</a></noscript>", "<p>正文</p>"),
])
def test_a_noscript_stays_only_when_it_links_where_nothing_else_does(html: str, kept: str) -> None:
    assert _after(html, remove_active)[0] == kept
