"""Prometheus metrics for `feedsvc serve` (`/metrics`). Only this module imports prometheus_client.

Metrics live in a registry of their own (never the library's global one), so two daemons in one process, or a
test, never share counts. Gauges that describe the last regeneration are set when it ends; the age of each feed's
newest entry is computed when scraped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import exposition as _exposition
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from feedsvc.report import Report

CONTENT_TYPE = str(_exposition.CONTENT_TYPE_LATEST)
_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


class _NewestAge(Collector):
    """`feedsvc_feed_newest_entry_age_seconds`: how old each feed's newest entry is, at scrape time."""

    def __init__(self, newest: Callable[[], Iterable[tuple[str, datetime | None]]],
                 clock: Callable[[], float]) -> None:
        self.newest = newest
        self.clock = clock

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily("feedsvc_feed_newest_entry_age_seconds",
                                   "Seconds since the newest entry of each feed was updated", labels=["feed"])
        now = self.clock()
        for feed, newest in self.newest():
            if newest is not None:
                family.add_metric([feed], max(0.0, now - newest.timestamp()))
        yield family


class Metrics:
    """Every metric the daemon exports."""

    def __init__(self, newest: Callable[[], Iterable[tuple[str, datetime | None]]],
                 clock: Callable[[], float] = time.time) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.registry.register(_NewestAge(newest, clock))
        r = self.registry
        self.duration = Histogram("feedsvc_regeneration_duration_seconds", "Time a regeneration took",
                                  buckets=_BUCKETS, registry=r)
        self.regenerations = Counter("feedsvc_regenerations", "Regenerations, by result", ["result"], registry=r)
        self.seeds = Gauge("feedsvc_seeds", "Seeds of the last regeneration, by outcome", ["outcome"], registry=r)
        self.stories = Gauge("feedsvc_stories", "Stories of the last regeneration: published (in some feed), "
                             "filtered out of a feed, merged (versions folded into another)", ["state"], registry=r)
        self.entries = Gauge("feedsvc_feed_entries", "Entries each feed holds in all", ["feed"], registry=r)
        self.last_success = Gauge("feedsvc_last_success_timestamp_seconds",
                                  "When the last regeneration succeeded (Unix time)", registry=r)
        self.files_written = Counter("feedsvc_files_written", "Published files written", registry=r)
        self.http = Counter("feedsvc_http_requests", "HTTP requests, by path class and status",
                            ["path", "status"], registry=r)
        self.websub = Counter("feedsvc_websub_pings", "WebSub hub notifications, by result", ["result"],
                              registry=r)
        self.image_fetches = Counter("feedsvc_image_fetches", "Image proxy fetches from origins, by result: "
                                     "fetched, refused (an address or URL never fetched from), failed", ["result"],
                                     registry=r)
        self.image_cache_bytes = Gauge("feedsvc_image_cache_bytes", "Bytes of images in the image cache",
                                       registry=r)

    def regenerated(self, report: Report, when: datetime) -> None:
        self.duration.observe(report.seconds)
        self.regenerations.labels("ok").inc()
        for outcome, count in (("new", report.new), ("changed", report.changed), ("unchanged", report.unchanged),
                               ("skipped", len(report.skipped))):
            self.seeds.labels(outcome).set(count)
        for state, count in (("published", report.entries), ("filtered", len(report.filtered)),
                             ("merged", report.merged)):
            self.stories.labels(state).set(count)
        self.entries.clear()
        for source in report.sources:
            self.entries.labels(source.slug).set(source.entries)
        self.last_success.set(when.timestamp())
        self.files_written.inc(len(report.files_written))

    def failed(self) -> None:
        self.regenerations.labels("failed").inc()

    def image_fetched(self, result: str) -> None:
        self.image_fetches.labels(result).inc()

    def watch_image_cache(self, size: Callable[[], float]) -> None:
        """`feedsvc_image_cache_bytes` reads `size` when scraped."""
        self.image_cache_bytes.set_function(size)

    def request(self, path_class: str, status: int) -> None:
        self.http.labels(path_class, str(status)).inc()

    def exposition(self) -> bytes:
        return bytes(generate_latest(self.registry))
