"""What each cleaning rule of a source removes, from the removals the cleaner recorded. Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from feedsvc.clean.structure import RULE_KIND

_GENERIC = re.compile(
    r"^\.(?:text|txt|content|contents|body|main|article|post|entry|story|detail|details|title|summary|desc|info|"
    r"inner|wrap|wrapper|container|box|block|item|items|row|col|column|section|left|right|center|clearfix|fl|fr|"
    r"small|large|big|bold|normal|red|blue|gray|grey|hidden|show|active|first|last|"
    r"(?:size|font|fs|text|col|span|mt|mb|ml|mr|pt|pb|px|py)-[\w-]+)$", re.IGNORECASE)
"""Class names a site gives its article's own elements as readily as its clutter (`.text`, `.size-md`)."""


def generic_selector(selector: str) -> bool:
    """Whether `selector` is one class whose name says nothing of clutter: it would likely hit articles too."""
    return _GENERIC.match(selector.strip()) is not None


MOST = 0.5
"""A rule that takes more than this share of an article's text is flagged."""
SAMPLES = 3

Removals = Sequence[tuple[str, int, str]]
"""(kind, length of the removed text, its first characters), as the cache keeps them."""


@dataclass(frozen=True)
class RuleReport:
    key: str
    pattern: str
    articles: int
    """Articles the rule changed."""
    total: int
    """Articles of the source."""
    removed_chars: int
    most: int
    """Articles of which the rule removed more than half the text."""
    samples: tuple[str, ...]
    """What the rule took, from a few articles."""

    @property
    def flags(self) -> tuple[str, ...]:
        found = []
        if not self.articles:
            found.append("matches nothing")
        if self.most:
            found.append(f"removes most of {self.most} article{'s' if self.most > 1 else ''}")
        if self.key == "drop_selectors" and generic_selector(self.pattern):
            found.append("generic selector: may match the articles' own text")
        return tuple(found)


def audit(rules: Sequence[tuple[str, str]], articles: Sequence[tuple[int, Removals]]) -> list[RuleReport]:
    """One report per rule ((key, pattern) pairs) over `articles`: (length of the text left after cleaning, the
    rule removals recorded while cleaning it)."""
    reports = []
    for key, pattern in rules:
        kind = f"{RULE_KIND} {key} {pattern}"
        changed = most = chars = 0
        samples: list[str] = []
        for remaining, removals in articles:
            taken = [(length, sample) for k, length, sample in removals if k == kind]
            if not taken:
                continue
            changed += 1
            removed = sum(length for length, _ in taken)
            chars += removed
            everything = remaining + sum(length for _, length, _ in removals)
            if everything and removed > MOST * everything:
                most += 1
            if len(samples) < SAMPLES:
                samples.append(" … ".join(sample for _, sample in taken))
        reports.append(RuleReport(key, pattern, changed, len(articles), chars, most, tuple(samples)))
    return reports
