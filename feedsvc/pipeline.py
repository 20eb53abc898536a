"""`regenerate(settings, now, options)`: the whole flow, top to bottom. The commands and the daemon all call it.

    scan -> triage -> process -> merge -> plan -> render -> publish -> save

Only new or changed seeds are parsed and cleaned (the cache remembers the rest; a cold run cleans in parallel
processes); only feeds whose stories changed are rendered; only files whose bytes changed are written. `check` is
the same flow with a cache in memory and no publish.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from feedsvc import __version__
from feedsvc.errors import CacheError, Cancelled, OutputError, SeedsUnavailableError
from feedsvc.images.key import proxy_key
from feedsvc.images.policy import ImagePolicy, image_policy
from feedsvc.ingest.scan import ScanResult, scan
from feedsvc.model import Dropped, Entry, EntryMeta, Feed, SeedFile, SeedProblem, SourceStatus, Story, Version
from feedsvc.output.listing import STORIES_DIR, Listing
from feedsvc.report import Report
from feedsvc.settings import Settings, check_rules, cleaning_values, output_values
from feedsvc.state.cache import IN_MEMORY, SCHEMA_VERSION, Cache, RunState, set_aside
from feedsvc.system.lock import exclusive
from feedsvc.system.memory import cycles_collected_after, keep_freed_memory, keep_out_of_collections
from feedsvc.versions import CLEANER_VERSION, PARSER_VERSION

if TYPE_CHECKING:  # every stage past the scan is imported by the runs that use it: most runs find nothing to do
    from feedsvc.ingest.pool import WorkerPool
    from feedsvc.ingest.triage import Triage
    from feedsvc.ingest.work import Job
    from feedsvc.output.documents import Rendered
    from feedsvc.output.plan import FeedPlan, Planned
    from feedsvc.output.publish import Staging
    from feedsvc.output.workers import RenderJob
    from feedsvc.state.index import Changes, Index, Memory
    from feedsvc.state.pages import ShownPages
    from feedsvc.stories.boilerplate import Learning
    from feedsvc.stories.filters import Judged

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
FEED_EXTENSIONS = (".atom", ".rss", ".json")
"""The extensions of `output.documents.FORMATS` (a test holds them equal)."""
_PRUNED = ("sources", "topics", "archive", "zh-hans", "zh-hant")
"""Folders whose files that are no longer published are removed (a source gone, a period re-paged, a variant
turned off)."""
STAGING_MARK = "staging"
"""A file in the state directory while a run stages files: found by the next run, it means a run was killed before
it could rename or remove its temporary files, which may lie in any folder of the output (a story page's among
them): the next run sweeps the whole output directory once, where a run otherwise clears only the folders it
writes to."""
COMPILED_TEMPLATES = "templates"
"""The state directory's folder of compiled page templates (`output.templates.keep_compiled`)."""
_STORE_BATCH = 32
"""Cleaned outcomes are stored a few dozen at a time: one transaction each, and little lost to a kill."""


@dataclass(frozen=True)
class RunOptions:
    """How to run: `force` publishes even when the seeds directory shrank; `dry_run` writes nothing anywhere (the
    cache lives in memory); `rehash` reads every seed again even when its size and mtime say it is unchanged,
    and looks for every published file (documents whose stories did not change are still not rendered again);
    `found` is a scan the caller has just made (the daemon's), used instead of scanning again; `memory` keeps the
    story index from one run to the next (the daemon's), so that a run reads only the seeds `found` names as
    changed."""

    force: bool = False
    dry_run: bool = False
    rehash: bool = False
    progress: Progress | None = None
    cancel: threading.Event | None = None
    found: ScanResult | None = None
    memory: Memory | None = None
    search_building: bool = False
    """The daemon is building the search index again: put in what this run changes, though it is stale."""


def fingerprint(settings: Settings) -> str:
    """Changes whenever parsing or cleaning would give other results: code versions and the settings they read."""
    parts = [__version__, PARSER_VERSION, CLEANER_VERSION, SCHEMA_VERSION, *map(repr, cleaning_values(settings))]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def learning_of(settings: Settings) -> Learning:
    """How the run learns each source's boilerplate (`stories.boilerplate`)."""
    from feedsvc.stories.boilerplate import Learning

    return Learning(settings.learned_rules, settings.learned_rules_share, settings.learned_rules_min_stories)


def signature(settings: Settings, prints: str, found: ScanResult, images: ImagePolicy) -> str:
    """Changes whenever a run could publish something else: the fingerprint, the output settings, the image
    policy (its key included), every seed's path, size and mtime (`found.summary`)."""
    digest = hashlib.sha256(prints.encode())
    digest.update(repr((output_values(settings), images.identity)).encode())
    digest.update(f"{len(found.files)}\x00{found.summary:016x}".encode())
    return digest.hexdigest()


def make_job(settings: Settings, now: datetime) -> Job:
    from feedsvc.ingest.dates import DatePolicy
    from feedsvc.ingest.parse import ParseContext
    from feedsvc.ingest.work import Job
    from feedsvc.stories.sources import SourceCatalog

    catalog = SourceCatalog(settings.sources)
    policy = DatePolicy(now, timedelta(hours=settings.future_tolerance_hours),
                        timedelta(days=settings.url_date_tolerance_days))
    ctx = ParseContext(catalog, policy, frozenset(c.casefold() for c in settings.ignore_categories),
                       settings.max_seed_bytes)
    return Job(ctx, tuple((s.slug, s.rules) for s in settings.sources), settings.summary_chars,
               settings.unwrap_image_proxy, settings.seeds_dir)


def regenerate(settings: Settings, now: datetime, options: RunOptions | None = None) -> Report:
    """Bring the published feeds up to date with the seeds; returns what was done.

    Raises SeedsUnavailableError (missing seeds directory, or far fewer seeds than the last good run unless
    `options.force`), OutputError (nothing could be written; the previous files are intact) and Cancelled.
    """
    processes = sys.modules.get("multiprocessing")  # imported by a worker before the main module; a command that
    # has nothing to clean never imports it
    if processes is not None and getattr(processes.current_process(), "_inheriting", False):  # as it checks itself
        # A worker process is starting: it imports the caller's main module, which calls `regenerate` at its top
        # level; that call would wait forever for the lock the caller's own run holds.
        raise RuntimeError("regenerate() was called while a worker process was starting: a script that calls it "
                           "must do so under `if __name__ == \"__main__\":` (worker processes import the script)")
    options = options or RunOptions()
    if options.memory is None:  # a one-shot run: the process is the run's
        with cycles_collected_after():
            return _regenerate(settings, now, options)
    try:  # the daemon's: its HTTP server collects its cycles all along (`memory.keep_out_of_collections`)
        return _regenerate(settings, now, options)
    finally:
        keep_out_of_collections()


def _regenerate(settings: Settings, now: datetime, options: RunOptions) -> Report:
    started = time.monotonic()
    prints = fingerprint(settings)
    database = settings.state_dir / "cache.sqlite"
    if options.dry_run:  # on a copy of the cache: what earlier runs cleaned is reused, nothing is written
        if database.is_file():
            with exclusive(settings.state_dir):
                copy = Cache.copy_of(database)
        else:
            copy = Cache.open(IN_MEMORY)
        with copy as cache:
            return _unchanged_or_run(settings, now, cache, IN_MEMORY, options, started, prints,
                                     _images(settings, create=False))
    with exclusive(settings.state_dir):
        images = _images(settings, create=True)
        for attempt in (1, 2):
            try:
                with Cache.open(database) as cache:
                    return _unchanged_or_run(settings, now, cache, database, options, started, prints, images)
            except CacheError as exc:  # damage found mid-run: set the database aside, start afresh
                if attempt == 2:
                    raise OutputError(str(exc)) from None
                set_aside(database, exc)
    raise AssertionError("unreachable")


def _images(settings: Settings, *, create: bool) -> ImagePolicy:
    """The run's image policy; in `self` mode with its key (made in the state directory when `create`)."""
    key = proxy_key(settings.image_proxy_key, settings.state_dir, create=create) \
        if settings.image_mode == "self" else b""
    return image_policy(settings, key)


@dataclass(frozen=True)
class _Found:
    """What a run finds before it knows whether there is anything to do: the seeds, the last run's state, the
    image policy and the signature of this run."""

    seeds: ScanResult
    state: RunState
    images: ImagePolicy
    signature: str


def _unchanged_or_run(settings: Settings, now: datetime, cache: Cache, database: Path, options: RunOptions,
                      started: float, prints: str, images: ImagePolicy) -> Report:
    found = options.found or scan(settings.seeds_dir)
    state = cache.load_state()
    _refuse_shrinking(settings, found, state, options.force)
    looked = _Found(found, state, images, signature(settings, prints, found, images))
    unchanged = _unchanged(settings, cache, options, started, prints, looked)
    if unchanged is not None:
        return unchanged
    check_rules(settings)  # settings loaded with `rules=False` (`feedsvc regenerate`) are checked here
    with _worker_pool(settings, now, database, prints, images) as pool:
        return _run(settings, now, cache, pool, options, started, prints, looked)


def _unchanged(settings: Settings, cache: Cache, options: RunOptions, started: float, prints: str,
               looked: _Found) -> Report | None:
    """The report of a run that finds every seed and setting as the last run left them and every file still
    published (nothing to do: no worker, no parser, cleaner or renderer is even imported), or None."""
    state = looked.state
    if options.rehash or state.signature != looked.signature or state.fingerprint != prints or \
            not _all_exist(settings.output_dir, state.outputs):
        return None
    learning = learning_of(settings) if options.memory is not None and state.token else None
    if options.memory is not None and learning is not None and \
            options.memory.current(state.token, prints, learning) is None:
        from feedsvc.state.index import Index

        with cycles_collected_after():  # the daemon's start: seconds at most, for 100,000s of objects
            options.memory.index = replace(Index.load(cache, prints, learning), token=state.token)
    return replace(_unchanged_report(looked.seeds, state, started), dry_run=options.dry_run)


def _run(settings: Settings, now: datetime, cache: Cache, pool: WorkerPool, options: RunOptions, started: float,
         prints: str, looked: _Found) -> Report:
    """One run over `cache`; `prints` is the settings' `fingerprint`, `looked` what the run found first: the
    flow (triage, clean, merge, judge, plan, render, index for search, publish), then what the next run needs
    (`_remember`)."""
    from feedsvc.ingest.triage import triage
    from feedsvc.output.pages import story_page
    from feedsvc.output.publish import sweep_leftovers
    from feedsvc.state.index import Memory
    from feedsvc.state.pages import ShownPages

    found, state = looked.seeds, looked.state
    memory = options.memory or Memory()
    index, only = _index_for(settings, cache, memory, state, prints, found, options)
    seeds = triage(settings.seeds_dir, found, index.known, index.cached, max_bytes=settings.max_seed_bytes, now=now,
                   rehash=options.rehash, only=only)
    cleaning_started = time.monotonic()
    _process(settings, now, pool, cache, prints, seeds, index, options)
    cleaning = time.monotonic() - cleaning_started if seeds.todo or seeds.unhashed else 0.0
    changes = index.apply(seeds, cache)
    stories = list(index.stories.values())
    judged = _judge(settings, cache, prints, index.paths, stories)
    plans = _plans(settings, index, judged)
    shown = ShownPages(cache, settings.output_dir, story_page, everything=options.rehash or not state.outputs)
    staging_mark = settings.state_dir / STAGING_MARK
    if not options.dry_run:  # a run killed while staging left temporary files wherever it wrote: sweep them all
        if staging_mark.exists():
            sweep_leftovers(settings.output_dir)
        staging_mark.touch()
    rendered, staging = _render(settings, cache, prints, index, plans, state, options, pool, looked.images, shown)
    token = os.urandom(16).hex()  # names this run's state: `Memory` trusts an index only with it
    every_document = rendered.rendered == rendered.documents
    if settings.search and not options.dry_run:  # before the files: a story is searchable when it is served
        _update_search(settings, cache, prints, index.paths, changes, (state.token, token), options,
                       stale=every_document and not options.rehash)
    # The files the last run published tell which are gone; a rescan (or a first run) walks the folders instead,
    # in case a run was killed between publishing and saving its state.
    written = staging.commit(_PRUNED, None if options.rehash or not state.outputs else state.outputs).written
    staging_mark.unlink(missing_ok=True)
    if not options.dry_run:
        _forget_story_pages(settings.output_dir, plans, changes.gone_stories,
                            everything=options.rehash or every_document)

    feeds = [plan.current.feed for plan in plans]
    problems = tuple(sorted((SeedProblem(path, reason) for path, reason in index.problem_paths()), key=_problem_order))
    merged = sum(len(versions) for versions in index.versions.values()) - len(stories)
    report = replace(_report(seeds, index, problems, stories, judged.dropped, feeds, rendered, written, started,
                             options.dry_run), merged=merged, cleaning_seconds=cleaning)
    state_now = RunState(
        token=token, signature=looked.signature if not seeds.deferred else "",  # a deferred seed: look again
        fingerprint=prints, seed_count=len(found.files), entries=len(stories), merged=merged,
        outputs=_outputs(staging.names), feed_digests=rendered.digests, problems=problems, sources=report.sources,
        filtered=judged.dropped)
    _remember(cache, memory, index, state, state_now, changes, rendered.plans, shown)
    return report


def _index_for(settings: Settings, cache: Cache, memory: Memory, state: RunState, prints: str, found: ScanResult,
               options: RunOptions) -> tuple[Index, frozenset[str] | None]:
    """The story index the run starts from (the one kept in `memory` when the last run left it, else loaded from
    the cache), and the seed paths to look at (None: every one; only the changed ones and those to retry when
    the index is the last run's and the scan says what changed). Until the run completes, no index is trusted
    and no run state carries a fingerprint other runs would rely on."""
    from feedsvc.state.index import Index

    learning = learning_of(settings)
    index = memory.current(state.token, prints, learning)
    memory.index = None  # until this run completes
    if state.fingerprint != prints:  # outcomes of other rules are swept once a run under these completes
        cache.save_state(replace(state, fingerprint="", token=""))
    only = None if index is None or found.changed is None or options.rehash else found.changed | index.retry
    if index is None:
        with cycles_collected_after():
            index = Index.load(cache, prints, learning)
    return index, only


def _plans(settings: Settings, index: Index, judged: Judged) -> list[FeedPlan]:
    """The documents to publish: from the filters' verdicts when there are filters or topics, else straight from
    the index's ordered lists."""
    from feedsvc.output.plan import plan_feeds, plan_ordered
    from feedsvc.state.index import UNIFIED

    if settings.filters or settings.topics:
        return plan_feeds(settings, judged.sources, judged.unified, judged.topics)
    return plan_ordered(settings, index.ordered.get(UNIFIED, []),
                        {slug: members for slug, members in index.ordered.items() if slug != UNIFIED})


def _remember(cache: Cache, memory: Memory, index: Index, before: RunState, after: RunState, changes: Changes,
              documents: dict[str, tuple[object, str]], shown: ShownPages) -> None:
    """What a completed run leaves for the next: what its story pages show, its state in the cache (with the
    fingerprint, which tells later runs that what it cleaned is current), the outcomes no run will use again
    swept, and the index in `memory`."""
    shown.save(changes.gone_stories)
    cache.save_state(after)
    if before.fingerprint != after.fingerprint:  # rules or code changed: what older ones cleaned is no longer used
        cache.forget_other_fingerprints(after.fingerprint)
    unreferenced = changes.forgotten | index.unreferenced()
    if unreferenced:
        cache.forget(sorted(unreferenced))
        index.cached -= unreferenced
    index.documents, index.token = documents, after.token
    memory.index = index


STORY_PAGES = STORIES_DIR + "/"
"""The story pages (`output.pages.story_page`) are not among a run's outputs, which every run reads and writes
(one a story would make that cost grow with the archive); a run removes the pages of the stories it removes, and
a run that renders every document (a cold run, a rescan) every page no feed holds."""


def _outputs(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({name for name in names if not name.startswith(STORY_PAGES)}))


def _forget_story_pages(output_dir: Path, plans: list[FeedPlan], gone: Iterable[str], *, everything: bool) -> None:
    from feedsvc.output.pages import story_page

    if everything:
        kept = {story_page(s.newest.id) for plan in plans for d in plan.documents for s in d.stories}
        folder = output_dir / STORY_PAGES
        stale = [str(p.relative_to(output_dir)) for p in folder.glob("*/*.html")] if folder.is_dir() else []
        names = [name for name in stale if name not in kept]
    else:
        names = [story_page(story_id) for story_id in gone]
    for name in names:
        with contextlib.suppress(OSError):
            (output_dir / name).unlink()


def _update_search(settings: Settings, cache: Cache, prints: str, paths: Mapping[str, list[str]],
                   changes: Changes, tokens: tuple[str, str], options: RunOptions, *, stale: bool) -> None:
    """Bring the search index up to this run from the stories it changed, when the index is the last run's; put
    in what this run changed when `feedsvc serve` is building it again (`options.search_building`); else leave it
    stale, for the daemon to build. A failure is logged: the feeds do not depend on it, and the index is then
    built again."""
    from feedsvc.search.documents import documents
    from feedsvc.search.index import SearchIndex

    previous, token = tokens

    def read(stories: Sequence[Story]) -> Mapping[Story, Entry]:
        return cache.published_entries(stories, prints, paths, text=True)

    try:
        search = SearchIndex.open(settings.state_dir)
        try:
            current = bool(previous) and search.token() == previous and not stale
            if current or options.search_building:
                search.apply(documents(changes.changed_stories, read), changes.gone_stories)
            search.set_token(token if current else "")
        finally:
            search.close()
    except (sqlite3.Error, OSError, CacheError) as exc:
        log.warning("the search index was not updated (it will be built again): %s", exc)


def _languages(settings: Settings) -> dict[str, str | None]:
    return {s.slug: s.language for s in settings.sources}


def _worker_pool(settings: Settings, now: datetime, database: Path, prints: str, images: ImagePolicy,
                 ) -> WorkerPool:
    """The run's worker processes (started only if the run has many seeds to clean or documents to render),
    ready to clean and to render."""
    from feedsvc.ingest.pool import WorkerPool
    from feedsvc.output.workers import RenderJob

    render = RenderJob(settings.output_dir, database, prints, settings.formats, settings.chinese_variants,
                       _languages(settings), images, settings.title)
    return WorkerPool(_workers(settings), _prepare_worker, (make_job(settings, now), render, os.getpid()))


def _prepare_worker(job: Job, render: RenderJob, parent: int) -> None:
    """Initializer of the run's worker processes."""
    from feedsvc.ingest.work import init_worker
    from feedsvc.output.workers import init_render

    keep_freed_memory()
    init_worker(job, parent)
    init_render(render)


def _render(settings: Settings, cache: Cache, prints: str, index: Index, plans: list[FeedPlan], state: RunState,
            options: RunOptions, pool: WorkerPool, images: ImagePolicy, shown: ShownPages,
            ) -> tuple[Rendered, Staging]:
    """Every document that changed and every page, rendered and staged (not yet published): here, or, for many
    documents at once, in the run's worker processes."""
    from feedsvc.output.documents import DocumentRenderer, Navs, RenderRun
    from feedsvc.output.publish import Staging
    from feedsvc.output.site import period_pages, render_site
    from feedsvc.output.story import Navigator
    from feedsvc.output.templates import keep_compiled
    from feedsvc.output.workers import render_in_workers

    keep_compiled(settings.state_dir / COMPILED_TEMPLATES, write=not options.dry_run)
    staging = Staging(settings.output_dir, dry_run=options.dry_run)
    pages = period_pages(plans, settings.archives)
    renderer = DocumentRenderer(settings.formats, settings.chinese_variants, _languages(settings), pages, images,
                                settings.title)

    def parallel(groups: list[list[Planned]], navs: Navs) -> list[str]:
        staging.prepare({str(Path(p).parent) for group in groups for d in group for p in renderer.paths(d.feed)})
        return render_in_workers(pool.executor(), groups, pages, navs, staging, options.cancel)

    try:
        def read(stories: Sequence[Story]) -> Mapping[Story, Entry]:
            return cache.published_entries(stories, prints, index.paths, text=bool(settings.chinese_variants))

        run = RenderRun(staging.add, renderer, state.feed_digests, Listing(settings.output_dir).holds, read, prints,
                        None if options.dry_run or _workers(settings) < 2 else parallel,
                        {} if options.rehash else index.documents, Navigator(plans), shown)
        rendered = render_site(settings, plans, run)
    except BaseException:
        staging.discard()
        raise
    staging.keep(rendered.kept)
    return rendered, staging


def _judge(settings: Settings, cache: Cache, prints: str, paths: Mapping[str, list[str]],
           stories: list[Story]) -> Judged:
    """The stories each feed holds after the filters (verdicts of earlier runs reused)."""
    from feedsvc.stories.filters import Judge, judge
    from feedsvc.stories.group import story_meta

    if not settings.filters and not settings.topics:
        return judge((), stories, {}, _no_read, _no_remember)

    def read(story: Story, with_content: bool) -> tuple[EntryMeta, str]:
        meta = story_meta(story, lambda version: cache.meta(version, prints), paths)
        return meta, cache.content(story.newest.digest, story.newest.n, prints)[0] if with_content else ""

    judged = judge(settings.filters, stories, cache.verdicts(prints), read,
                   lambda rows: cache.remember_verdicts(rows, prints), settings.topics)
    cache.forget_verdicts_except(Judge(f).key for f in (*settings.filters, *(t.rules for t in settings.topics)))
    by_id = {s.newest.id: s for s in stories} if judged.dropped else {}
    named = []
    for dropped in judged.dropped:  # say which stories, by title and link
        meta = cache.meta(by_id[dropped.story_id].newest, prints)
        named.append(replace(dropped, title=meta.title, link=meta.link))
    return replace(judged, dropped=tuple(named))


def _no_read(story: Story, with_content: bool) -> tuple[EntryMeta, str]:
    raise AssertionError("no filter configured: nothing to read")


def _no_remember(rows: list[tuple[str, str, int, str | None]]) -> None:
    raise AssertionError("no filter configured: nothing to remember")


def _workers(settings: Settings) -> int:
    return settings.workers if settings.workers > 0 else (os.cpu_count() or 1)


def _refuse_shrinking(settings: Settings, found: ScanResult, state: RunState, force: bool) -> None:
    if not force and state.seed_count and len(found.files) < settings.min_seed_ratio * state.seed_count:
        raise SeedsUnavailableError(
            f"{settings.seeds_dir}: only {len(found.files)} seeds, against {state.seed_count} in the last good run; "
            "refusing to shrink the published feeds (is the directory unmounted?). Use --force to publish anyway")


def _all_exist(output_dir: Path, outputs: tuple[str, ...]) -> bool:
    """Whether every file of `outputs` is still published, with its `.gz` sibling where it has one."""
    listing = Listing(output_dir)
    return bool(outputs) and all(listing.holds(path) for path in outputs)


def _process(settings: Settings, now: datetime, pool: WorkerPool, cache: Cache, prints: str, seeds: Triage,
             index: Index, options: RunOptions) -> None:
    """Parse, clean and cache every seed of `seeds.todo` and `seeds.unhashed`; one that changed after it was
    hashed, or cannot be read yet, is deferred."""
    total = len(seeds.todo) + len(seeds.unhashed)
    if not total:
        return
    from feedsvc.ingest.pool import Processor

    processor = Processor(make_job(settings, now), pool, total)
    pending: list[tuple[str, str | None, tuple[Entry, ...]]] = []
    # a list, not a view of `seeds`: the processor's read-ahead thread walks it while this loop amends `seeds`
    items: list[tuple[SeedFile, str | None]] = [(seed, digest) for digest, seed in seeds.todo.items()]
    items += [(seed, None) for seed in seeds.unhashed.values()]
    try:
        for done, outcome in enumerate(processor.run(iter(items), options.cancel), 1):
            if outcome.unread is not None:
                (seeds.defer if outcome.retry else seeds.unreadable)(outcome.path, outcome.unread)
            else:
                if outcome.path in seeds.unhashed:
                    seeds.hashed(outcome.path, outcome.digest)
                pending.append((outcome.digest, outcome.problem, outcome.entries))
                index.learn(outcome.digest, outcome.problem, tuple(Version.of(e.meta, outcome.digest, n, e.marks)
                                                                   for n, e in enumerate(outcome.entries)))
            for note in outcome.notes:
                log.debug("%s: %s", outcome.path, note)
            if len(pending) >= _STORE_BATCH:
                cache.store(pending, prints)
                pending.clear()
            if options.progress:
                options.progress(done, total)
    finally:  # a cancelled run keeps what it cleaned
        if pending:
            cache.store(pending, prints)
    if options.cancel is not None and options.cancel.is_set():
        raise Cancelled("regeneration cancelled")


def _problem_order(problem: SeedProblem) -> tuple[str, str]:
    return (problem.path, problem.reason)


def _statuses(feeds: list[Feed]) -> tuple[SourceStatus, ...]:
    return tuple(SourceStatus(f.slug, f.title, f.entry_count, f.newest) for f in feeds[1:] if not f.topic)


def _is_feed_file(path: str) -> bool:
    return path.endswith(FEED_EXTENSIONS)


def _report(seeds: Triage, index: Index, problems: tuple[SeedProblem, ...], stories: list[Story],
            dropped: tuple[Dropped, ...], feeds: list[Feed], rendered: Rendered, written: tuple[str, ...],
            started: float, dry_run: bool) -> Report:
    from feedsvc.ingest.triage import CHANGED, NEW

    skipped = sorted({*seeds.skipped, *problems}, key=_problem_order)
    bad = {p.path for p in skipped}
    feed_files = sum(1 for path in (*rendered.names, *rendered.kept) if _is_feed_file(path))
    feeds_written = sum(1 for path in written if _is_feed_file(path))
    counts = {kind: sum(1 for path, k in seeds.status.items() if k == kind and path not in bad)
              for kind in (NEW, CHANGED)}
    # Every published seed that is neither new nor changed nor bad is unchanged, read this run or not.
    bad_published = sum(1 for path in bad if path in index.known and seeds.status.get(path) not in (NEW, CHANGED))
    unchanged = len(index.known) - sum(1 for k in seeds.status.values() if k in (NEW, CHANGED)) - bad_published
    return Report(
        seeds=len(index.known) + sum(1 for path in bad if path not in index.known),
        new=counts[NEW], changed=counts[CHANGED], unchanged=unchanged,
        skipped=tuple(skipped), entries=len(stories), filtered=dropped, feeds_written=feeds_written,
        feeds_unchanged=feed_files - feeds_written, files_written=written, seconds=time.monotonic() - started,
        sources=_statuses(feeds), dry_run=dry_run, deferred=tuple(seeds.deferred))


def _unchanged_report(found: ScanResult, state: RunState, started: float) -> Report:
    """The report of a run that found every seed as the last one left it: what that run stored, with this scan's
    own findings (hidden and editor files are not part of the signature)."""
    problems = state.problems
    feeds = sum(1 for p in state.outputs if _is_feed_file(p))
    return Report(seeds=len(found.files) + len(found.skipped),
                  unchanged=len(found.files) - len({p.path for p in problems}),
                  skipped=tuple(sorted({*found.skipped, *problems}, key=_problem_order)),
                  entries=state.entries, filtered=state.filtered, merged=state.merged, feeds_unchanged=feeds,
                  seconds=time.monotonic() - started,
                  sources=state.sources)
