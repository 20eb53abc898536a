"""Which feeds to publish and which stories each holds; a digest per feed that says whether it must be rendered
again. Pure: metadata comes in through a function, nothing is read here."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from feedsvc import __version__
from feedsvc.group import Story, newest
from feedsvc.model import EntryMeta, Feed
from feedsvc.settings import Settings


@dataclass(frozen=True)
class Planned:
    """A feed (its entries not rendered yet) and its stories, newest first, each with its merged metadata."""

    feed: Feed
    stories: tuple[tuple[Story, EntryMeta], ...]


def plan_feeds(settings: Settings, stories: list[Story], meta_of: Callable[[Story], EntryMeta]) -> list[Planned]:
    """The unified feed, then one feed per source in slug order. `meta_of` is asked only for stories that are
    published (at most `max_entries` per feed), once each."""
    base = settings.base_url if settings.base_url.endswith("/") else settings.base_url + "/"
    known: dict[Story, EntryMeta] = {}

    def described(chosen: list[Story]) -> tuple[tuple[Story, EntryMeta], ...]:
        for story in chosen:
            if story not in known:
                known[story] = meta_of(story)
        return tuple((story, known[story]) for story in chosen)

    by_source: dict[str, list[Story]] = {}
    for story in stories:
        by_source.setdefault(story.source_slug, []).append(story)
    chosen = described(newest(stories, settings.max_entries))
    plans = [Planned(Feed("all", settings.title, settings.subtitle, "all.atom", base + "all.atom", base, None, (),
                          unified=True, entry_count=len(stories), newest=chosen[0][1].updated if chosen else None),
                     chosen)]
    for slug in sorted(by_source):
        members = by_source[slug]
        chosen = described(newest(members, settings.max_entries))
        source = settings.source_by_slug(slug)
        name = source.name if source else chosen[0][1].source_name
        homepage = (source.homepage if source else None) or base
        language = source.language if source else None
        plans.append(Planned(Feed(slug, name, f"{name}, cleaned and re-published by feedsvc", f"sources/{slug}.atom",
                                  f"{base}sources/{slug}.atom", homepage, language, (), entry_count=len(members),
                                  newest=chosen[0][1].updated), chosen))
    return plans


def feed_digest(planned: Planned, source_feeds: dict[str, tuple[str, str]], fingerprint: str) -> str:
    """Everything a feed's bytes depend on (the fingerprint stands for the cleaned contents): when it is
    unchanged, the feed need not be rendered again."""
    feed = planned.feed
    digest = hashlib.sha256(repr((__version__, fingerprint, feed, source_feeds if feed.unified else None)).encode())
    for story, meta in planned.stories:
        digest.update(repr((meta, story.newest.digest, story.newest.n)).encode())
    return digest.hexdigest()
