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
    ("<font color=red>红</font><center>中</center>", "<p>红</p><p>中</p>"),  # loose text: a paragraph too
    ('<a name="x">锚</a><a href="https://a.example/">链</a>', '<p>锚<a href="https://a.example/">链</a></p>'),
    ("<ul>散<li>一</li>尾<b>粗</b></ul>", "<ul><li>散</li><li>一</li><li>尾</li><li><b>粗</b></li></ul>"),
    ("<tr><td>孤</td></tr>", "<p>孤</p>"),  # table parts outside a table
    ("<table>文<tr><td>格</td></tr></table>", "<p>文格</p>"),  # would be foster-parented: dissolved
    ("<table><tr><td>格</td></tr></table>", "<table><tr><td>格</td></tr></table>"),
])
def test_structure_to_the_allowlist(html: str, expected: str) -> None:
    tidied = _after(html, to_allowlist)
    assert tidied == expected
    assert {e.tag for e in parse_body(tidied)[0].iter()} - {"body"} <= ALLOWED_TAGS


@pytest.mark.parametrize(("html", "expected"), [
    # CCTV's programme lists: items with no list around them
    ("<div><li>一</li><li>二</li></div>", "<ul><li>一</li><li>二</li></ul>"),
    ("<li>一</li> <li>二</li>中<li>三</li>", "<ul><li>一</li> <li>二</li></ul><p>中</p><ul><li>三</li></ul>"),
    ("<menu><li>一</li></menu><p>后</p>", "<ul><li>一</li></ul><p>后</p>"),  # a list the allowlist unwraps
    ("<dt>词</dt><dd>义</dd>", "<dl><dt>词</dt><dd>义</dd></dl>"),
    ("<ol><li>一</li><li>二</li></ol>", "<ol><li>一</li><li>二</li></ol>"),  # in a list already: as it was
    ("<li>外<ul><li>内</li></ul></li>", "<ul><li>外<ul><li>内</li></ul></li></ul>"),  # its own list stays inside
])
def test_list_items_outside_a_list_are_put_in_one(html: str, expected: str) -> None:
    assert _after(html, to_allowlist) == expected


@pytest.mark.parametrize(("html", "expected"), [
    ("裸文本<b>粗</b>。<p>下一段。</p>", "<p>裸文本<b>粗</b>。</p><p>下一段。</p>"),  # Solidot's bare text
    ('<p>一</p>\n中间 <a href="https://a.example/">链</a>\n<p>二</p>',
     '<p>一</p><p>中间 <a href="https://a.example/">链</a></p><p>二</p>'),  # the line breaks around it go
    ("<p>一</p>\u3000缩进<p>二</p>", "<p>一</p><p>\u3000缩进</p><p>二</p>"),  # an indent is the text's
    ('<p>一</p><img src="https://a.example/i.jpg"> <p>二</p>',
     '<p>一</p><img src="https://a.example/i.jpg"> <p>二</p>'),  # images alone stay as they are
    ("<p>一</p>\n<p>二</p>", "<p>一</p>\n<p>二</p>"),  # whitespace between blocks is no text
    ("<blockquote>引<p>文</p></blockquote>", "<blockquote>引<p>文</p></blockquote>"),  # only the top level
])
def test_loose_text_at_the_top_level_becomes_paragraphs(html: str, expected: str) -> None:
    assert _after(html, to_allowlist) == expected


@pytest.mark.parametrize(("html", "expected"), [
    # CNA's glossary box, right after the word it explains, before the rest of the sentence
    ('<div><span>气象局发布</span><span class="news-dic-inline">低温特报</span><div class="dictionary-box">'
     '<p>小百科</p><div class="news-dic-text"><p>黄色：10度以下</p></div></div>'
     "<span>，明天寒流南下。</span></div><p>下一段。</p>",
     "<p>气象局发布低温特报，明天寒流南下。</p><p>小百科</p><p>黄色：10度以下</p><p>下一段。</p>"),
    # after the wrapper, the blocks keep their order, and the wrapper's tail follows them
    ('<div>前<figure><img src="https://a.example/i.jpg"></figure>、中<div><p>框</p></div>）后</div>尾',
     '<p>前、中）后</p><figure><img src="https://a.example/i.jpg"></figure><p>框</p><p>尾</p>'),
    # a sentence that ended, or a text that starts one: nothing moves
    ("<div>一句话。<div><p>框</p></div>下一句。</div>", "<p>一句话。</p><p>框</p><p>下一句。</p>"),
    ("<div><p>框</p>，接着</div>", "<p>框</p><p>，接着</p>"),  # no first half
    ("<div><p>段</p><p>框</p>，接着</div>", "<p>段</p><p>框</p><p>，接着</p>"),  # a block before: no sentence
])
def test_a_box_that_splits_a_sentence_moves_after_it(html: str, expected: str) -> None:
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
        '<body><p>x</p><p><a href="https://a.example/">外内</a></p><p>块</p></body>'


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
