"""clean.summary: the article's prose as a reader reads it; a summary at most `limit` characters long, cut at a word
in Latin text and anywhere in Chinese, with an ellipsis only when something was cut."""

from __future__ import annotations

import pytest

from feedsvc.clean.summary import prose, summarize
from feedsvc.clean.tree import parse_body


def test_short_text_is_kept_whole() -> None:
    assert summarize("德国之声报道。", 10) == "德国之声报道。"
    assert summarize("x" * 10, 10) == "x" * 10


def test_chinese_is_cut_at_any_character_without_trailing_punctuation() -> None:
    text = "德国之声报道，中国的新闻很多。" * 5
    summary = summarize(text, 16)
    assert summary == "德国之声报道，中国的新闻很多…" and len(summary) <= 16


def test_latin_text_is_cut_at_a_word() -> None:
    summary = summarize("The quick brown fox jumps over the lazy dog, again and again.", 30)
    assert summary == "The quick brown fox jumps…" and len(summary) <= 30


def test_a_word_longer_than_half_the_limit_is_cut_inside() -> None:
    summary = summarize("a " + "x" * 40, 20)
    assert summary == "a " + "x" * 17 + "…" and len(summary) == 20


@pytest.mark.parametrize("limit", [5, 17, 64, 200])
def test_never_longer_than_the_limit(limit: int) -> None:
    for text in ("中文 English 混合的文字，" * 30, "word " * 100, "字" * 300):
        assert len(summarize(text, limit)) <= limit


def _prose_of(html: str) -> str:
    body, _ = parse_body(html)
    return prose(body)


@pytest.mark.parametrize(("html", "text"), [
    # a link, an emphasis, a drop cap run on inside their sentence: no space a reader does not see
    ('<p>疫苗有效率<a href="https://x.example/">不足六成</a>。与</p>', "疫苗有效率不足六成。与"),
    ('<p><span data-caps="initial">N</span><small>EVER SAY</small> Gotabaya</p>', "NEVER SAY Gotabaya"),
    ("<p>the <a href='https://x.example/'>link</a> here, <em>now</em>.</p>", "the link here, now."),
    # blocks stand apart, and text after a block comes after what the block holds
    ("<p>一<b>二</b></p>三<p>四</p>", "一二 三 四"),
    ("<ul><li>甲</li><li>乙</li></ul>", "甲 乙"),
    ("<p>上一行<br>下一行</p>", "上一行 下一行"),
    # a figure's caption and the label of an embed's link are not the article's prose
    ('<figure><img src="https://x.example/a.jpg"><figcaption>图说</figcaption></figure>正文<p>续</p>', "正文 续"),
    ('<p><a href="https://av.voanews.com/v.mp4">Video (av.voanews.com)</a></p><p>华盛顿加强</p>', "华盛顿加强"),
    ('<p>See <a href="https://x.example/">Video (x.example)</a> below</p>', "See Video (x.example) below"),
])
def test_prose_reads_as_a_reader_does(html: str, text: str) -> None:
    assert _prose_of(html) == text
