"""Where a cleaned article begins and ends, block by block (`clean.edges`): block offsets in the stored bytes, and
which of the first and last blocks may be boilerplate."""

from __future__ import annotations

import re

import pytest

from feedsvc.clean.edges import blocks_of, edges, is_attribution, key_of, text_of


def _blocks(article: bytes) -> list[tuple[bytes, bytes]]:
    return [(tag, article[start:end]) for start, end, tag in blocks_of(article)]


def test_nesting_and_quoted_angle_brackets_do_not_end_a_block() -> None:
    article = b'<div><div><p title="a > b">x</p></div></div><figure><img src="i.jpg"><figcaption>c</figcaption>' \
        b'</figure>'
    assert [tag for tag, _ in _blocks(article)] == [b"div", b"figure"]


def test_an_element_left_open_is_no_block() -> None:
    assert _blocks(b"<p>closed</p><div>never closed") == [(b"p", b"<p>closed</p>")]


def test_text_of_a_block_is_its_visible_text() -> None:
    assert text_of(b"<p> a &amp; <i>b</i>\n c </p>") == "a & b c"


@pytest.mark.parametrize(("text", "attribution"), [
    ("记者：王明", True), ("(法新社)", True), ("Photo: AP", True), ("文/张三", True),
    ("订阅我们的电子报，每天收到最新消息", False), ("记者" + "很长的推广文字" * 12, False)])
def test_attribution_is_short_and_names_a_byline_credit_or_agency(text: str, attribution: bool) -> None:
    assert is_attribution(text) is attribution


def test_an_article_of_one_block_has_no_marks() -> None:
    assert edges(b"<p>only</p>") == () and edges(b"") == ()


def test_blocks_are_top_level_elements_and_runs_of_text_with_their_byte_offsets() -> None:
    article = "<p>一</p>\n<figure><img src=\"a.jpg\" alt=\"x > y\"><figcaption>说明</figcaption></figure>" \
              "行一<br>行<b>二</b><br><ul><li>甲</li></ul>尾".encode()
    found = blocks_of(article)
    assert [(tag, text_of(article[start:end])) for start, end, tag in found] == [
        (b"p", "一"), (b"figure", "说明"), (b"", "行一"), (b"", "行二"), (b"ul", "甲"), (b"", "尾")]
    assert article[found[0][0]:found[0][1]] == "<p>一</p>".encode()


def test_marks_leave_out_headings_attribution_long_blocks_embeds_and_vetoed_text() -> None:
    middle = "".join(f"<p>正文第{n}段。</p>" for n in range(6))
    article = (f"<h2>标题</h2><p>本报记者 张三</p><p>（法新社）</p><p>{'长' * 301}</p>{middle}"
               f"<p><a href=\"https://y.example/v\">YouTube video</a></p><p>欢迎订阅</p><p>请保留这一段</p>").encode()
    marks = edges(article, [re.compile("保留")])
    assert [text_of(article[start:end]) for _, start, end in marks] == ["欢迎订阅"]
    assert edges("<p>只有一段</p>".encode()) == ()


def test_keys_ignore_digits_only() -> None:
    assert key_of("2021年1月21日 订阅") == key_of("2020年12月3日 订阅") != key_of("2020年12月3日 订购")
