"""Shared lxml plumbing of the cleaner: parsing, text of a subtree, and removals that keep a record."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeAlias

import lxml.html
from lxml.etree import ParserError

from feedsvc.model import Removal
from feedsvc.text import collapse_space

HtmlElement: TypeAlias = lxml.html.HtmlElement

# remove_comments drops <!-- zoomattribute --> and the like; huge_tree stays off, so libxml2 caps nesting depth
# (hostile 100,000-level markup is flattened, never recursed into).
_PARSER = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, recover=True,
                               default_doctype=False)


def parse_body(html: str) -> tuple[HtmlElement, HtmlElement | None]:
    """(body, head) of `html` parsed as a browser-like document; an empty body for input without content."""
    try:
        document = lxml.html.document_fromstring(html, parser=_PARSER)
    except (ParserError, ValueError):
        document = lxml.html.document_fromstring("<html><body></body></html>", parser=_PARSER)
    body = document.find("body")
    if body is None:
        body = lxml.html.Element("body")
        for child in list(document):
            if child.tag != "head":
                body.append(child)
    return body, document.find("head")


def visible_text(element: HtmlElement) -> str:
    """The text of a subtree, whitespace collapsed (what a reader would read, markup aside)."""
    return collapse_space(element.text_content())


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
