"""`feedsvc serve`: watch the seeds, regenerate when they change, serve the feeds. Only this module imports
APScheduler.

With filesystem events (`watch`, `feedsvc.serve.watch`), the poll job waits for events and regenerates as soon as what
they name has settled, looking only at those paths (`scan.SeedTree`) and keeping the story index in memory from
one run to the next (`index.Memory`): a new seed costs what it changes, not what is archived. Without events it
polls as follows.

A poll job (every `poll_seconds`, never two at once) compares a snapshot of the seeds directory (names, sizes,
mtimes) with the one last published. On a change it waits until the directory has been quiet for `settle_seconds`,
so a burst of hundreds of seeds gives one regeneration and a half-written seed is never read, then regenerates.
A full rescan every `rescan_minutes` re-reads every seed and looks for every published file, as a safety net;
it renders again only the documents whose stories changed and the files that went missing. Failures are logged
and reported on /healthz; the daemon keeps running and recovers when the fault clears.

The snapshot stats every seed, which grows with the archive (about 0.5 s for 100,000 seeds). So that an idle
daemon spends at most `SCAN_SHARE` of a core on it, a poll takes a full snapshot only when the last one is
old enough for its cost; in between it stats just the directories, whose mtimes change whenever a seed is
created, removed or renamed. New seeds are seen on the next poll at any size; a seed rewritten in place is seen
by the next full snapshot (every poll up to some 10,000 seeds).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from feedsvc.errors import Cancelled, ConfigError, FeedsvcError, SeedsUnavailableError
from feedsvc.images.fetch import Fetcher
from feedsvc.images.key import proxy_key
from feedsvc.images.prefetch import Prefetcher
from feedsvc.images.proxy import ImageProxy
from feedsvc.images.store import ImageStore
from feedsvc.ingest.scan import ScanResult, SeedTree, directories_unchanged, display_path, scan
from feedsvc.model import LFS_POINTER
from feedsvc.output.plan import base_url
from feedsvc.pipeline import RunOptions, regenerate
from feedsvc.report import Report
from feedsvc.serve.metrics import CONTENT_TYPE, Metrics
from feedsvc.serve.search import SearchPages
from feedsvc.serve.searchbuild import SearchBuilder
from feedsvc.serve.watch import SeedEvents, start_events
from feedsvc.serve.web import FileServer, HttpService
from feedsvc.serve.websub import Publisher, changed_topics
from feedsvc.settings import Settings
from feedsvc.state.index import Memory

log = logging.getLogger("feedsvc.serve.daemon")
MAX_SETTLE_WAIT = 30.0
"""A directory that never goes quiet is regenerated anyway after this many seconds."""
SCAN_SHARE = 0.1
"""At most this share of one core goes to full snapshots while nothing changes."""
Snapshot = tuple[int, int, int]
"""How many seeds, the summary of their paths, sizes and mtimes (`ScanResult.summary`), the newest mtime: what is
compared from poll to poll. Three numbers, not a copy of 100,000 paths at every poll."""
_BY_EVENTS: Snapshot = (-1, 0, 0)
"""The snapshot of a run that filesystem events asked for: never compared (no full scan was taken)."""
Marks = tuple[tuple[str, int], ...]


def _files(found: ScanResult | None) -> Snapshot | None:
    """The snapshot of a full scan (None: no seeds directory)."""
    return None if found is None else (len(found.files), found.summary, found.newest)


def _quiet_for(seen: Snapshot | None) -> float:
    """Seconds since the newest file in the snapshot was modified (0 when that cannot be told)."""
    if not seen or not seen[0]:
        return 0.0
    return max(0.0, time.time() - seen[2] / 1e9)


class Watcher:
    """The daemon's state: what was published last, and the jobs that keep it current."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime] | None = None,
                 timer: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.clock = clock or (lambda: datetime.now(UTC))
        self.timer = timer
        self.cancel = threading.Event()
        self._lock = threading.RLock()
        self._published: Snapshot | None = None
        """What the last regeneration published (its snapshot; with events, the empty one): None when the next
        poll must look again whatever events say (nothing published yet, or a seed deferred)."""
        self.memory = Memory()
        self.tree: SeedTree | None = None
        """The seeds as events last left them (with events)."""
        self._marks: Marks = ()
        self._scanned_at = float("-inf")
        self._scan_cost = 0.0
        self._reported: set[tuple[str, str]] = set()
        self.last_success: datetime | None = None
        self.last_report: Report | None = None
        self.last_error: str | None = None
        self.regenerations = 0
        self.metrics = Metrics(self._newest)
        self.events: SeedEvents | None = None
        """Filesystem events (`watch` = events or auto); None: polling."""
        self.hubs: Publisher | None = None
        self._configure_hubs()
        self.search = SearchBuilder(settings.state_dir, self.memory, self._lock, self.cancel) \
            if settings.search else None
        """Builds the search index again in the background when it is not the last run's."""
        self.prefetch: Prefetcher | None = None
        """Fetches the images of what was published (`image_prefetch`, in `self` mode)."""
        self._prefetched: tuple[str, ...] | None = None
        """The image policy whose published files the prefetcher has read (None: none yet)."""

    def _configure_hubs(self) -> None:
        """A WebSub publisher for the configured hubs (a new one when they change)."""
        if self.hubs is not None and self.hubs.hubs == self.settings.websub_hubs:
            return
        if self.hubs is not None:
            self.hubs.close()
        self.hubs = Publisher(self.settings.websub_hubs, count=lambda result: self.metrics.websub.labels(
            result).inc()) if self.settings.websub_hubs else None

    def _newest(self) -> list[tuple[str, datetime | None]]:
        report = self.last_report
        sources = [(s.slug, s.newest) for s in (report.sources if report else ())]
        unified = max((when for _, when in sources if when is not None), default=None)
        return [("all", unified), *sources] if report else []

    @property
    def full_scan_interval(self) -> float:
        """Seconds between full snapshots while the directories say nothing changed."""
        return max(self.settings.poll_seconds, self._scan_cost / SCAN_SHARE)

    def _scan(self) -> ScanResult | None:
        """A full snapshot; the regeneration it leads to uses it too, instead of scanning again."""
        started = self.timer()
        try:
            found: ScanResult | None = scan(self.settings.seeds_dir)
        except SeedsUnavailableError:
            found = None
        self._scanned_at, self._scan_cost = started, self.timer() - started
        self._marks = found.directories if found is not None else ()
        return found

    def poll(self) -> None:
        """Regenerate when the seeds changed and have settled (the scheduler never runs two polls at once). With
        filesystem events, nothing is scanned until an event says something changed."""
        settled = self._published is not None and self.last_error is None
        if self.events is not None:
            self._poll_events(self.events, settled)
            return
        if settled and self.timer() - self._scanned_at < self.full_scan_interval and \
                directories_unchanged(self.settings.seeds_dir, self._marks):
            return
        found = self._scan()
        current = _files(found)
        if current is not None and current == self._published and self.last_error is None:
            return
        started = time.monotonic()
        while not self.cancel.is_set() and time.monotonic() - started < MAX_SETTLE_WAIT:
            if _quiet_for(current) >= self.settings.settle_seconds:
                break  # the newest change is older than the settling time already: no need to wait again
            if self.cancel.wait(self.settings.settle_seconds):
                return
            found = self._scan()
            later = _files(found)
            if later == current:
                break
            current = later
        self.regenerate(found, current)

    def _poll_events(self, events: SeedEvents, settled: bool) -> None:
        """Wait for events, and regenerate from the paths they name once those have settled, again and again
        until the daemon stops (the scheduler's later polls find this one running and are skipped), so no seed
        waits for a poll interval. Returns after a failure or a deferred seed: the next poll looks again."""
        while not self.cancel.is_set():
            if settled and self.tree is not None and not events.wait(self.settings.poll_seconds):
                continue  # each wait also checks that the seeds directory is still the one watched
            started = time.monotonic()
            while (delay := events.settle_in(self.settings.settle_seconds)) > 0 and \
                    time.monotonic() - started < MAX_SETTLE_WAIT:
                if self.cancel.wait(min(delay, 1.0)):
                    return
            with self._lock:
                paths = events.take()
                if self.tree is None or paths is None or self.last_error is not None:
                    self.regenerate(self._new_tree(), _BY_EVENTS)
                else:
                    self.regenerate(self.tree.refresh(paths), _BY_EVENTS)
            settled = self._published is not None and self.last_error is None
            if not settled:
                return  # a failure or a deferred seed: the next interval looks again

    def _new_tree(self) -> ScanResult | None:
        try:
            self.tree = SeedTree(self.settings.seeds_dir)
        except SeedsUnavailableError:
            self.tree = None
            return None
        return self.tree.full

    def rescan(self) -> None:
        with self._lock:
            if self.events is not None:
                self.regenerate(self._new_tree(), _BY_EVENTS, rehash=True)
                return
            found = self._scan()
            self.regenerate(found, _files(found), rehash=True)

    def regenerate(self, found: ScanResult | None, seen: Snapshot | None, *, rehash: bool = False) -> None:
        """Regenerate from the scan `found` (`seen` is its snapshot); a seed that changed since is noticed when
        read, and deferred."""
        with self._lock:
            if self.cancel.is_set():
                return
            try:
                building = self.search is not None and self.search.building
                report = regenerate(self.settings, self.clock(),
                                    RunOptions(cancel=self.cancel, rehash=rehash, found=found, memory=self.memory,
                                               search_building=building))
            except Cancelled:
                log.info("regeneration abandoned for shutdown; the published feeds are unchanged")
                return
            except FeedsvcError as exc:
                self._fail(str(exc))
                return
            except Exception as exc:
                log.exception("regeneration failed")
                self._fail(f"unexpected error: {type(exc).__name__}: {exc}")
                return
            self.metrics.regenerated(report, self.clock())
            if self.search is not None:
                self.search.check()
            if self.hubs is not None:  # in the background: a hub never delays or fails a regeneration
                self.hubs.publish(changed_topics(self.settings, report))
            if self.prefetch is not None:  # in the background too
                policy = (self.settings.image_mode, self.settings.base_url, self.settings.image_proxy_key)
                self.prefetch.published(report.files_written, everything=self._prefetched != policy)
                self._prefetched = policy
            # Seeds deferred as half-written must be looked at again on the next poll.
            self._published, self.last_error = (None if report.deferred else seen), None
            self.last_success, self.last_report = self.clock(), report
            self.regenerations += 1
            self._log(report)

    def _fail(self, message: str) -> None:
        self.metrics.failed()
        if message != self.last_error:
            log.error("regeneration failed: %s (the published feeds are unchanged)", message)
        self.last_error = message

    def _log(self, report: Report) -> None:
        log.info("regenerated: %s", report.summary_line())
        current = {(p.path, p.reason) for p in report.skipped}
        for path, reason in sorted(current - self._reported):
            if reason != LFS_POINTER:
                log.warning("skipped seed %s: %s", display_path(path), reason)
        lfs = report.lfs_line()
        if lfs and any(reason == LFS_POINTER for _, reason in current - self._reported):
            log.warning("%s", lfs)
        self._reported = current

    def health(self) -> tuple[int, dict[str, Any]]:
        """/healthz: 200 when the last regeneration succeeded recently, 503 otherwise."""
        now = self.clock()
        report = self.last_report
        max_age = self.settings.health_max_age_minutes * 60
        fresh = self.last_success is not None and (now - self.last_success).total_seconds() <= max_age
        ok = fresh and self.last_error is None
        payload: dict[str, Any] = {
            "status": "ok" if ok else "unhealthy",
            "last_success": self.last_success.isoformat() if self.last_success else None,
            "last_error": self.last_error,
            "regenerations": self.regenerations,
            "entries": report.entries if report else 0,
            "filtered": len(report.filtered) if report else 0,
            "feeds": (report.feeds_written + report.feeds_unchanged) if report else 0,
            "seeds_skipped": len(report.skipped) if report else 0,
            "lfs_pointers": len(report.lfs_pointers) if report else 0,
            "warnings": [line for line in (report.lfs_line() if report else None,) if line],
            "sources": {
                s.slug: {"name": s.name, "entries": s.entries,
                         "newest_age_seconds": round((now - s.newest).total_seconds()) if s.newest else None}
                for s in (report.sources if report else ())},
        }
        return (200 if ok else 503), payload


class _ExpectedSkips(logging.Filter):
    """A poll that finds the previous one still regenerating is skipped by design (`max_instances=1`); APScheduler
    would log a warning for each of those skips, every second of a long cold run."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


def _scheduler(watcher: Watcher) -> BackgroundScheduler:
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per regeneration is ours to write
    scheduler_log = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(f, _ExpectedSkips) for f in scheduler_log.filters):
        scheduler_log.addFilter(_ExpectedSkips())
    scheduler = BackgroundScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1,
                                                                "misfire_grace_time": None})
    scheduler.add_job(watcher.poll, "interval", seconds=watcher.settings.poll_seconds, id="poll",
                      next_run_time=datetime.now(UTC))
    scheduler.add_job(watcher.rescan, "interval", minutes=watcher.settings.rescan_minutes, id="rescan")
    return scheduler


def _image_proxy(settings: Settings, watcher: Watcher) -> ImageProxy | None:
    """The image proxy, in `self` mode (None otherwise; `image_prefetch` without it is pointless and said so)."""
    if settings.image_mode != "self":
        if settings.image_prefetch:
            log.warning("image_prefetch needs image_mode = \"self\": nothing is prefetched")
        return None
    store = ImageStore(settings.state_dir / "images", settings.image_cache_mb * 1024 * 1024)
    fetcher = Fetcher(max_bytes=settings.image_max_bytes, timeout=settings.image_timeout_seconds,
                      host_fetches=settings.image_host_fetches, private=settings.image_private_networks,
                      referers=dict(settings.image_referers))
    watcher.metrics.watch_image_cache(lambda: store.total)
    return ImageProxy(proxy_key(settings.image_proxy_key, settings.state_dir), store, fetcher,
                      settings.image_retry_minutes * 60, watcher.metrics.image_fetched)


def run_daemon(settings: Settings, reload: Callable[[], Settings], *, http: bool = True) -> int:
    """Run until SIGTERM or SIGINT; returns the exit status (0 on a clean stop)."""
    return asyncio.run(_main(settings, reload, http))


async def _main(settings: Settings, reload: Callable[[], Settings], http: bool) -> int:
    watcher = Watcher(settings)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def on_hup() -> None:
        try:
            fresh = reload()
        except ConfigError as exc:
            log.error("configuration not reloaded, keeping the old one: %s", exc)
            return
        if (fresh.host, fresh.port, fresh.seeds_dir, fresh.watch) != \
                (watcher.settings.host, watcher.settings.port, watcher.settings.seeds_dir, watcher.settings.watch):
            log.warning("host, port, seeds_dir and watch changes take effect after a restart")
        if _image_settings(fresh) != _image_settings(watcher.settings):
            log.warning("image_* settings, request_timeout_seconds and max_connections take effect after a restart "
                        "(until then images may be published with URLs the running proxy does not answer)")
        watcher.settings = fresh
        watcher._configure_hubs()
        watcher._published = None  # rules may have changed: regenerate on the next poll
        watcher.tree = None
        log.info("configuration reloaded from %s", fresh.config_path)

    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGHUP, on_hup)
    log.info("reading seeds from %s, publishing to %s, state in %s (config: %s)", settings.seeds_dir,
             settings.output_dir, settings.state_dir, settings.config_path)
    service = None
    images = None
    search = None
    if http:
        try:
            images = _image_proxy(settings, watcher)
        except (FeedsvcError, OSError) as exc:
            log.error("cannot start the image proxy: %s", exc)
            return 3
        builder = watcher.search
        search = SearchPages(settings.state_dir, base_url(settings), settings.title,
                             {s.slug: s.language for s in settings.sources},
                             lambda: builder is not None and builder.building) if settings.search else None
        server = FileServer(settings.output_dir, settings.cache_max_age, watcher.health,
                            lambda: (CONTENT_TYPE, watcher.metrics.exposition()), watcher.metrics.request, images,
                            search)
        service = HttpService(server, settings.host, settings.port, request_timeout=settings.request_timeout_seconds,
                              max_connections=settings.max_connections)
        try:
            url = await service.start()
        except OSError as exc:
            log.error("cannot listen on %s:%s: %s", settings.host, settings.port, exc)
            return 3
        log.info("listening on %s (feeds: %sall.atom)", url, url)
        if images is not None:
            log.info("serving images at %simg/ from the cache in %s (%d MB)", base_url(settings),
                     images.store.directory, settings.image_cache_mb)
            if settings.image_prefetch:
                watcher.prefetch = Prefetcher(images, loop, settings.output_dir, base_url(settings),
                                              "." + settings.formats[0])
    elif settings.image_mode == "self" or settings.image_prefetch:
        log.warning("image_mode = \"self\" needs the HTTP server: images are not served (--no-http)")
    try:
        watcher.events = start_events(settings.seeds_dir, settings.watch)
    except OSError as exc:
        log.error("watch = \"events\", but %s gives no filesystem events: %s", settings.seeds_dir, exc)
        return 3
    if watcher.events is not None:
        log.info("watching %s with filesystem events (a full rescan every %g minutes)", settings.seeds_dir,
                 settings.rescan_minutes)
    else:
        log.info("polling %s every %g s (a full rescan every %g minutes)", settings.seeds_dir, settings.poll_seconds,
                 settings.rescan_minutes)
    scheduler = _scheduler(watcher)
    scheduler.start()
    await stop.wait()
    log.info("stopping")
    watcher.cancel.set()
    scheduler.shutdown(wait=False)
    if watcher.events is not None:
        watcher.events.stop()
    if watcher.hubs is not None:
        watcher.hubs.close()
    if watcher.prefetch is not None:
        watcher.prefetch.stop()
    if service is not None:
        await service.stop()
    if images is not None:
        await images.fetcher.close()
        images.store.close()
    if search is not None:
        search.close()
    await loop.run_in_executor(None, _wait_for, watcher, 4.0)
    log.info("stopped")
    return 0


def _image_settings(settings: Settings) -> tuple[object, ...]:
    return tuple(getattr(settings, name) for name in settings.__dataclass_fields__
                 if name.startswith("image_") or name in ("request_timeout_seconds", "max_connections"))


def _wait_for(watcher: Watcher, seconds: float) -> None:
    """Give a running regeneration a moment to finish or abandon (it checks `cancel` between seeds)."""
    if watcher._lock.acquire(timeout=seconds):
        watcher._lock.release()
