"""Shared lxml plumbing of the cleaner: parsing, text of a subtree, and removals that keep a record."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeAlias

import lxml.html
from lxml.etree import ElementDefaultClassLookup, ParserError

from feedsvc.model import Removal
from feedsvc.text import collapse_space, sub_tags, without_blocks, without_tags

HtmlElement: TypeAlias = lxml.html.HtmlElement

# remove_comments drops <!-- zoomattribute --> and the like; huge_tree stays off, so libxml2 caps nesting depth
# at 256 levels and nothing recurses into hostile 100,000-level markup. libxml2 stops reading at that depth, which
# would lose the rest of the article: such markup is read again with its wrappers flattened (`_flattened`), and
# where other elements nest that deep, as its text alone (active content dropped first, as the cleaner would).
_PARSER = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, recover=True,
                               default_doctype=False)
_PARSER.set_element_class_lookup(ElementDefaultClassLookup(
    element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment, pi=lxml.html.HtmlProcessingInstruction,
    entity=lxml.html.HtmlEntity))
"""Every element of an article is a plain `HtmlElement`, chosen in C: lxml.html's own lookup (a Python call for
each element the cleaner touches, to give form controls classes of their own that it never uses) took 0.1-0.2 ms
of the 4.5 ms it takes to clean a heavy article."""
_WRAPPER = re.compile(r"</?(?:div|span|font|section|article|blockquote|center|small|b|i|em|strong|u)\b[^>]*>",
                      re.IGNORECASE)

_ACTIVE = ("script", "style", "template", "noscript")


def _flattened(html: str) -> str:
    """`html` without the wrapper elements that nest without limit (each becomes a line end): their text stays,
    in order. Only for markup nested deeper than the parser reads."""
    return sub_tags(_WRAPPER, "\n", html)


def _too_deep() -> bool:
    return any(error.type_name == "ERR_RESOURCE_LIMIT" for error in _PARSER.error_log)


_EMPTY_IN_HTML = ("source", "track", "wbr")
"""Elements that HTML makes empty and libxml2's HTML parser does not know: it reads what follows one, up to its
parent's end, as its content (a `<picture>`'s `<img>` inside its `<source>`)."""


def _emptied(body: HtmlElement) -> None:
    """Each of `_EMPTY_IN_HTML` with what the parser put inside it moved after it, as a browser reads them."""
    for element in list(body.iter(*_EMPTY_IN_HTML)):
        children, text, tail = list(element), element.text, element.tail
        if not children and not text:
            continue
        element.text, element.tail = None, text
        for child in reversed(children):
            element.addnext(child)
        if children:
            children[-1].tail = (children[-1].tail or "") + (tail or "") or None
        else:
            element.tail = (text or "") + (tail or "") or None


def parse_body(html: str) -> tuple[HtmlElement, HtmlElement | None]:
    """(body, head) of `html` parsed as a browser-like document (`_EMPTY_IN_HTML` empty); an empty body for input
    without content."""
    try:
        document = lxml.html.document_fromstring(html, parser=_PARSER)
        if _too_deep():
            document = lxml.html.document_fromstring(_flattened(html), parser=_PARSER)
        if _too_deep():  # nested deeply by other elements than wrappers: its text alone, in order
            text_alone = without_tags(without_blocks(html, _ACTIVE), "\n")
            document = lxml.html.document_fromstring(text_alone, parser=_PARSER)
    except (ParserError, ValueError):
        document = lxml.html.document_fromstring("<html><body></body></html>", parser=_PARSER)
    body = document.find("body")
    if body is None:
        body = lxml.html.Element("body")
        for child in list(document):
            if child.tag != "head":
                body.append(child)
    _emptied(body)
    return body, document.find("head")


def visible_text(element: HtmlElement) -> str:
    """The text of a subtree, whitespace collapsed (what a reader would read, markup aside)."""
    return collapse_space(text_of(element))


def text_of(element: HtmlElement) -> str:
    """The text of a subtree as it is (`text_content`). Most paragraphs hold no element: their own text is all of
    it, read without the XPath call (4 µs) that `text_content` makes."""
    return (element.text or "") if len(element) == 0 else element.text_content()


def unwrap(element: HtmlElement) -> None:
    """Remove `element`'s tag, keeping its text, children and tail in place: lxml's `drop_tag`, without its walk
    over the siblings to find the element's place (quadratic in a parent with thousands of children: 40,000
    sibling `<span>`s, a 560 KB seed, took 11 s to clean). The text of a comment or instruction goes, as there."""
    parent = element.getparent()
    if parent is None:
        return
    previous = element.getprevious()
    children = list(element)
    text = element.text if isinstance(element.tag, str) else None
    tail, element.tail = element.tail, None
    if children and tail:
        children[-1].tail = (children[-1].tail or "") + tail
        tail = None
    moved = (text or "") + (tail or "")
    if moved:
        if previous is None:
            parent.text = (parent.text or "") + moved
        else:
            previous.tail = (previous.tail or "") + moved
    for child in children:
        element.addprevious(child)
    parent.remove(element)


def unwrap_all(elements: Iterable[HtmlElement]) -> None:
    """`unwrap` every one of `elements` (nested in each other or not) at once: each element that keeps its tag and
    loses some below it gets its content rebuilt in one pass. One by one, each unwrapping appends the text moved
    so far to the next sibling's tail, a string that grows with every step: quadratic in a parent with thousands
    of such children (30,000 sibling links without `href`, 0.5 MB, took 7 s; `python -m bench.hostile`)."""
    doomed = list(elements)  # the proxies kept alive, so that membership below is by the same objects
    members = set(doomed)
    holders: dict[HtmlElement, None] = {}
    for element in doomed:
        holder = element.getparent()
        while holder is not None and holder in members:
            holder = holder.getparent()
        if holder is not None:
            holders.setdefault(holder)
    for holder in holders:
        _rebuild(holder, members)


def _rebuild(holder: HtmlElement, doomed: set[HtmlElement]) -> None:
    head: list[str] = [holder.text or ""]
    kept: list[HtmlElement] = []
    tails: list[list[str]] = []

    def add(text: str | None) -> None:
        if text:
            (tails[-1] if kept else head).append(text)

    stack = [iter(list(holder))]
    closing: list[HtmlElement] = []  # the doomed element each inner iterator belongs to
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            if closing:
                add(closing.pop().tail)
            continue
        if child in doomed:
            if isinstance(child.tag, str):
                add(child.text)
            stack.append(iter(list(child)))
            closing.append(child)
        else:
            kept.append(child)
            tails.append([child.tail or ""])
    holder.text = "".join(head) or None
    for child, tail in zip(kept, tails, strict=True):
        child.tail = "".join(tail) or None
    holder[:] = kept


class Recorder:
    """Removes elements and remembers what each removal took."""

    def __init__(self) -> None:
        self.removed: list[Removal] = []
        self.added: list[str] = []

    def drop(self, element: HtmlElement, kind: str) -> None:
        """Remove `element` with its content; its tail text stays where it was."""
        if element.getparent() is None:
            return
        self.removed.append(Removal(kind, visible_text(element)))
        element.drop_tree()

    def drop_all(self, elements: Iterable[HtmlElement], kind: str) -> None:
        chosen = list(elements)
        members = set(chosen)  # live references: lxml's id()s are not stable for proxies nobody holds
        for element in chosen:
            if not any(a in members for a in element.iterancestors()):
                self.drop(element, kind)

    def note(self, kind: str, text: str) -> None:
        self.removed.append(Removal(kind, collapse_space(text)))


def is_blank(text: str | None) -> bool:
    return not text or not text.strip(" \t\n\r\f\v\xa0\u3000\u200b\u200c\u200d\ufeff")
