"""What an article is made of, block by block: for finding the boilerplate a source repeats (`feedsvc rules`)."""

from __future__ import annotations

from dataclasses import dataclass

from feedsvc.clean.tree import parse_body, visible_text

BLOCKS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figcaption", "pre", "td")


@dataclass(frozen=True)
class Block:
    """A paragraph-like element (or, from `classed`, any element with a class): its tag, visible text, classes."""

    tag: str
    text: str
    classes: tuple[str, ...] = ()


def blocks(html: str) -> list[Block]:
    """The paragraph-like elements of `html` that hold no other such element, in document order."""
    body, _ = parse_body(html)
    found = []
    for element in body.iter(*BLOCKS):
        if any(True for _ in element.iterdescendants(*BLOCKS)):
            continue
        text = visible_text(element)
        if text:
            found.append(Block(str(element.tag), text))
    return found


def classed(html: str) -> list[Block]:
    """Every element of `html` that has a class attribute, with its visible text (empty for empty ones)."""
    body, _ = parse_body(html)
    return [Block(str(e.tag), visible_text(e), tuple(e.get("class", "").split()))
            for e in body.iter() if isinstance(e.tag, str) and e.get("class", "").strip()]
