"""Structure to the allowlist (`clean.tidy`): every element one the sanitizer keeps, markup that means the same to
every parser, no empty paragraph, no run of line breaks, no stray whitespace."""

from __future__ import annotations

from collections.abc import Callable

import lxml.html
import pytest

from feedsvc.clean.tidy import ALLOWED_TAGS, collapse_breaks, drop_empty, normalize_space, to_allowlist, unlink_empty
from feedsvc.clean.tree import HtmlElement, parse_body


def _after(html: str, step: Callable[[HtmlElement], None]) -> str:
    body, _ = parse_body(html)
    step(body)
    markup: str = lxml.html.tostring(body, encoding="unicode")
    return markup.removeprefix("<body>").removesuffix("</body>")


@pytest.mark.parametrize(("html", "expected"), [
    ('<div class="x"><span>文</span>字</div>', "<p>文字</p>"),  # a wrapper of inline content: a paragraph
    ("<section><p>一</p><div>二</div></section>", "<p>一</p><p>二</p>"),
    ("<font color=red>红</font><center>中</center>", "红<p>中</p>"),
    ('<a name="x">锚</a><a href="https://a.example/">链</a>', '锚<a href="https://a.example/">链</a>'),
    ("<ul>散<li>一</li>尾<b>粗</b></ul>", "<ul><li>散</li><li>一</li><li>尾</li><li><b>粗</b></li></ul>"),
    ("<tr><td>孤</td></tr>", "孤"),  # table parts outside a table
    ("<table>文<tr><td>格</td></tr></table>", "文格"),  # would be foster-parented: dissolved
    ("<table><tr><td>格</td></tr></table>", "<table><tr><td>格</td></tr></table>"),
])
def test_structure_to_the_allowlist(html: str, expected: str) -> None:
    tidied = _after(html, to_allowlist)
    assert tidied == expected
    assert {e.tag for e in parse_body(tidied)[0].iter()} - {"body"} <= ALLOWED_TAGS


@pytest.mark.parametrize(("html", "expected"), [
    # CCTV's programme lists: items with no list around them
    ("<div><li>一</li><li>二</li></div>", "<ul><li>一</li><li>二</li></ul>"),
    ("<li>一</li> <li>二</li>中<li>三</li>", "<ul><li>一</li> <li>二</li></ul>中<ul><li>三</li></ul>"),
    ("<menu><li>一</li></menu><p>后</p>", "<ul><li>一</li></ul><p>后</p>"),  # a list the allowlist unwraps
    ("<dt>词</dt><dd>义</dd>", "<dl><dt>词</dt><dd>义</dd></dl>"),
    ("<ol><li>一</li><li>二</li></ol>", "<ol><li>一</li><li>二</li></ol>"),  # in a list already: as it was
    ("<li>外<ul><li>内</li></ul></li>", "<ul><li>外<ul><li>内</li></ul></li></ul>"),  # its own list stays inside
])
def test_list_items_outside_a_list_are_put_in_one(html: str, expected: str) -> None:
    assert _after(html, to_allowlist) == expected


def test_nesting_that_parsers_read_otherwise_is_undone() -> None:
    """As earlier passes can leave it (the parser itself never nests these): a link in a link, an inline element
    around a block."""
    body, _ = parse_body("<p>x</p>")
    outer = lxml.html.Element("a", href="https://a.example/")
    outer.text = "外"
    inner = lxml.html.Element("a", href="https://b.example/")
    inner.text = "内"
    outer.append(inner)
    bold = lxml.html.Element("b")
    block = lxml.html.Element("p")
    block.text = "块"
    bold.append(block)
    body.extend([outer, bold])
    to_allowlist(body)
    assert lxml.html.tostring(body, encoding="unicode") == \
        '<body><p>x</p><a href="https://a.example/">外内</a><p>块</p></body>'


@pytest.mark.parametrize(("html", "expected"), [
    ("<p> </p><p>\xa0</p><p><b><i></i></b></p><p>留</p>", "<p>留</p>"),
    ("<p><br><br></p><li></li><figure><img src='a.jpg'></figure>", '<figure><img src="a.jpg"></figure>'),
])
def test_empty_paragraphs_and_wrappers_go_deepest_first(html: str, expected: str) -> None:
    assert _after(html, drop_empty) == expected


@pytest.mark.parametrize(("html", "expected"), [
    ('<p>一<a href="https://a.example/1"> </a>二</p><a href="https://a.example/2"></a><p>三</p>',
     "<p>一 二</p><p>三</p>"),  # the space a link held still parts what stood either side of it
    ('<p><a href="https://a.example/1"><br></a>四</p>', "<p><br>四</p>"),
    ('<p><a href="https://a.example/1">链</a><a href="https://a.example/2"><img src="a.jpg"></a></p>',
     '<p><a href="https://a.example/1">链</a><a href="https://a.example/2"><img src="a.jpg"></a></p>'),
])
def test_links_with_nothing_to_show_lose_their_tag(html: str, expected: str) -> None:
    assert _after(html, unlink_empty) == expected


@pytest.mark.parametrize(("html", "expected"), [
    ("<p>一<br><br><br><br>二</p>", "<p>一<br><br>二</p>"),
    ("<p><br>开头</p>", "<p>开头</p>"), ("<p>结尾<br> </p>", "<p>结尾 </p>"),
    ("一<br><p>段</p>", "一<p>段</p>"),  # before a block
])
def test_runs_of_line_breaks_are_collapsed(html: str, expected: str) -> None:
    assert _after(html, collapse_breaks) == expected


def test_whitespace_is_collapsed_outside_pre_and_dropped_between_blocks() -> None:
    html = "<p>  a \n\t b  </p>\n  <p>c</p>\n<pre>\n  keep\n   this</pre>"
    assert _after(html, normalize_space) == "<p> a b </p><p>c</p><pre>  keep\n   this</pre>"
