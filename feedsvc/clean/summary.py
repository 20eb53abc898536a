"""The plain-text summary of an article: its prose, as a reader reads it, cut to length."""

from __future__ import annotations

import re

from lxml import etree

from feedsvc.clean.media import ADDED_LABEL
from feedsvc.clean.tidy import BLOCKS
from feedsvc.clean.tree import HtmlElement, is_blank, visible_text

_WIDE = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


def summarize(text: str, limit: int) -> str:
    """At most `limit` characters of `text` (whitespace already collapsed), cut at a word boundary, or at any
    character in CJK text, with an ellipsis when something was cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    boundary = cut.rfind(" ")
    if not _WIDE.search(cut[-20:]) and boundary > limit // 2:
        cut = cut[:boundary]
    return cut.rstrip(" ,.;:，。；：、") + "…"


_SET_APART = BLOCKS | {"br", "dd", "dt", "tr", "th", "td", "caption"}
"""Elements whose text stands apart from what surrounds it: the blocks, and the lines a break or a table cell
makes. The rest (a link, an emphasis, a drop cap's `<span>`) runs on inside the sentence that holds it."""


def _left_out(element: HtmlElement) -> bool:
    """A figure (a summary should not open with a photo caption), or a paragraph that is only the label of a link
    the cleaner wrote in place of an embed ("Video (av.voanews.com)"): a link alone in its paragraph, its text
    (read only then: reading every paragraph's would triple the cost of the summary) a label."""
    if element.tag == "figure":
        return True
    return element.tag == "p" and len(element) == 1 and element[0].tag == "a" and is_blank(element.text) \
        and is_blank(element[0].tail) and bool(ADDED_LABEL.match(visible_text(element)))


def prose(body: HtmlElement) -> str:
    """The text of the article as a reader reads it, whitespace collapsed: block elements apart, inline ones
    within their sentence (`有效率<a>不足六成</a>。` reads `有效率不足六成。`), figures and embeds' labels left out."""
    parts: list[str] = []
    skipped: HtmlElement | None = None  # the figure or label being left out, with all it holds
    for event, element in etree.iterwalk(body, events=("start", "end")):
        if skipped is not None:
            if event == "end" and element is skipped:
                skipped = None
                parts.append(" ")
                parts.append(element.tail or "")
            continue
        if event == "start":
            if element is not body and _left_out(element):
                skipped = element
                continue
            if element.tag in _SET_APART:
                parts.append(" ")
            parts.append(element.text or "")
        elif element is not body:
            if element.tag in _SET_APART:
                parts.append(" ")
            parts.append(element.tail or "")
    return " ".join("".join(parts).split())
