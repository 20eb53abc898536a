"""`regenerate(settings, now)`: seeds -> parse -> clean -> group -> render -> publish. The command and the daemon
both call it. Only new or changed seeds are parsed and cleaned (the cache remembers the rest); a cold run cleans
in parallel processes."""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from feedsvc import __version__
from feedsvc.cache import SCHEMA_VERSION, Cache, set_aside
from feedsvc.clean import CLEANER_VERSION
from feedsvc.dates import DatePolicy
from feedsvc.errors import Cancelled, OutputError, SeedsUnavailableError
from feedsvc.group import Version, merge, story_meta
from feedsvc.lock import exclusive
from feedsvc.model import Entry, Feed, SeedFile, SeedProblem
from feedsvc.pages import render_index, render_opml
from feedsvc.parse import ParseContext
from feedsvc.plan import Planned, feed_digest, plan_feeds
from feedsvc.pool import Processor
from feedsvc.publish import publish
from feedsvc.render import render_atom
from feedsvc.report import Report, SourceStatus
from feedsvc.scan import ScanResult, SeedReadError, read_seed, scan
from feedsvc.settings import Settings
from feedsvc.sources import SourceCatalog
from feedsvc.work import Job, process

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
INCOMPLETE_GRACE_SECONDS = 30.0


_CACHE_AFFECTING = ("max_seed_bytes", "unwrap_image_proxy", "summary_chars", "ignore_categories",
                    "future_tolerance_hours", "url_date_tolerance_days", "sources")


def fingerprint(settings: Settings) -> str:
    """Changes whenever parsing or cleaning would give other results: code versions and the settings they read."""
    parts = [__version__, CLEANER_VERSION, SCHEMA_VERSION, *(repr(getattr(settings, n)) for n in _CACHE_AFFECTING)]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def make_job(settings: Settings, now: datetime) -> Job:
    catalog = SourceCatalog(settings.sources)
    policy = DatePolicy(now, timedelta(hours=settings.future_tolerance_hours),
                        timedelta(days=settings.url_date_tolerance_days))
    ctx = ParseContext(catalog, policy, frozenset(c.casefold() for c in settings.ignore_categories),
                       settings.max_seed_bytes)
    return Job(ctx, tuple((s.slug, s.rules) for s in settings.sources), settings.summary_chars,
               settings.unwrap_image_proxy, settings.seeds_dir)


def _signature(settings: Settings, prints: str, files: tuple[SeedFile, ...]) -> str:
    digest = hashlib.sha256(prints.encode())
    for name in ("base_url", "title", "subtitle", "max_entries"):
        digest.update(repr(getattr(settings, name)).encode())
    for seed in files:
        digest.update(f"{seed.path}\x00{seed.size}\x00{seed.mtime_ns}\x01".encode())
    return digest.hexdigest()


def regenerate(settings: Settings, now: datetime, *, force: bool = False, dry_run: bool = False,
               rehash: bool = False, progress: Progress | None = None,
               cancel: threading.Event | None = None, found: ScanResult | None = None) -> Report:
    """Bring the published feeds up to date with the seeds; returns what was done.

    Raises SeedsUnavailableError (missing seeds directory, or far fewer seeds than the last good run unless
    `force`) and OutputError (nothing could be written; the previous files are intact). With `dry_run`, nothing
    is written anywhere (the `check` command): every seed is parsed and cleaned in memory. With `rehash`, every
    seed is read and hashed again even when its size and mtime say it is unchanged. `found` is a scan of the seeds
    directory the caller has just made (the daemon's), used instead of scanning again: a seed that changed since
    is noticed when it is read, and deferred.
    """
    started = time.monotonic()
    if dry_run:
        return _check(settings, now, started, progress)
    database = settings.state_dir / "cache.sqlite"
    with exclusive(settings.state_dir):
        for attempt in (1, 2):
            cache = Cache.open(database)
            try:
                return _regenerate(settings, now, cache, force, rehash, started, progress, cancel, found)
            except sqlite3.DatabaseError as exc:  # damage found mid-run: set the database aside, start afresh
                if attempt == 2:
                    raise OutputError(f"{database}: cache database unusable: {exc}") from None
                cache.close()
                set_aside(database, exc)
            finally:
                cache.close()
    raise AssertionError("unreachable")


def _check(settings: Settings, now: datetime, started: float, progress: Progress | None) -> Report:
    found = scan(settings.seeds_dir)
    job = make_job(settings, now)
    skipped = list(found.skipped)
    versions: list[Version] = []
    for done, seed in enumerate(found.files, 1):
        try:
            data = read_seed(settings.seeds_dir, seed, settings.max_seed_bytes)
        except SeedReadError as exc:
            skipped.append(SeedProblem(seed.path, str(exc)))
            continue
        outcome = process(job, data, seed.path, hashlib.sha256(data).hexdigest(), seed.modified)
        if outcome.problem:
            skipped.append(SeedProblem(seed.path, outcome.problem))
        versions.extend(Version.of(e.meta, outcome.digest, n) for n, e in enumerate(outcome.entries))
        if progress:
            progress(done, len(found.files))
    stories = merge(versions)
    sources = {s.source_slug for s in stories}
    return Report(seeds=len(found.files), new=len(found.files), skipped=tuple(sorted(skipped, key=lambda p: p.path)),
                  entries=len(stories), feeds_unchanged=len(sources) + 1 if stories else 0,
                  seconds=time.monotonic() - started, dry_run=True)


def _regenerate(settings: Settings, now: datetime, cache: Cache, force: bool, rehash: bool, started: float,
                progress: Progress | None, cancel: threading.Event | None, found: ScanResult | None) -> Report:
    if found is None:
        found = scan(settings.seeds_dir)
    last_good = int(cache.get("seed_count") or 0)
    if not force and last_good and len(found.files) < settings.min_seed_ratio * last_good:
        raise SeedsUnavailableError(
            f"{settings.seeds_dir}: only {len(found.files)} seeds, against {last_good} in the last good run; "
            "refusing to shrink the published feeds (is the directory unmounted?). Use --force to publish anyway")
    prints = fingerprint(settings)
    signature = _signature(settings, prints, found.files)
    outputs = json.loads(cache.get("outputs") or "[]")
    published = outputs and all((settings.output_dir / p).is_file() for p in outputs)
    if not rehash and cache.get("signature") == signature and published and cache.get("fingerprint") == prints:
        return _unchanged_report(settings, cache, found.files, found.skipped, prints, started)

    if cache.get("fingerprint") != prints:  # outcomes of other rules are swept once a run under these completes
        cache.put("fingerprint", "")
    known = cache.known_seeds()
    status: dict[str, str] = {}
    skipped = list(found.skipped)
    digests: dict[str, str] = {}
    todo: list[tuple[SeedFile, str]] = []
    deferred: list[str] = []
    done = cache.outcome_digests(prints)
    for seed in found.files:
        previous = known.get(seed.path)
        if not rehash and previous and previous[:2] == (seed.size, seed.mtime_ns) and previous[2] in done:
            digests[seed.path], status[seed.path] = previous[2], "unchanged"
            continue
        try:
            data = read_seed(settings.seeds_dir, seed, settings.max_seed_bytes)
            _check_complete(data, seed, now)
        except SeedReadError as exc:
            skipped.append(SeedProblem(seed.path, str(exc)))
            if exc.transient:
                deferred.append(seed.path)
                if previous:  # the version published before stays until the new one is complete
                    digests[seed.path], status[seed.path] = previous[2], "unchanged"
            continue
        digest = hashlib.sha256(data).hexdigest()
        del data  # read again where it is cleaned: holding every new seed's bytes would grow with N
        digests[seed.path] = digest
        status[seed.path] = "new" if previous is None else ("changed" if previous[2] != digest else "unchanged")
        if digest not in done:
            todo.append((seed, digest))

    for path, reason in _process_todo(settings, now, cache, prints, todo, progress, cancel):
        skipped.append(SeedProblem(path, reason))
        deferred.append(path)
        previous = known.get(path)
        if previous and previous[2] in done:  # the version published before stays until the new one is read
            digests[path], status[path] = previous[2], "unchanged"
        else:
            digests.pop(path, None)
            status.pop(path, None)
    if cancel is not None and cancel.is_set():
        raise Cancelled("regeneration cancelled")
    # A deferred seed keeps the size and mtime of the version still published, so the next run reads it again.
    waiting = set(deferred)
    current = [(_as_known(seed, known) if seed.path in waiting else seed, digests[seed.path])
               for seed in found.files if seed.path in digests]
    unreferenced = cache.set_seeds(current, known)
    report = _publish(settings, cache, prints, current, skipped, status, started, rehash)
    report = replace(report, deferred=tuple(deferred))
    if not deferred:  # a deferred seed must be looked at again, even if nothing else changes
        cache.put("signature", signature)
    cache.put("seed_count", str(len(found.files)))
    if cache.get("fingerprint") != prints:  # rules or code changed: what older ones cleaned is no longer used
        cache.forget_other_fingerprints(prints)
        cache.put("fingerprint", prints)
    if unreferenced:
        cache.forget_unreferenced()
    return report


def _as_known(seed: SeedFile, known: dict[str, tuple[int, int, str]]) -> SeedFile:
    size, mtime_ns, _ = known[seed.path]
    return replace(seed, size=size, mtime_ns=mtime_ns)


def _check_complete(data: bytes, seed: SeedFile, now: datetime) -> None:
    """Defer a seed that looks half-written: every seed file ends with a newline, so one that does not, and was
    modified moments ago, is most likely still being written. After the grace period it is read as it is."""
    if data.endswith(b"\n"):
        return
    age = (now - seed.modified).total_seconds()
    if abs(age) < INCOMPLETE_GRACE_SECONDS:
        raise SeedReadError(f"does not end with a newline and changed {max(age, 0):.1f} s ago: probably still being "
                            "written; will be read again", transient=True)


def _process_todo(settings: Settings, now: datetime, cache: Cache, prints: str, todo: list[tuple[SeedFile, str]],
                  progress: Progress | None, cancel: threading.Event | None) -> list[tuple[str, str]]:
    """Parse, clean and cache every (seed, digest) of `todo`; returns (path, reason) of the seeds that changed
    after they were hashed (they are looked at again next time)."""
    unique: dict[str, SeedFile] = {}
    for seed, digest in todo:
        unique.setdefault(digest, seed)  # identical copies are cleaned once
    total = len(unique)
    if not total:
        return []
    processor = Processor(make_job(settings, now), settings.workers, total)
    unread: list[tuple[str, str]] = []
    pending: list[tuple[str, str | None, tuple[Entry, ...]]] = []
    try:
        for done, outcome in enumerate(processor.run(((s, d) for d, s in unique.items()), cancel), 1):
            if outcome.unread is not None:
                unread.append((outcome.path, outcome.unread))
            else:
                pending.append((outcome.digest, outcome.problem, outcome.entries))
            for note in outcome.notes:
                log.debug("%s: %s", outcome.path, note)
            if len(pending) >= 32:  # one transaction per few dozen seeds
                cache.store(pending, prints)
                pending.clear()
            if progress:
                progress(done, total)
    finally:  # a cancelled run keeps what it cleaned
        if pending:
            cache.store(pending, prints)
    return unread


def _paths_by_digest(current: list[tuple[SeedFile, str]]) -> dict[str, list[str]]:
    paths: dict[str, list[str]] = {}
    for seed, digest in current:
        paths.setdefault(digest, []).append(seed.path)
    return paths


def _render_changed(settings: Settings, cache: Cache, prints: str, plans: list[Planned], rehash: bool,
                    ) -> tuple[dict[str, bytes], tuple[str, ...], dict[str, str]]:
    """(bytes of every feed that changed, paths of the feeds that did not, every feed's digest)."""
    source_feeds = {p.feed.slug: (p.feed.title, p.feed.self_url) for p in plans[1:]}
    previous = {} if rehash else json.loads(cache.get("feed_digests") or "{}")
    digests: dict[str, str] = {}
    files: dict[str, bytes] = {}
    kept: list[str] = []
    for planned in plans:
        feed = planned.feed
        digests[feed.path] = feed_digest(planned, source_feeds, prints)
        target = settings.output_dir / feed.path
        if previous.get(feed.path) == digests[feed.path] and target.is_file() and \
                target.with_name(target.name + ".gz").is_file():
            kept.append(feed.path)
            continue
        entries = []
        for story, meta in planned.stories:
            content, summary = cache.content(story.newest.digest, story.newest.n, prints)
            entries.append(Entry(meta, content, summary, story.newest.digest))
        files[feed.path] = render_atom(replace(feed, entries=tuple(entries)), source_feeds)
    return files, tuple(kept), digests


def _publish(settings: Settings, cache: Cache, prints: str, current: list[tuple[SeedFile, str]],
             skipped: list[SeedProblem], status: dict[str, str], started: float, rehash: bool) -> Report:
    paths = _paths_by_digest(current)
    stories = merge(cache.versions(paths, prints))
    problems = sorted((SeedProblem(path, reason) for path, reason in cache.problems(paths, prints)),
                      key=lambda p: (p.path, p.reason))
    cache.put("problems", json.dumps([[p.path, p.reason] for p in problems], ensure_ascii=False))
    plans = plan_feeds(settings, stories,
                       lambda story: story_meta(story, lambda version: cache.meta(version, prints), paths))
    feeds = [p.feed for p in plans]
    base = feeds[0].alternate_url
    files, kept, digests = _render_changed(settings, cache, prints, plans, rehash)
    files["feeds.opml"] = render_opml(settings.title, feeds)
    files["index.html"] = render_index(settings.title, settings.subtitle, base + "feeds.opml", feeds)
    result = publish(settings.output_dir, files, prune=("sources",), keep=kept)
    cache.put("feed_digests", json.dumps(digests))  # only once published: a failed run must render again
    cache.put("outputs", json.dumps(sorted([*files, *kept])))
    cache.put("health", json.dumps(_source_health(feeds)))
    written = {name for name in result.written if name.endswith(".atom")}
    all_skipped = sorted({*skipped, *problems}, key=lambda p: (p.path, p.reason))
    bad = {p.path for p in all_skipped}
    counts = {kind: sum(1 for path, k in status.items() if k == kind and path not in bad)
              for kind in ("new", "changed", "unchanged")}
    report = Report(
        seeds=len(status.keys() | bad),
        new=counts["new"], changed=counts["changed"], unchanged=counts["unchanged"],
        skipped=tuple(all_skipped),
        entries=len(stories), feeds_written=len(written), feeds_unchanged=len(feeds) - len(written),
        files_written=result.written, seconds=time.monotonic() - started,
        sources=_statuses(feeds))
    cache.put("report", json.dumps(report.to_json(), ensure_ascii=False))
    return report


def _source_health(feeds: list[Feed]) -> list[list[object]]:
    return [[f.slug, f.title, f.entry_count, f.newest.isoformat() if f.newest else None] for f in feeds[1:]]


def _statuses(feeds: list[Feed]) -> tuple[SourceStatus, ...]:
    return tuple(SourceStatus(f.slug, f.title, f.entry_count, f.newest) for f in feeds[1:])


def _unchanged_report(settings: Settings, cache: Cache, files: tuple[SeedFile, ...],
                      scan_skipped: tuple[SeedProblem, ...], prints: str, started: float) -> Report:
    """The report of a run that found every seed as the last one left it: what that run stored, with this scan's
    own findings (hidden and editor files are not part of the signature)."""
    problems = [SeedProblem(p, r) for p, r in json.loads(cache.get("problems") or "[]")]
    previous = json.loads(cache.get("report") or "{}")
    health = json.loads(cache.get("health") or "[]")
    sources = tuple(SourceStatus(slug, name, count, datetime.fromisoformat(when) if when else None)
                    for slug, name, count, when in health)
    outputs = [p for p in json.loads(cache.get("outputs") or "[]") if p.endswith(".atom")]
    return Report(seeds=len(files) + len(scan_skipped), unchanged=len(files) - len({p.path for p in problems}),
                  skipped=tuple(sorted({*scan_skipped, *problems}, key=lambda p: (p.path, p.reason))),
                  entries=int(previous.get("entries", 0)), feeds_unchanged=len(outputs),
                  seconds=time.monotonic() - started, sources=sources)
