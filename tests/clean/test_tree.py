"""The cleaner's lxml plumbing (`clean.tree`): parsing any markup into a body, the text a reader reads, and
removals that keep a record of what they took."""

from __future__ import annotations

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedsvc.clean.tree import Recorder, is_blank, parse_body, text_of, unwrap, unwrap_all, visible_text
from feedsvc.model import Removal


def test_a_fragment_becomes_a_body_and_a_document_keeps_its_head() -> None:
    body, head = parse_body("<p>一</p><p>二</p>")
    assert body.tag == "body" and [p.text for p in body] == ["一", "二"] and head is None
    body, head = parse_body("<html><head><title>T</title></head><body><p>x</p></body></html>")
    assert head is not None and head.findtext("title") == "T" and visible_text(body) == "x"


@pytest.mark.parametrize("html", ["", "   ", "<!-- only a comment -->", "<?php echo 1 ?>"])
def test_input_without_content_is_an_empty_body(html: str) -> None:
    body, _ = parse_body(html)
    assert body.tag == "body" and visible_text(body) == ""


def test_comments_and_processing_instructions_are_gone() -> None:
    body, _ = parse_body("<p>a<!-- zoomattribute -->b<?pi x?></p>")
    assert lxml.html.tostring(body) == b"<body><p>ab</p></body>"


@pytest.mark.parametrize(("tag", "scripts"), [("div", ["x()"]), ("table", [])])
def test_markup_nested_beyond_the_parsers_limit_keeps_all_its_text_in_order(tag: str, scripts: list[str]) -> None:
    depth = 1000
    html = f"<{tag}>" * depth + "<p>深处</p>" + f"</{tag}>" * depth + "<p>之后</p><script>x()</script>"
    body, _ = parse_body(html)
    assert visible_text(body).startswith("深处 之后")
    # wrappers flattened, the elements kept (scripts are the cleaner's to drop); else its text alone, scripts gone
    assert [script.text for script in body.iter("script")] == scripts


def test_visible_text_collapses_whitespace() -> None:
    body, _ = parse_body("<p> 一 \n\t<b>二</b>\u3000 三 </p>")
    assert visible_text(body) == "一 二 三"


def test_a_removal_takes_the_element_keeps_its_tail_and_says_what_it_took() -> None:
    body, _ = parse_body("<p>前<span>广告 文字</span>后</p>")
    record = Recorder()
    span = body.find(".//span")
    assert span is not None
    record.drop(span, "ad")
    record.drop(span, "ad")  # already gone: nothing more
    assert lxml.html.tostring(body, encoding="unicode") == "<body><p>前后</p></body>"
    assert record.removed == [Removal("ad", "广告 文字")]


def test_dropping_an_element_and_its_descendant_records_the_outer_one_once() -> None:
    body, _ = parse_body("<div class='w'><p class='w'>内</p></div><p class='w'>外</p>")
    record = Recorder()
    record.drop_all(body.find_class("w"), "rule")
    record.note("rule", "  noted \n text ")
    assert [r.text for r in record.removed] == ["内", "外", "noted text"] and visible_text(body) == ""


@pytest.mark.parametrize(("text", "blank"), [(None, True), ("", True), (" \xa0\u3000\u200b\ufeff\n", True),
                                             ("。", False), (" a ", False)])
def test_blank_text(text: str | None, blank: bool) -> None:
    assert is_blank(text) is blank


@pytest.mark.parametrize("html", ["<p>长<wbr>单词<i>斜</i>尾</p>",
                                  '<p><picture><source srcset="a.webp"><source srcset="b.jpg"><img src="b.jpg">'
                                  "</picture>后</p>",
                                  '<video><source src="v.mp4"><track src="c.vtt">回退</video>'])
def test_elements_html_makes_empty_are_empty_and_what_follows_them_stays_in_order(html: str) -> None:
    body, _ = parse_body(html)
    assert all(len(e) == 0 and not e.text for e in body.iter("source", "track", "wbr"))
    markup = lxml.html.tostring(body, encoding="unicode")
    for tag in ("source", "track", "wbr"):  # lxml writes an end tag for the elements it does not know
        markup = markup.replace(f"</{tag}>", "")
    assert markup == f"<body>{html}</body>"


def test_every_element_parsed_is_a_plain_html_element_with_its_methods() -> None:
    body, _ = parse_body('<form action="/x"><label>名字<input name="n" value="v"></label><select><option>1</option>'
                         '</select><textarea>t</textarea></form><p>正文</p>')
    assert {type(e) for e in body.iter()} == {lxml.html.HtmlElement}, "chosen in C, no form classes"
    form = body.find("form")
    assert form is not None
    assert visible_text(form) == "名字1t"
    form.drop_tag()
    assert [e.tag for e in body] == ["label", "select", "textarea", "p"]


@pytest.mark.parametrize("html", ["<p>只有文字</p>", "<p></p>", "<p>前<b>粗</b>后</p>", "<p><br></p>",
                                  "<p>a<img src='x'>b</p>"])
def test_the_text_of_an_element_is_its_text_content(html: str) -> None:
    body, _ = parse_body(html)
    paragraph = body.find("p")
    assert paragraph is not None
    assert text_of(paragraph) == paragraph.text_content()


@pytest.mark.parametrize("html", [
    "<p>前<span>中</span>后</p>",  # text and tail, no element around
    "<p><span>中</span>后</p>",  # the parent's text takes them
    "<p>前<b>粗</b>间<span>一<i>斜</i>二<br>三</span>尾<em>强</em></p>",  # children move out, in order
    "<p><span><i>斜</i></span></p>",
    "<p>前<b>粗</b><span></span>尾</p>",  # nothing to move
    "<div><span>一</span><span>二</span><span>三</span></div>",
])
def test_unwrapping_an_element_keeps_what_lxml_drop_tag_keeps(html: str) -> None:
    """`unwrap` is `drop_tag` without the walk over siblings: the same tree comes out."""
    ours, _ = parse_body(html)
    theirs, _ = parse_body(html)
    for body, drop in ((ours, unwrap), (theirs, lxml.html.HtmlElement.drop_tag)):
        for span in reversed(list(body.iter("span"))):
            drop(span)
    assert lxml.html.tostring(ours, encoding="unicode") == lxml.html.tostring(theirs, encoding="unicode")
    assert "span" not in lxml.html.tostring(ours, encoding="unicode")


def test_unwrapping_a_comment_drops_its_text_keeps_its_tail() -> None:
    body, _ = parse_body("<p>前</p>")
    paragraph = body[0]
    comment = lxml.html.HtmlComment("注释")
    comment.tail = "后"
    paragraph.append(comment)
    unwrap(comment)
    assert lxml.html.tostring(body, encoding="unicode") == "<body><p>前后</p></body>"


_TEXTS = st.sampled_from(["", " ", "字", "，续", "文本。"])
_MARKUP = st.recursive(
    _TEXTS,
    lambda inner: st.builds(lambda tag, parts: f"<{tag}>{''.join(parts)}</{tag}>",
                            st.sampled_from(["span", "b", "span", "i", "p"]), st.lists(inner, max_size=4)),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(st.lists(_MARKUP, max_size=5))
def test_unwrapping_many_at_once_is_unwrapping_each_in_turn(parts: list[str]) -> None:
    """`unwrap_all` (one pass) gives the tree that unwrapping each element, innermost first, gives: nested in one
    another or holding elements that stay."""
    html = "<div>" + "".join(parts) + "</div>"
    one_by_one, _ = parse_body(html)
    at_once, _ = parse_body(html)
    for span in reversed(list(one_by_one.iter("span"))):
        unwrap(span)
    unwrap_all(list(at_once.iter("span")))
    assert lxml.html.tostring(at_once, encoding="unicode") == lxml.html.tostring(one_by_one, encoding="unicode")
