"""What an article is made of, block by block (`clean.blocks`), for finding what a source repeats."""

from __future__ import annotations

from feedsvc.clean.blocks import Block, blocks, classed


def test_blocks_are_the_innermost_paragraph_like_elements_in_order() -> None:
    html = "<h2>标题</h2><blockquote><p>引文</p></blockquote><ul><li>一</li><li> </li></ul><div>散文</div><td>格</td>"
    assert blocks(html) == [Block("h2", "标题"), Block("p", "引文"), Block("li", "一"), Block("td", "格")]


def test_classed_lists_every_element_with_a_class() -> None:
    html = '<div class="promo box"><p>订阅</p></div><span class=" ">x</span><em class="note"></em>'
    assert classed(html) == [Block("div", "订阅", ("promo", "box")), Block("em", "", ("note",))]
