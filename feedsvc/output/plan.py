"""Which feed documents to publish and which stories each holds, and a digest per document that says whether it
must be rendered again. Pure: works on story versions; metadata is read later, only for documents to render.

Documents: the unified feed, then one feed per source in slug order; with archives on, each feed's subscription
document is followed by its archive documents (RFC 5005), newest first.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from feedsvc import __version__
from feedsvc.model import Feed, Story
from feedsvc.output.archive import Period, moment, paginate
from feedsvc.output.listing import ARCHIVE_DIR
from feedsvc.settings import Settings
from feedsvc.stories.group import newest
from feedsvc.stories.sources import SourceCatalog

_FEED_NAMESPACE = uuid.UUID("6f1c2b7e-59a4-5d0e-9a57-4a0b8f3c2d10")


@functools.lru_cache(maxsize=4096)  # the unified feed names its entries' source feeds, entry by entry
def feed_id(slug: str, variant_dir: str = "") -> str:
    """A feed's permanent id: derived from its slug (and variant) alone, so it survives a move to another base
    URL."""
    return f"urn:uuid:{uuid.uuid5(_FEED_NAMESPACE, f'{variant_dir}/{slug}' if variant_dir else slug)}"


def archive_stem(stem: str, period: str) -> str:
    return f"{ARCHIVE_DIR}/{stem}/{period}"


@dataclass(frozen=True)
class Planned:
    """A feed document (its entries not read yet) and its stories, newest first."""

    feed: Feed
    stories: tuple[Story, ...]
    period: Period | None = None
    """For an archive document: the period it spans."""
    before: Story | None = None
    """The story just newer than this document's newest, in the same feed (the last of the newer document)."""
    after: Story | None = None
    """The story just older than this document's oldest (the first of the older document): with `before`, what
    the pages of the document's first and last stories show as their neighbours."""


@dataclass(frozen=True)
class FeedPlan:
    """One feed: its subscription document and its archive documents, newest first."""

    current: Planned
    archives: tuple[Planned, ...] = ()

    @property
    def documents(self) -> tuple[Planned, ...]:
        return (self.current, *self.archives)


def base_url(settings: Settings) -> str:
    return settings.base_url if settings.base_url.endswith("/") else settings.base_url + "/"


def _source_feed(settings: Settings, catalog: SourceCatalog, slug: str, example: Story) -> Feed:
    source = settings.source_by_slug(slug) or catalog.for_link("https://" + example.newest.key)
    base = base_url(settings)
    return Feed(slug, source.name, f"{source.name}, cleaned and re-published by feedsvc", f"sources/{slug}", base,
                source.homepage or base, source.language, (), id=feed_id(slug))


def _with_archives(settings: Settings, feed: Feed, ordered: Sequence[Story]) -> FeedPlan:
    feed = replace(feed, entry_count=len(ordered), newest=moment(ordered[0].newest.updated) if ordered else None,
                   hubs=settings.websub_hubs)
    if not settings.archives:
        return FeedPlan(Planned(feed, tuple(ordered[:settings.max_entries])))
    current, periods = paginate(ordered, settings.max_entries, settings.archive_split_entries)
    stems = [archive_stem(feed.stem, p.name) for p in periods]
    runs = [current, *(p.stories for p in periods)]
    edges = [(runs[n - 1][-1] if n and runs[n - 1] else None,
              runs[n + 1][0] if n + 1 < len(runs) and runs[n + 1] else None) for n in range(len(runs))]
    archives = tuple(  # no hub: an archive document is not subscribed to
        Planned(replace(feed, stem=stems[n], current=feed.stem, hubs=(),
                        prev_archive=stems[n + 1] if n + 1 < len(stems) else None,
                        next_archive=stems[n - 1] if n else None, entry_count=len(period.stories),
                        newest=moment(period.stories[0].newest.updated)), period.stories, period, *edges[n + 1])
        for n, period in enumerate(periods))
    return FeedPlan(Planned(replace(feed, prev_archive=stems[0] if stems else None), current, None, *edges[0]),
                    archives)


def plan_feeds(settings: Settings, stories: Iterable[Story], unified_stories: Iterable[Story] | None = None,
               topics: Mapping[str, Sequence[Story]] | None = None) -> list[FeedPlan]:
    """The unified feed (of `unified_stories`, by default all), then one feed per source in slug order, then one
    per topic (`topics`: slug -> its stories) in slug order."""
    ordered = newest(stories, None)
    by_source: dict[str, list[Story]] = {}
    for story in ordered:
        by_source.setdefault(story.source_slug, []).append(story)
    plans = plan_ordered(settings, ordered if unified_stories is None else newest(unified_stories, None), by_source)
    base = base_url(settings)
    for topic in sorted(settings.topics, key=lambda t: t.slug):
        feed = Feed(topic.slug, topic.title, f"{topic.title}: stories from every source, chosen by its rules",
                    f"topics/{topic.slug}", base, f"{base}topics/{topic.slug}.html", None, (),
                    id=feed_id(topic.slug, "topics"), topic=True)
        plans.append(_with_archives(settings, feed, newest((topics or {}).get(topic.slug, ()), None)))
    return plans


def plan_ordered(settings: Settings, unified_stories: Sequence[Story], by_source: Mapping[str, Sequence[Story]],
                 ) -> list[FeedPlan]:
    """The same, of stories already ordered newest first (`group.order_key`): the unified feed's, and each
    source's."""
    catalog = SourceCatalog(settings.sources)
    base = base_url(settings)
    unified = Feed("all", settings.title, settings.subtitle, "all", base, base, None, (), id=feed_id("all"),
                   unified=True)
    plans = [_with_archives(settings, unified, unified_stories)]
    for slug in sorted(by_source):
        members = by_source[slug]
        if members:
            plans.append(_with_archives(settings, _source_feed(settings, catalog, slug, members[0]), members))
    return plans


RENDERER_VERSION = "6"
"""Raised whenever the renderers write other bytes for the same stories (2: RSS titles and descriptions escaped
as HTML; 3: story pages, listings from templates; 4: a story page says when the archive holds no text of its
story; 5: a story page's own words are marked English; 6: pages' `<time datetime>` in whole seconds, as HTML
allows no more than three digits of a second), so that every document published by an earlier version
is rendered again."""


def document_digest(planned: Planned, fingerprint: str, *extra: object) -> str:
    """Everything a document's bytes depend on: the code, the cleaning fingerprint (which stands for every cached
    entry's contents), the feed's own values and links, each story's versions, and `extra` (the output settings
    the renderers read). When it is unchanged, the document need not be rendered again."""
    digest = hashlib.sha256(repr((__version__, RENDERER_VERSION, fingerprint, planned.feed, extra)).encode())
    # A story renders from its newest version (content and fields, less the blocks its source learned to cut) and
    # its oldest (the `published` date); each version stands for its cached entry, which the fingerprint pins.
    digest.update("".join(f"{s.newest.digest}{s.newest.n}.{s.oldest.digest}{s.oldest.n}{s.cut.hex()}|"
                          for s in planned.stories).encode())
    for edge in (planned.before, planned.after):  # the neighbours the story pages at either end show
        digest.update(f"<{edge.newest.digest}{edge.newest.n}>".encode() if edge else b"<>")
    return digest.hexdigest()
