"""`feedsvc serve`: watch the seeds, regenerate when they change, serve the feeds. Only this module imports
APScheduler.

A `Watcher` holds what the daemon knows between regenerations (what was published, the story index kept in
memory from one run to the next, health and metrics) and runs each regeneration; a strategy
(`serve.strategies`) decides when and from what: filesystem events followed in a thread of their own where the
seeds directory gives them (`watch`), snapshots polled every `poll_seconds` otherwise. The scheduler runs the polls
and, every `rescan_minutes`, a full rescan that re-reads every seed and looks for every published file, as a
safety net; each job's next run is counted from the end of its last, so a long regeneration delays the next poll
instead of overlapping it. Failures are logged and reported on /healthz; the daemon keeps running and recovers
when the fault clears.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from feedsvc.errors import Cancelled, ConfigError, FeedsvcError
from feedsvc.images.fetch import Fetcher
from feedsvc.images.key import proxy_key
from feedsvc.images.prefetch import Prefetcher
from feedsvc.images.proxy import ImageProxy
from feedsvc.images.store import ImageStore
from feedsvc.ingest.scan import ScanResult, display_path
from feedsvc.model import LFS_POINTER
from feedsvc.output.plan import base_url
from feedsvc.pipeline import RunOptions, regenerate
from feedsvc.report import Report
from feedsvc.serve.metrics import CONTENT_TYPE, Metrics
from feedsvc.serve.search import SearchPages
from feedsvc.serve.searchbuild import SearchBuilder
from feedsvc.serve.strategies import FollowingEvents, Polling, Snapshot, Strategy
from feedsvc.serve.watch import start_events
from feedsvc.serve.web import FileServer, HttpService
from feedsvc.serve.websub import Publisher, changed_topics
from feedsvc.settings import Settings
from feedsvc.state.index import Memory

log = logging.getLogger("feedsvc.serve.daemon")
class Watcher:
    """The daemon's state: what was published last, and what each regeneration sets going (metrics, search,
    WebSub, image prefetch). A `strategies.Strategy` decides when to regenerate and from what."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime] | None = None,
                 timer: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.clock = clock or (lambda: datetime.now(UTC))
        self.timer = timer
        self.cancel = threading.Event()
        self.lock = threading.RLock()
        """Held by each regeneration (and by the search index's builder while it reads the cache)."""
        self.published: Snapshot | None = None
        """What the last regeneration published (its snapshot; with events, `strategies.BY_EVENTS`): None when the
        next look must regenerate whatever it finds (nothing published yet, a seed deferred, a reload)."""
        self.memory = Memory()
        self._reported: set[tuple[str, str]] = set()
        self.last_success: datetime | None = None
        self.last_report: Report | None = None
        self.last_error: str | None = None
        self.regenerations = 0
        self.metrics = Metrics(self._newest)
        self.strategy: Strategy = Polling(self)
        """How changes are noticed (`run_daemon` follows events where the seeds directory gives them)."""
        self.hubs: Publisher | None = None
        self._configure_hubs()
        self.search = SearchBuilder(settings.state_dir, self.memory, self.lock, self.cancel) \
            if settings.search else None
        """Builds the search index again in the background when it is not the last run's."""
        self.prefetch: Prefetcher | None = None
        """Fetches the images of what was published (`image_prefetch`, in `self` mode)."""
        self._prefetched: tuple[str, ...] | None = None
        """The image policy whose published files the prefetcher has read (None: none yet)."""

    @property
    def settled(self) -> bool:
        """Whether the last regeneration published everything it found (nothing failed, nothing deferred)."""
        return self.published is not None and self.last_error is None

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

    def reload(self, fresh: Settings) -> None:
        """Use `fresh` settings from the next regeneration on (SIGHUP); what needs a restart is said so."""
        with self.lock:
            old = self.settings
            if (fresh.host, fresh.port, fresh.seeds_dir, fresh.watch) != (old.host, old.port, old.seeds_dir, old.watch):
                log.warning("host, port, seeds_dir and watch changes take effect after a restart")
            if _image_settings(fresh) != _image_settings(old):
                log.warning("image_* settings, request_timeout_seconds and max_connections take effect after a "
                            "restart (until then images may be published with URLs the running proxy does not "
                            "answer)")
            self.settings = fresh
            self._configure_hubs()
            self.published = None  # rules may have changed: regenerate on the next look
            self.strategy.forget()
        log.info("configuration reloaded from %s", fresh.config_path)

    def regenerate(self, found: ScanResult | None, seen: Snapshot | None, *, rehash: bool = False) -> None:
        """Regenerate from the scan `found` (`seen` is its snapshot); a seed that changed since is noticed when
        read, and deferred."""
        with self.lock:
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
            self.published, self.last_error = (None if report.deferred else seen), None
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


def repeat(scheduler: BackgroundScheduler, job_id: str, seconds: float, job: Callable[[], None], *,
           at_once: bool = False) -> None:
    """Run `job` every `seconds` counted from the end of its last run (the first at once with `at_once`): a run
    longer than the interval (a cold regeneration) delays the next instead of overlapping it, so the scheduler
    never holds a run it would have to skip."""

    def run() -> None:
        try:
            job()
        finally:
            if scheduler.running:
                scheduler.add_job(run, "date", run_date=datetime.now(UTC) + timedelta(seconds=seconds), id=job_id,
                                  replace_existing=True)

    scheduler.add_job(run, "date", run_date=datetime.now(UTC) + timedelta(seconds=0 if at_once else seconds),
                      id=job_id)


def _scheduler(watcher: Watcher) -> BackgroundScheduler:
    """The polls (when polling) and the rescans."""
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per regeneration is ours to write
    scheduler = BackgroundScheduler(timezone=UTC, job_defaults={"misfire_grace_time": None})
    if isinstance(watcher.strategy, Polling):
        repeat(scheduler, "poll", watcher.settings.poll_seconds, watcher.strategy.poll, at_once=True)
    repeat(scheduler, "rescan", watcher.settings.rescan_minutes * 60, watcher.strategy.rescan)
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
        threading.Thread(target=watcher.reload, args=(fresh,), name="reload", daemon=True).start()  # waits for
        # a running regeneration, which the event loop must not

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
        events = start_events(settings.seeds_dir, settings.watch)
    except OSError as exc:
        log.error("watch = \"events\", but %s gives no filesystem events: %s", settings.seeds_dir, exc)
        return 3
    if events is not None:
        watcher.strategy = FollowingEvents(watcher, events)
        log.info("watching %s with filesystem events (a full rescan every %g minutes)", settings.seeds_dir,
                 settings.rescan_minutes)
    else:
        log.info("polling %s every %g s (a full rescan every %g minutes)", settings.seeds_dir, settings.poll_seconds,
                 settings.rescan_minutes)
    scheduler = _scheduler(watcher)
    scheduler.start()
    watcher.strategy.start()
    await stop.wait()
    log.info("stopping")
    watcher.cancel.set()
    scheduler.shutdown(wait=False)
    await loop.run_in_executor(None, watcher.strategy.stop)
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
    if watcher.lock.acquire(timeout=seconds):
        watcher.lock.release()
