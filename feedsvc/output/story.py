"""A page per story: the cleaned article as the feeds carry it, its title, source, author, dates and categories,
the original as a secondary link, and the stories next to it in the unified feed and in its source's feed. Pure.

Where each story stands is told by the plans (`Navigator`): a story's page is rendered with the unified feed's
document that holds it (or, for a story the unified feed leaves out, its source's), and again whenever the source's
document that holds it is rendered while that one is not, so a page changes when anything it shows changes: the
story itself, its neighbours in either feed (each document's plan names the stories just outside it), or the listing
that holds it. A page whose bytes are unchanged is not written again (`publish.stage_file`).
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from feedsvc import __version__
from feedsvc.model import Entry, Story
from feedsvc.output.body import entry_html, has_text
from feedsvc.output.pages import story_page
from feedsvc.output.plan import FeedPlan, Planned
from feedsvc.output.templates import Markup, render
from feedsvc.stories.group import order_key
from feedsvc.text import display


class Shown(Protocol):
    """Story id -> the `page_key` of what its page showed when last written (a dict will do)."""

    def get(self, story_id: str, /) -> bytes | None: ...

    def __setitem__(self, story_id: str, key: bytes, /) -> None: ...


NEWEST = "newest stories"
"""The name of a feed's subscription document's listing page."""
_LAZY = "<img "
_LAZY_IMG = '<img loading="lazy" decoding="async" referrerpolicy="no-referrer" '



@dataclass(frozen=True)
class StoryNav:
    """Where a story stands: the listing page that holds it (stem, name), its neighbours newest-first in the
    unified feed and in its source's feed (None at either end, or outside the unified feed)."""

    story: Story
    listing: tuple[str, str]
    newer: Story | None = None
    older: Story | None = None
    source_newer: Story | None = None
    source_older: Story | None = None

    def neighbours(self) -> tuple[Story, ...]:
        return tuple(s for s in (self.newer, self.older, self.source_newer, self.source_older) if s is not None)


class _Feed:
    """One feed's documents, newest first, and where each ends (for bisection)."""

    def __init__(self, documents: Sequence[Planned]) -> None:
        self.documents = [d for d in documents if d.stories]
        self.ends = [order_key(d.stories[-1]) for d in self.documents]

    def locate(self, story: Story) -> tuple[int, int] | None:
        key = order_key(story)
        at = bisect.bisect_left(self.ends, key)
        if at == len(self.documents):
            return None
        stories = self.documents[at].stories
        position = bisect.bisect_left(stories, key, key=order_key)
        while position < len(stories) and stories[position] is not story and order_key(stories[position]) == key:
            position += 1
        if position == len(stories) or stories[position] != story:
            return None
        return at, position

    def neighbours(self, where: tuple[int, int]) -> tuple[Story | None, Story | None]:
        document, position = where
        stories = self.documents[document].stories
        newer = stories[position - 1] if position else (
            self.documents[document - 1].stories[-1] if document else None)
        older = stories[position + 1] if position + 1 < len(stories) else (
            self.documents[document + 1].stories[0] if document + 1 < len(self.documents) else None)
        return newer, older


def _listing(planned: Planned) -> tuple[str, str]:
    return planned.feed.stem, planned.period.name if planned.period is not None else NEWEST


class Navigator:
    """Where every story stands in the feeds of one run's plans (the unified feed's first)."""

    def __init__(self, plans: Sequence[FeedPlan]) -> None:
        self.unified = _Feed(plans[0].documents) if plans and plans[0].current.feed.unified else _Feed(())
        self._plans = {plan.current.feed.slug: plan for plan in plans
                       if not plan.current.feed.unified and not plan.current.feed.topic}
        self._sources: dict[str, _Feed] = {}

    def _source(self, slug: str) -> _Feed:
        feed = self._sources.get(slug)
        if feed is None:
            plan = self._plans.get(slug)
            feed = self._sources[slug] = _Feed(plan.documents if plan else ())
        return feed

    def in_unified(self, story: Story) -> Planned | None:
        """The unified feed's document that holds `story`, if one does."""
        where = self.unified.locate(story)
        return self.unified.documents[where[0]] if where else None

    def nav(self, story: Story) -> StoryNav | None:
        """Where `story` stands, None when no feed holds it."""
        source = self._source(story.source_slug)
        in_source = source.locate(story)
        in_unified = self.unified.locate(story)
        if in_unified is None and in_source is None:
            return None
        newer, older = self.unified.neighbours(in_unified) if in_unified else (None, None)
        source_newer, source_older = source.neighbours(in_source) if in_source else (None, None)
        holder = self.unified.documents[in_unified[0]] if in_unified else \
            source.documents[in_source[0]] if in_source else None
        assert holder is not None
        return StoryNav(story, _listing(holder), newer, older, source_newer, source_older)

    def pages_for(self, documents: Iterable[Planned], shown: Shown | None = None,
                  context: object = None) -> dict[str, tuple[StoryNav, ...]]:
        """Document stem -> the story pages to render with it, for the documents a run renders: every story of a
        unified feed's document; the stories of a source's document that no unified document being rendered
        holds (the unified feed left them out, or its document did not change). With `shown` (story id -> the
        `page_key` of what its page last showed, kept in the cache from run to run and updated here), only the
        pages whose story, neighbours, listing or `context` changed: a new story changes a few pages of the
        documents it changes."""
        documents = list(documents)
        rendered = {d.feed.stem for d in documents if d.feed.unified}
        pages: dict[str, tuple[StoryNav, ...]] = {}
        for planned in documents:
            if planned.feed.topic:
                continue  # its stories have their pages with their own feeds
            if planned.feed.unified:
                chosen: Iterable[Story] = planned.stories
            else:
                chosen = [s for s in planned.stories
                          if (holder := self.in_unified(s)) is None or holder.feed.stem not in rendered]
            navs = tuple(nav for story in chosen if (nav := self.nav(story)) is not None)
            if shown is not None:
                navs = tuple(nav for nav in navs if _changed(shown, nav, context))
            if navs:
                pages[planned.feed.stem] = navs
        return pages


def _version(story: Story | None) -> tuple[str, int, str, int, bytes] | None:
    return (story.newest.digest, story.newest.n, story.oldest.digest, story.oldest.n, story.cut) \
        if story is not None else None


def page_key(nav: StoryNav, context: object) -> bytes:
    """What the page of `nav`'s story shows, as 16 bytes: the story and its neighbours (each version stands for its
    cached entry, which the fingerprint in `context` pins), its listing, and `context` (the code, the settings the
    page reads). Stable from process to process: it is kept in the cache."""
    key = (context, nav.listing, *(_version(s) for s in (nav.story, nav.newer, nav.older, nav.source_newer,
                                                        nav.source_older)))
    return hashlib.blake2b(repr(key).encode(), digest_size=16).digest()


def _changed(shown: Shown, nav: StoryNav, context: object) -> bool:
    """Whether the page of `nav`'s story shows something else than it last did (and remember what it shows)."""
    key = page_key(nav, context)
    story_id = nav.story.newest.id
    if shown.get(story_id) == key:
        return False
    shown[story_id] = key
    return True


def _with_lazy_images(html: str) -> Markup:
    """The article with its images loaded lazily and fetched without a referrer."""
    return Markup(html.replace(_LAZY, _LAZY_IMG))


def render_story(entry: Entry, nav: StoryNav, others: Mapping[Story, Entry], site_title: str,
                 languages: Mapping[str, str | None]) -> tuple[str, bytes]:
    """(path, bytes) of the page of `entry` (prepared as the feeds publish it), standing where `nav` says;
    `others` holds the entries of its neighbours."""
    meta = entry.meta
    page = story_page(meta.id)
    up = "../" * page.count("/")

    def link(story: Story | None) -> tuple[str, str, str | None] | None:
        other = others.get(story) if story is not None else None
        if other is None:
            return None
        return display(other.meta.title), up + story_page(other.meta.id), other.meta.language

    source = display(meta.source_name)
    updated = meta.updated if (meta.updated - meta.published).total_seconds() >= 60 else None
    return page, render(
        "story", title=f"{display(meta.title)} · {source}", version=__version__, site_title=display(site_title),
        root=up,
        headline=display(meta.title), lang=meta.language, source=source,
        source_lang=languages.get(meta.source_slug), source_page=f"{up}sources/{meta.source_slug}.html",
        index=f"{up}index.html", listing=(nav.listing[1], up + nav.listing[0] + ".html"),
        author=display(meta.author) if meta.author else None, categories=[display(c) for c in meta.categories],
        published=f"{meta.published:%Y-%m-%d %H:%M} UTC", published_iso=meta.published.isoformat(timespec="seconds"),
        updated=f"{updated:%Y-%m-%d %H:%M} UTC" if updated else None,
        updated_iso=updated.isoformat(timespec="seconds") if updated else None,
        content=_with_lazy_images(entry_html(entry)) if has_text(entry) else None,  # else: a note
        link=meta.link, host=urlsplit(meta.link).hostname or meta.link,
        neighbours=[("all sources", link(nav.newer), link(nav.older)),
                    (source, link(nav.source_newer), link(nav.source_older))],
        alternates=[(source, "application/atom+xml", f"{up}sources/{meta.source_slug}.atom"),
                    (display(site_title), "application/atom+xml", f"{up}all.atom")])
