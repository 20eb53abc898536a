"""Prometheus metrics: what the last regeneration did, feed ages at scrape time, HTTP requests, the process."""

from __future__ import annotations

from datetime import UTC, datetime

from feedsvc.model import Dropped, SeedProblem, SourceStatus
from feedsvc.report import Report
from feedsvc.serve.metrics import Metrics
from feedsvc.serve.web import path_class

WHEN = datetime(2024, 6, 1, 12, tzinfo=UTC)


def _value(text: str, sample: str) -> float:
    line = next(line for line in text.splitlines() if line.startswith(sample + " "))
    return float(line.rsplit(" ", 1)[1])


def test_a_regeneration_sets_its_figures() -> None:
    sources = [("dw", datetime(2024, 6, 1, 11, tzinfo=UTC))]
    metrics = Metrics(lambda: sources, clock=WHEN.timestamp)
    report = Report(seeds=5, new=3, changed=1, unchanged=0, skipped=(SeedProblem("x.md", "empty file"),),
                    entries=4, filtered=(Dropped("dw", "exclude_title x", "urn:1"),), merged=2,
                    files_written=("all.atom", "all.atom.gz"), seconds=0.3,
                    sources=(SourceStatus("dw", "DW", 4, sources[0][1]),))
    metrics.regenerated(report, WHEN)
    metrics.failed()
    metrics.request("feed", 304)
    text = metrics.exposition().decode()
    assert _value(text, 'feedsvc_seeds{outcome="new"}') == 3
    assert _value(text, 'feedsvc_seeds{outcome="skipped"}') == 1
    assert _value(text, 'feedsvc_stories{state="filtered"}') == 1
    assert _value(text, 'feedsvc_stories{state="merged"}') == 2
    assert _value(text, 'feedsvc_feed_entries{feed="dw"}') == 4
    assert _value(text, 'feedsvc_feed_newest_entry_age_seconds{feed="dw"}') == 3600
    assert _value(text, "feedsvc_last_success_timestamp_seconds") == WHEN.timestamp()
    assert _value(text, 'feedsvc_regenerations_total{result="ok"}') == 1
    assert _value(text, 'feedsvc_regenerations_total{result="failed"}') == 1
    assert _value(text, "feedsvc_regeneration_duration_seconds_count") == 1
    assert _value(text, 'feedsvc_http_requests_total{path="feed",status="304"}') == 1
    assert "process_cpu_seconds_total" in text


def test_two_daemons_never_share_counts() -> None:
    first, second = Metrics(list), Metrics(list)
    first.failed()
    assert 'feedsvc_regenerations_total{result="failed"}' not in second.exposition().decode()


def test_path_classes() -> None:
    assert [path_class(p) for p in ("/all.atom", "/sources/dw.json", "/archive/all/2024-05.rss",
                                     "/zh-hant/archive/sources/dw/2024-05-03.atom", "/", "/archive/all/index.html",
                                     "/feeds.opml", "/healthz", "/metrics", "/robots.txt")] == [
        "feed", "feed", "archive", "archive", "page", "page", "opml", "health", "metrics", "other"]
