"""The data behind `feedsvc rules`: each source's cleaned articles, recorded rule removals and learned blocks from
the cache, and, where the cache cannot tell (rules changed since the last run, candidate rules, classes before
cleaning), the source's own seeds, parsed and cleaned in memory: only the seeds the cache places in that source,
so a command costs the sources it looks at, never the archive once per source. The sources are those of the
configuration and those feedsvc derived from the archive's links. Writes nothing."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from feedsvc.clean.article import visible_text_of
from feedsvc.clean.blocks import Block, blocks, classed
from feedsvc.errors import ConfigError, SeedReadError
from feedsvc.ingest.parse import parse_seed
from feedsvc.ingest.scan import read_seed, scan
from feedsvc.ingest.work import process
from feedsvc.links import link_key
from feedsvc.model import CleanRules, Source
from feedsvc.pipeline import fingerprint, learning_of, make_job
from feedsvc.rules.audit import Removals, RuleReport, audit
from feedsvc.rules.suggest import Suggestion, suggest
from feedsvc.settings import Settings
from feedsvc.state.cache import IN_MEMORY, REMOVAL_SAMPLE, Cache
from feedsvc.state.index import Index
from feedsvc.stories.boilerplate import keys_of
from feedsvc.text import plain_text

RULE_KEYS = ("drop_selectors", "drop_xpaths", "drop_paragraphs", "strip_text")


@dataclass(frozen=True)
class Article:
    key: str
    cleaned: str
    removals: Removals
    raw: str = ""
    title: str = ""


def rules_of(rules: CleanRules) -> list[tuple[str, str]]:
    return [(key, pattern) for key in RULE_KEYS for pattern in getattr(rules, key)]


def _open(settings: Settings) -> Cache:
    database = settings.state_dir / "cache.sqlite"
    return Cache.open(database if database.exists() else IN_MEMORY)


def _from_cache(settings: Settings, source: Source) -> list[Article]:
    with _open(settings) as cache:
        rows = cache.source_entries(source.slug, fingerprint(settings))
    return [Article(key, content, removals, title=title) for key, content, removals, title in rows]


def _from_seeds(settings: Settings, source: Source, now: datetime, *, clean: bool = True) -> Iterator[Article]:
    """Every article of `source` from its seeds (those the cache places in the source; every seed when the cache
    knows no source at all), parsed and, with `clean`, cleaned under `settings`."""
    with _open(settings) as cache:
        paths = cache.source_seeds(source.slug)
        if not paths and cache.sources():
            return  # the cache knows the archive's sources, and this one has no seed
    found = scan(settings.seeds_dir).files
    job = make_job(settings, now)
    for path in paths or sorted(found):
        seed = found.get(path)
        if seed is None:
            continue
        try:
            data = read_seed(settings.seeds_dir, seed, settings.max_seed_bytes)
        except SeedReadError:
            continue
        raws = parse_seed(data, path, seed.modified, job.ctx).entries
        if not clean:
            yield from (Article(link_key(r.meta.link), "", (), r.html, r.meta.title) for r in raws
                        if r.meta.source_slug == source.slug)
            continue
        outcome = process(job, data, path, hashlib.sha256(data).hexdigest(), seed.modified)
        for entry, raw in zip(outcome.entries, raws, strict=False):
            if entry.meta.source_slug == source.slug:
                removals = [(r.kind, len(r.text), r.text[:REMOVAL_SAMPLE]) for r in entry.removed]
                yield Article(link_key(entry.meta.link), entry.content, removals, raw.html, entry.meta.title)


def _one_per_story(articles: list[Article]) -> list[Article]:
    chosen: dict[str, Article] = {}
    for article in articles:
        chosen.setdefault(article.key, article)
    return list(chosen.values())


def suggestions(settings: Settings, source: Source, now: datetime, *, min_share: float) -> list[Suggestion]:
    """Boilerplate candidates for `source`: paragraphs from the cache's cleaned articles (the seeds cleaned again
    only when the cache holds nothing for today's rules), classes from the seeds' HTML before cleaning (parsed,
    not cleaned)."""
    cached = _one_per_story(_from_cache(settings, source))
    if cached:
        raws = {a.key: a.raw for a in _from_seeds(settings, source, now, clean=False)}
        articles = [replace(a, raw=raws.get(a.key, "")) for a in cached]
    else:
        articles = _one_per_story(list(_from_seeds(settings, source, now)))
    cleaned = [blocks(a.cleaned) for a in articles]
    raw: list[list[Block]] = [classed(a.raw) for a in articles]
    return suggest(cleaned, raw, min_share=min_share, titles=[a.title for a in articles])


def rule_reports(settings: Settings, source: Source, now: datetime,
                 candidates: list[tuple[str, str]]) -> tuple[list[RuleReport], bool]:
    """What each rule of `source` (and each candidate) removes; and whether the cache answered (False: the seeds
    were cleaned again, because of candidates or because the cache holds nothing for today's rules)."""
    rules = source.rules
    for key, pattern in candidates:
        extended: dict[str, Any] = {key: (*getattr(rules, key), pattern)}
        rules = replace(rules, **extended)
    tested = replace(settings, sources=tuple(replace(s, rules=rules) if s.slug == source.slug else s
                                             for s in settings.sources))
    articles = [] if candidates else _from_cache(settings, source)
    cached = bool(articles)
    if not cached:
        articles = list(_from_seeds(tested, source, now))
    remaining = [(len(visible_text_of(a.cleaned)), a.removals) for a in articles]
    return audit(rules_of(rules), remaining), cached


@dataclass(frozen=True)
class LearnedBlock:
    """A block a source's stories taught (`stories.boilerplate`), as `rules test` shows it."""

    text: str
    articles: int
    """Stories of the source it is cut from."""
    total: int


def learned_blocks(settings: Settings, chosen: list[Source]) -> dict[str, list[LearnedBlock]]:
    """The blocks each of `chosen` learned from the stories the cache holds, most frequent first (the story
    index is loaded once for all of them)."""
    database = settings.state_dir / "cache.sqlite"
    if not database.exists():
        return {source.slug: [] for source in chosen}
    prints = fingerprint(settings)
    found: dict[str, list[LearnedBlock]] = {}
    with Cache.open(database) as cache:
        index = Index.load(cache, prints, learning_of(settings))
        for source in chosen:
            stories = index.ordered.get(source.slug, [])
            counts: Counter[bytes] = Counter()
            examples: dict[bytes, str] = {}
            for story in stories:
                keys = set(keys_of(story.cut))
                counts.update(keys)
                if keys - examples.keys():
                    for key, markup in cache.learned_blocks(story.newest, prints):
                        examples.setdefault(key, plain_text(markup))
            found[source.slug] = sorted((LearnedBlock(examples.get(key, ""), n, len(stories))
                                         for key, n in counts.items()), key=lambda b: (-b.articles, b.text))
    return found


def sources(settings: Settings, slug: str | None) -> list[Source]:
    """The sources `rules` looks at: the one named `slug` (configured, or derived by feedsvc from the archive's
    links), or every source the cache holds stories of, configured ones first."""
    with _open(settings) as cache:
        known = cache.sources()
    configured = {s.slug: s for s in settings.sources}
    if slug is not None:
        if slug in configured:
            return [configured[slug]]
        if slug in known:
            return [Source(slug, known[slug])]
        raise ConfigError(settings.config_path, f"sources.{slug}",
                          "no such source in the configuration or in the archive's cache (a new archive: run "
                          "`feedsvc regenerate` first)")
    if not known:
        raise ConfigError(settings.config_path, "state_dir",
                          f"the cache in {settings.state_dir} holds no stories: run `feedsvc regenerate` first "
                          "(rules read what it cleaned), or name one source with --source")
    return [*(s for s in settings.sources if s.slug in known),
            *(Source(s, known[s]) for s in sorted(known) if s not in configured)]
