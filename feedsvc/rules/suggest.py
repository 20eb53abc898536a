"""Boilerplate candidates: blocks that repeat across many of one source's articles. Pure.

Two kinds: a paragraph whose whole text recurs (digits aside) in the cleaned articles, suggested as an anchored
`drop_paragraphs` pattern; and a class whose elements carry the same text in nearly every article that has one, and
whose text survives cleaning, suggested as a `drop_selectors` class selector. Both are ranked by how many articles
carry them; the cleaned articles are what today's rules leave, so nothing suggested is removed already.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from feedsvc.clean.blocks import Block
from feedsvc.clean.media import ADDED_LABEL
from feedsvc.rules.audit import generic_selector

MAX_TEXT = 300
"""Longer blocks are article text, never boilerplate candidates."""
CONSTANT_SHARE = 0.9
"""A class is boilerplate when this share of its elements carry one text."""
_DIGITS = re.compile(r"\d+")
_CSS_IDENT = re.compile(r"^-?[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Suggestion:
    key: str
    """`drop_paragraphs` or `drop_selectors`."""
    pattern: str
    articles: int
    share: float
    where: str
    """`leading`, `trailing` or `anywhere` (paragraphs); `class` (selectors)."""
    example: str


MIN_TITLE = 4
"""A shorter title is not looked for in a paragraph (it would be found by chance)."""


def paragraph_pattern(text: str, title: str = "") -> str:
    """An anchored pattern for `text` with its digit runs generalized (dates, counts, editor codes), and the
    article's `title`, where the text quotes it, as any text ("The post <title> appeared first on …")."""
    return _pattern(_shape(text, title))


_TITLE, _NUMBER = "\x00", "\x01"


def _shape(text: str, title: str) -> str:
    """`text` with the article's title and its digit runs replaced by placeholders: what repeats, compared
    cheaply (the pattern is written only for the few shapes that repeat enough)."""
    pieces = text.split(title) if len(title) >= MIN_TITLE else [text]
    return _TITLE.join(_DIGITS.sub(_NUMBER, piece) for piece in pieces)


def _pattern(shape: str) -> str:
    return "^" + ".+".join(r"\d+".join(re.escape(part) for part in piece.split(_NUMBER))
                           for piece in shape.split(_TITLE)) + "$"


def _where(positions: Counter[str]) -> str:
    place, count = positions.most_common(1)[0]
    return place if count * 2 > sum(positions.values()) else "anywhere"


def suggest(cleaned: Sequence[Sequence[Block]], raw: Sequence[Sequence[Block]] = (), *, min_share: float = 0.05,
            min_articles: int = 3, limit: int = 20, titles: Sequence[str] = ()) -> list[Suggestion]:
    """Candidates for one source: `cleaned` holds each article's blocks after today's rules, `raw` and `titles`
    (aligned with it, or empty) each article's classed elements before cleaning and its title: a line that
    repeats except for the article's own title is found too."""
    total = len(cleaned)
    if not total:
        return []
    threshold = max(min_articles, math.ceil(min_share * total))
    counts: Counter[str] = Counter()
    positions: dict[str, Counter[str]] = {}
    examples: dict[str, str] = {}
    for number, article in enumerate(cleaned):
        title = titles[number] if number < len(titles) else ""
        seen: set[str] = set()
        for index, block in enumerate(article):
            if len(block.text) > MAX_TEXT or ADDED_LABEL.match(block.text):
                continue
            pattern = _shape(block.text, title)
            if pattern in seen:
                continue
            seen.add(pattern)
            counts[pattern] += 1
            place = "leading" if index < 2 else ("trailing" if index >= len(article) - 2 else "middle")
            positions.setdefault(pattern, Counter())[place] += 1
            examples.setdefault(pattern, block.text)
    found = [Suggestion("drop_paragraphs", _pattern(shape), n, n / total, _where(positions[shape]), examples[shape])
             for shape, n in counts.items() if n >= threshold]
    found += _classes(cleaned, raw, total, threshold)
    found.sort(key=lambda s: (-s.articles, s.key, s.pattern))
    return found[:limit]


def _classes(cleaned: Sequence[Sequence[Block]], raw: Sequence[Sequence[Block]], total: int,
             threshold: int) -> list[Suggestion]:
    articles: Counter[str] = Counter()
    texts: dict[str, Counter[str]] = {}
    surviving: Counter[tuple[str, str]] = Counter()
    for kept, before in zip(cleaned, raw, strict=False):
        remaining = " ".join(b.text for b in kept)
        seen: set[str] = set()
        for element in before:
            for name in element.classes:
                texts.setdefault(name, Counter())[element.text] += 1
                if name not in seen:
                    seen.add(name)
                    articles[name] += 1
                    if element.text and len(element.text) <= MAX_TEXT and element.text in remaining:
                        surviving[(name, element.text)] += 1
    found = []
    for name, count in articles.items():
        if count < threshold or not _CSS_IDENT.match(name) or generic_selector(f".{name}"):
            continue
        text, same = texts[name].most_common(1)[0]
        if not text or same < CONSTANT_SHARE * sum(texts[name].values()) or surviving[(name, text)] < threshold:
            continue
        found.append(Suggestion("drop_selectors", f".{name}", surviving[(name, text)],
                                surviving[(name, text)] / total, "class", text))
    return found
