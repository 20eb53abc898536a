"""Every feed document that changed, rendered in every format and variant; the others are kept as published.

A document is rendered again only when its digest (`plan.document_digest`) differs from the one it was last
published with, or one of its files is missing. Entries (metadata and cleaned content) are read only for the
documents that are rendered, a group at a time: the documents of one period (the unified feed's and its
sources'), or the subscription documents, share most of their stories, so each group reads its stories once
and builds each entry once per format (`memo.Memo`). Many documents at once (a cold run) are rendered in
worker processes (`output.workers`), a group per task; a few, here.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from feedsvc import __version__
from feedsvc.images.policy import ImagePolicy
from feedsvc.model import Entry, Feed, Story
from feedsvc.output.jsonfeed import JSON, render_json
from feedsvc.output.memo import Memo
from feedsvc.output.pages import render_period
from feedsvc.output.plan import RENDERER_VERSION, FeedPlan, Planned, document_digest
from feedsvc.output.story import Navigator, Shown, StoryNav, render_story
from feedsvc.output.syndication import ATOM, RSS, render_atom, render_rss
from feedsvc.output.variants import transforms
from feedsvc.stories.group import order_key

FORMATS: dict[str, tuple[str, Callable[[Feed, Memo | None], bytes]]] = {
    "atom": (ATOM, render_atom),
    "rss": (RSS, render_rss),
    "json": (JSON, render_json),
}
"""Format name -> (file extension, renderer). A renderer's second argument is what the renderers made of the
entries for other documents of the same group (None: remember nothing)."""
ORIGIN = ImagePolicy()
"""Images published at their origin URLs (the default `image_mode`)."""
Read = Callable[[Sequence[Story]], Mapping[Story, Entry]]
"""Reads the published entries of stories (`Cache.published_entries`)."""


@dataclass(frozen=True)
class PeriodPage:
    """What a document's listing page (a feed's newest stories, or an archive period's) links to besides its
    stories."""

    name: str
    archive_url: str | None
    newer: tuple[str, str] | None
    older: tuple[str, str] | None


Navs = Mapping[str, tuple[StoryNav, ...]]
"""Document stem -> the story pages rendered with it (`story.Navigator.pages_for`)."""


class DocumentRenderer:
    """Renders one document in every format and variant, with its period page: all a worker process needs."""

    def __init__(self, formats: tuple[str, ...], variants: tuple[str, ...], languages: Mapping[str, str | None],
                 pages: Mapping[str, PeriodPage], images: ImagePolicy = ORIGIN, site_title: str = "") -> None:
        self.formats = formats
        self.images = images
        self.site_title = site_title
        self.navs: Navs = {}
        self.languages = dict(languages)
        self.transforms = transforms(variants, self.languages)
        self.pages = pages

    def with_pages(self, pages: Mapping[str, PeriodPage], navs: Navs | None = None) -> DocumentRenderer:
        """The same renderer (its converters and what they remember) for documents with these listing pages and
        story pages."""
        other = copy.copy(self)
        other.pages = pages
        other.navs = navs or {}
        return other

    def paths(self, feed: Feed) -> list[str]:
        """Every file the document `feed` (entries not needed) is published as."""
        stems = [feed.stem, *(v.stem for v in (t(feed) for t in self.transforms) if v is not None)]
        paths = [stem + FORMATS[name][0] for stem in stems for name in self.formats]
        return paths + ([feed.stem + ".html"] if feed.stem in self.pages else [])

    def prepare(self, entry: Entry) -> Entry:
        """`entry` as every format publishes it: with a language (its own script where its text showed one, else
        its source's, if declared) and its images' URLs as the image policy publishes them."""
        slug = entry.meta.source_slug
        if entry.article:
            html = entry.content_utf8
            article = self.images.rewrite(html, slug)
            if article is not html:
                entry = replace(entry, article=article)
        if entry.meta.language is not None or not self.languages.get(slug):
            return entry
        return replace(entry, meta=replace(entry.meta, language=self.languages[slug]))

    def render(self, feed: Feed, built: Memo | None = None) -> Iterator[tuple[str, bytes]]:
        """(path, bytes) of every file of the document `feed`, its entries read; `built`: what the renderers made
        of its entries for other documents of its group."""
        entries = tuple(self.prepare(entry) for entry in feed.entries)
        if any(new is not old for new, old in zip(entries, feed.entries, strict=True)):
            feed = replace(feed, entries=entries)
        return self._render_prepared(feed, built)

    def _render_prepared(self, feed: Feed, built: Memo | None) -> Iterator[tuple[str, bytes]]:
        """`render`, of entries `prepare` made already (preparing twice would sign a signed image URL)."""
        page = self.pages.get(feed.stem)
        if page is not None:
            yield feed.stem + ".html", render_period(feed, feed.entries, page.name, page.archive_url,
                                                     (page.newer, page.older), built, self.languages,
                                                     feed.url("index", ".html"), self.site_title)
        for version in [feed, *(t(feed) for t in self.transforms)]:
            if version is None:
                continue
            for name in self.formats:
                extension, render = FORMATS[name]
                yield version.stem + extension, render(version, built)

    def render_group(self, group: Sequence[Planned], read: Read) -> Iterator[tuple[str, bytes]]:
        """(path, bytes) of every file of a group of documents (`in_groups`): their stories read at once, each
        entry built once per format."""
        entries = {story: self.prepare(entry)
                   for story, entry in read([story for planned in group for story in planned.stories]).items()}
        built: Memo = {}
        for planned in group:
            yield from self._render_prepared(replace(planned.feed, entries=tuple(entries[s] for s in planned.stories)),
                                             built)
        yield from self._story_pages(group, entries, read)

    def _story_pages(self, group: Sequence[Planned], entries: dict[Story, Entry], read: Read,
                     ) -> Iterator[tuple[str, bytes]]:
        """The story pages rendered with a group's documents (`navs`), their neighbours read as well."""
        navs = [nav for planned in group for nav in self.navs.get(planned.feed.stem, ())]
        if not navs:
            return
        missing = sorted({s for nav in navs for s in nav.neighbours() if s not in entries}, key=order_key)
        if missing:
            entries.update((story, self.prepare(entry)) for story, entry in read(missing).items())
        for nav in navs:
            entry = entries.get(nav.story)
            if entry is not None:
                yield render_story(entry, nav, entries, self.site_title, self.languages)


@dataclass
class Rendered:
    sink: Callable[[str, bytes], None]
    """Where each rendered file goes (`publish.Staging.add`): nothing is held in memory."""
    names: list[str] = field(default_factory=list)
    """Every file rendered this run (relative paths)."""
    kept: list[str] = field(default_factory=list)
    """Files whose document is unchanged: left as published."""
    digests: dict[str, str] = field(default_factory=dict)
    """Document stem -> digest, for the next run."""
    plans: dict[str, tuple[object, str]] = field(default_factory=dict)
    """Document stem (or page name) -> (what it was made from, its digest): `render_site`'s `remembered` for the
    next run in this process."""
    documents: int = 0
    rendered: int = 0

    def add(self, name: str, data: bytes) -> None:
        self.names.append(name)
        self.sink(name, data)


def in_rendering_order(plans: Iterable[FeedPlan]) -> list[Planned]:
    """Subscription documents first, then archive documents period by period (newest first), each period's
    documents of every feed side by side (the unified feed's first): `in_groups` cuts this list into groups that
    share stories."""
    plans = list(plans)
    archives = [(n, planned) for n, plan in enumerate(plans) for planned in plan.archives]
    archives.sort(key=lambda item: (_group_key(item[1]), -item[0]), reverse=True)
    return [plan.current for plan in plans] + [planned for _, planned in archives]


def _group_key(planned: Planned) -> str:
    return planned.period.name if planned.period is not None else ""


def in_groups(documents: Sequence[Planned]) -> list[list[Planned]]:
    """Documents in rendering order, cut where the period changes: a story of a group's documents is in its
    source's feed and in the unified feed, both in the group (when both feeds page that period alike)."""
    groups: list[list[Planned]] = []
    for planned in documents:
        if groups and _group_key(groups[-1][-1]) == _group_key(planned):
            groups[-1].append(planned)
        else:
            groups.append([planned])
    return groups


Parallel = Callable[[list[list[Planned]], Navs], list[str]]
"""Renders and stages many groups of documents elsewhere (worker processes); returns the paths it published."""
PARALLEL_DOCUMENTS = 24
"""Fewer documents to render than this are rendered here: starting workers would cost more."""


@dataclass(frozen=True)
class RenderRun:
    """What rendering one run's documents needs besides their plans."""

    sink: Callable[[str, bytes], None]
    """Where each rendered file goes (`publish.Staging.add`)."""
    renderer: DocumentRenderer
    previous: Mapping[str, str]
    """Document stem -> the digest the last completed run published it with."""
    exists: Callable[[str], bool]
    """Whether a file (relative path) is still published."""
    read: Read
    """The entries of stories, from the cache."""
    fingerprint: str
    parallel: Parallel | None = None
    """Renders groups of documents in worker processes, for a run with many."""
    remembered: Mapping[str, tuple[object, str]] | None = None
    """The `Rendered.plans` of the last run in this process."""
    navigator: Navigator | None = None
    """Where each story stands, for the story pages (None: no story pages)."""
    shown: Shown | None = None
    """Story id -> what its page showed when last written (`story.page_key`), kept in the cache: only the pages
    that show something else are rendered again, and what each shows now is recorded in it. None: every page of
    the documents rendered."""


def render_documents(plans: Iterable[FeedPlan], run: RenderRun, digest_extra: tuple[object, ...]) -> Rendered:
    """Render every document of `plans` whose digest changed (`digest_extra`: the output settings the renderers
    read). `run.remembered` is the `Rendered.plans` of the last run in this process: a document planned exactly as
    then keeps its digest without hashing its stories again, and its files, published by that run, are not
    looked for."""
    sink, renderer, previous, exists, read, fingerprint = (run.sink, run.renderer, run.previous, run.exists,
                                                            run.read, run.fingerprint)
    parallel, remembered = run.parallel, run.remembered
    done = Rendered(sink)
    todo: list[Planned] = []
    for planned in in_rendering_order(plans):
        done.documents += 1
        stem = planned.feed.stem
        inputs = (planned, fingerprint, digest_extra)
        last = remembered.get(stem) if remembered else None
        same = last is not None and last[0] == inputs
        digest = last[1] if last is not None and same else document_digest(planned, fingerprint, *digest_extra)
        done.digests[stem] = digest
        done.plans[stem] = (inputs, digest)
        paths = renderer.paths(planned.feed)
        if previous.get(stem) == digest and (same or all(exists(p) for p in paths)):
            done.kept.extend(paths)
        else:
            todo.append(planned)
    done.rendered = len(todo)
    context = hashlib.blake2b(repr((__version__, RENDERER_VERSION, fingerprint, digest_extra, renderer.images.identity,
                                    renderer.site_title, tuple(sorted(renderer.languages.items())))).encode(),
                              digest_size=16).digest()  # what every page reads besides its stories, digested once
    navs = run.navigator.pages_for(todo, run.shown, context) if run.navigator is not None else {}
    if parallel is not None and len(todo) >= PARALLEL_DOCUMENTS:
        done.names.extend(parallel(in_groups(todo), navs))
        return done
    renderer = renderer.with_pages(renderer.pages, navs)
    for group in in_groups(todo):
        for name, data in renderer.render_group(group, read):
            done.add(name, data)
    return done
