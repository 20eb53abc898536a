"""Story filters: the include and exclude rules of `[filters.<feed>]`, applied to merged stories after the cache
(a change of rules never re-cleans a seed). Pure: metadata and text come in through functions.

`filters.<slug>` leaves a source's stories out of every feed; `filters.all` leaves stories out of the unified feed
only. Every story left out is reported with the rule that dropped it: never silently lost.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from feedsvc.model import Dropped, EntryMeta, Story, StoryFilter, Topic
from feedsvc.text import plain_text

NO_INCLUDE = "no include rule matched"


class _Rule:
    def __init__(self, kind: str, field: str, pattern: str) -> None:
        self.field = field
        self.label = f"{kind}_{field} {pattern}"
        if len(pattern) > 2 and pattern.startswith("/") and pattern.endswith("/"):
            regex = re.compile(pattern[1:-1], re.IGNORECASE)
            self.matches: Callable[[str], bool] = lambda text: regex.search(text) is not None
        else:
            word = pattern.casefold()
            self.matches = lambda text: word in text.casefold()


class Judge:
    """The compiled rules of one feed."""

    def __init__(self, story_filter: StoryFilter) -> None:
        self.feed = story_filter.feed
        self.include = [_Rule("include", f, p) for f, p in story_filter.include]
        self.exclude = [_Rule("exclude", f, p) for f, p in story_filter.exclude]
        self.needs_content = any(r.field == "content" for r in (*self.include, *self.exclude))
        self.key = hashlib.sha256(repr(story_filter).encode()).hexdigest()[:16]

    def verdict(self, meta: EntryMeta, content: str) -> str | None:
        """The rule that drops the story, or None when it is kept."""
        fields = {"title": [meta.title], "author": [meta.author or ""], "categories": list(meta.categories),
                  "content": [plain_text(content)] if self.needs_content else []}

        def hit(rule: _Rule) -> bool:
            return any(rule.matches(text) for text in fields[rule.field])

        for rule in self.exclude:
            if hit(rule):
                return rule.label
        if self.include and not any(hit(rule) for rule in self.include):
            return NO_INCLUDE
        return None


@dataclass(frozen=True)
class Judged:
    sources: list[Story]
    """Stories kept by their source's filter (every per-source feed, and the unified feed before its own)."""
    unified: list[Story]
    """Stories the unified feed holds."""
    dropped: tuple[Dropped, ...]
    topics: dict[str, list[Story]] = field(default_factory=dict)
    """Topic slug -> the stories its rules keep (of `sources`), in their order."""


Verdicts = Mapping[tuple[str, str, int], str | None]
"""(rules key, digest, n) -> the dropping rule or None: what earlier runs decided."""


def judge(filters: Iterable[StoryFilter], stories: list[Story], known: Verdicts,
          read: Callable[[Story, bool], tuple[EntryMeta, str]],
          remember: Callable[[list[tuple[str, str, int, str | None]]], None],
          topics: Iterable[Topic] = ()) -> Judged:
    """Apply the filters to `stories`, and each topic's rules to those its source's filter keeps. Verdicts already
    `known` are reused; the others are decided (reading each story with `read(story, with_content)`) and handed
    to `remember`. A story a topic does not take is not reported: a topic chooses, it does not filter out."""
    judges = {f.feed: Judge(f) for f in filters}
    topics = list(topics)
    if not judges and not topics:
        return Judged(stories, stories, ())
    fresh: list[tuple[str, str, int, str | None]] = []
    dropped: list[Dropped] = []

    def decide(judge_: Judge, story: Story) -> str | None:
        key = (judge_.key, story.newest.digest, story.newest.n)
        if key in known:
            return known[key]
        meta, content = read(story, judge_.needs_content)
        rule = judge_.verdict(meta, content)
        fresh.append((*key, rule))
        return rule

    def apply(judge_: Judge | None, members: list[Story]) -> list[Story]:
        if judge_ is None:
            return members
        kept = []
        for story in members:
            rule = decide(judge_, story)
            if rule is None:
                kept.append(story)
            else:
                dropped.append(Dropped(judge_.feed, rule, story.newest.id))
        return kept

    by_source: dict[str, list[Story]] = {}
    for story in stories:
        by_source.setdefault(story.source_slug, []).append(story)
    kept = {id(s) for slug, members in by_source.items() for s in apply(judges.get(slug), members)}
    sources = [s for s in stories if id(s) in kept]
    unified = apply(judges.get("all"), sources)
    chosen = {}
    for topic in topics:
        topic_judge = Judge(topic.rules)
        chosen[topic.slug] = [s for s in sources if decide(topic_judge, s) is None]
    if fresh:
        remember(fresh)
    return Judged(sources, unified, tuple(sorted(dropped, key=lambda d: (d.feed, d.rule, d.story_id))), chosen)
