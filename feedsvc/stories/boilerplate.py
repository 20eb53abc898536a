"""Rules learned from the archive itself: a block that opens or closes a large share of one source's stories
(its text equal, digits aside) is that source's boilerplate, and is cut from its stories as they are published.
Pure.

The cleaner marks each article's candidate blocks (`clean.edges`); this module counts the marks of each source's
current stories, learns the marks that reach the threshold, and says which blocks each story loses (`Story.cut`).
The counts are kept up to date story by story, so a new seed costs its own marks, and a change of what a source
has learned costs that source's stories, never the archive's. What is learned depends only on which stories are
current, never on the order they came in: the same seeds give the same rules.

The cut is made when an article is read for publishing (`cut_article`), from the offsets the cleaner recorded:
the cached article itself stays as the cleaner left it, so learning more, or less, never cleans anything again.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from feedsvc.model import MARK_BYTES, Story
from feedsvc.text import plain_text

PROBE = 12
"""Characters of a block's text looked for in a summary."""


@dataclass(frozen=True)
class Learning:
    """The settings of learning: whether to, and how often a block must repeat in one source's stories."""

    enabled: bool = True
    share: float = 0.1
    """Of the source's stories."""
    min_stories: int = 5
    """However few stories a source has."""

    def threshold(self, stories: int) -> int:
        """How many of a source's `stories` must carry a block for it to be learned."""
        return max(self.min_stories, math.ceil(self.share * stories))


_KEY = re.compile(b".{%d}" % MARK_BYTES, re.DOTALL)


def keys_of(marks: bytes) -> list[bytes]:
    """The keys packed in `Version.marks`, in order (split by the regular expression engine: a loop over slices
    took three times as long)."""
    return _KEY.findall(marks)


@dataclass
class Boilerplate:
    """Each source's count of its stories' marks, and what it has learned from them."""

    learning: Learning = field(default_factory=Learning)
    counts: dict[str, Counter[bytes]] = field(default_factory=dict)
    totals: Counter[str] = field(default_factory=Counter)
    """Stories of each source."""
    rules: dict[str, frozenset[bytes]] = field(default_factory=dict)
    """Source slug -> the keys learned (sources that learned nothing are absent)."""
    _finders: dict[str, re.Pattern[bytes]] = field(default_factory=dict, repr=False)
    """Source slug -> a pattern that finds any of its learned keys in a story's marks."""

    def count_all(self, stories: Iterable[Story]) -> None:
        """Count every one of `stories` in, as `count(story, 1)` would one by one, at once (the story index's load:
        at 100,000 stories, 0.9 s one by one, 0.2 s this way, `bench.learned`)."""
        if not self.learning.enabled:
            return
        by_source: dict[str, list[bytes]] = {}
        for story in stories:
            by_source.setdefault(story.newest.source_slug, []).append(story.newest.marks)
        for slug, marks in by_source.items():
            self.totals[slug] += len(marks)
            self.counts.setdefault(slug, Counter()).update(_KEY.findall(b"".join(marks)))

    def count(self, story: Story, sign: int) -> None:
        """Count `story`'s marks in (`sign` 1) or out (-1) of its source (a block an article repeats counts each
        time: it is rare, and counted the same whatever the order)."""
        if not self.learning.enabled:
            return
        slug = story.newest.source_slug
        self.totals[slug] += sign
        marks = story.newest.marks
        if not marks:
            return
        counts = self.counts.setdefault(slug, Counter())
        for key in keys_of(marks):
            counts[key] += sign

    def relearn(self, slugs: Iterable[str]) -> set[str]:
        """Learn again for `slugs` from their counts; returns those whose rules changed."""
        changed = set()
        for slug in slugs:
            counts = self.counts.get(slug)
            threshold = self.learning.threshold(self.totals[slug])
            learned = frozenset(key for key, n in counts.items() if n >= threshold) if counts else frozenset()
            if learned != self.rules.get(slug, frozenset()):
                changed.add(slug)
                if learned:
                    self.rules[slug] = learned
                    self._finders[slug] = re.compile(b"|".join(re.escape(key) for key in sorted(learned)))
                else:
                    self.rules.pop(slug, None)
                    self._finders.pop(slug, None)
            if counts is not None and not self.totals[slug]:
                del self.counts[slug]
        return changed

    def cut(self, story: Story) -> Story:
        """`story` with the blocks its source learned marked for cutting (the story itself when that is unchanged)."""
        finder = self._finders.get(story.newest.source_slug)
        marks = story.newest.marks
        if finder is not None and finder.search(marks):  # one search first: most stories carry none of the keys
            learned = self.rules[story.newest.source_slug]
            cut = b"".join(key for key in keys_of(marks) if key in learned)
        else:
            cut = b""
        return story if cut == story.cut else Story(story.newest, story.oldest, story.digests, cut)


def cut_article(article: bytes, marks: bytes, spans: Sequence[Sequence[int]], cut: bytes,
                ) -> tuple[bytes, list[bytes]]:
    """`article` without the blocks whose keys are in `cut` (`spans` holds the offsets of each key of `marks`),
    and the blocks taken, in order. An article that would be left without text is left whole."""
    wanted = set(keys_of(cut))
    taken = [(start, end) for key, (start, end) in zip(keys_of(marks), spans, strict=False) if key in wanted]
    if not taken:
        return article, []
    parts: list[bytes] = []
    at = 0
    for start, end in sorted(taken):
        parts.append(article[at:start])
        at = max(at, end)
    parts.append(article[at:])
    left = b"".join(parts).strip()
    if not _has_text(left):
        return article, []
    return left, [article[start:end] for start, end in sorted(taken)]


def _has_text(markup: bytes) -> bool:
    return bool(plain_text(markup.decode("utf-8", "replace"))) or b"<img" in markup


def trim_summary(summary: str, taken: Sequence[bytes]) -> str:
    """`summary` without the texts of the blocks taken: where it opens with one, where it holds one whole, and
    where it was cut short inside one (the cleaner's summary is the article's text with tags read as spaces, as
    `text.plain_text` reads them, cut at `summary_chars` with an ellipsis)."""
    for block in taken:
        text = plain_text(block.decode("utf-8", "replace"))
        if not text:
            continue
        if summary.startswith(text):
            summary = summary[len(text):].lstrip()
            continue
        at = summary.find(text[:PROBE])
        if at <= 0:
            continue
        rest = summary[at:]
        if rest.startswith(text):
            summary = (summary[:at].rstrip() + " " + rest[len(text):].lstrip()).strip()
        elif rest.endswith("…") and text.startswith(rest[:-1].rstrip()):
            summary = summary[:at].rstrip() + "…"
    return summary
