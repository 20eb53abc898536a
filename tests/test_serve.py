"""End to end: `feedsvc serve` on a free loopback port over a temporary seeds directory."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, SAMPLES

pytestmark = pytest.mark.timeout(120)


@dataclass
class Daemon:
    process: subprocess.Popen[bytes]
    port: int
    root: Path
    log: Path

    @property
    def seeds(self) -> Path:
        return self.root / "seeds"

    def request(self, path: str, method: str = "GET", headers: dict[str, str] | None = None,
                ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            for name, value in (headers or {}).items():
                connection.putheader(name, value)
            connection.endheaders()
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll `condition` until it holds; fail after `seconds` (a bound, not a sleep the test relies on)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def start(root: Path, *extra: str, env_extra: dict[str, str] | None = None) -> Daemon:
    log = root / "daemon.log"
    env = {**os.environ, "FEEDSVC_CONFIG": str(ROOT / "config" / "feedsvc.toml"), **(env_extra or {})}
    command = [sys.executable, "-m", "feedsvc", "serve", "--port", "0", "--seeds", str(root / "seeds"),
               "--output", str(root / "public"), "--state", str(root / "var"), *extra]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
    holder: dict[str, int] = {}

    def listening() -> bool:
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", log.read_text(errors="replace"))
        if match:
            holder["port"] = int(match.group(1))
        assert process.poll() is None, log.read_text(errors="replace")
        return bool(match)

    wait_for(listening, 20, "the daemon to listen")
    daemon = Daemon(process, holder["port"], root, log)
    wait_for(lambda: daemon.request("/all.atom")[0] == 200, 20, "the first regeneration")
    return daemon


def stop(daemon: Daemon) -> int:
    if daemon.process.poll() is None:
        daemon.process.send_signal(signal.SIGTERM)
    return daemon.process.wait(timeout=10)


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    root = tmp_path_factory.mktemp("serve")
    shutil.copytree(SAMPLES, root / "seeds")
    running = start(root)
    yield running
    stop(running)


def seed_text(number: int, body: str = "<p>正文</p>") -> str:
    return (f"<!--{1_700_000_000_000 + number * 1000}-->\n[测试稿件第{number}号](https://www.dw.com/zh/test/a-{number})\n"
            f"------\n\n{body}\n")


def test_feeds_are_served_with_the_right_headers(daemon: Daemon) -> None:
    status, headers, body = daemon.request("/all.atom")
    assert status == 200
    assert headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert re.fullmatch(r'"[0-9a-f]{32}"', headers["etag"])
    assert headers["last-modified"].endswith(" GMT")
    assert headers["cache-control"] == "public, max-age=60"
    assert headers["vary"] == "Accept-Encoding"
    assert body == (daemon.root / "public" / "all.atom").read_bytes()
    assert daemon.request("/feeds.opml")[1]["content-type"] == "text/x-opml; charset=utf-8"
    status, headers, body = daemon.request("/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8" and b"all.atom" in body
    status, headers, body = daemon.request("/sources/dw.atom", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 1000


def test_every_format_is_served_with_its_media_type(daemon: Daemon) -> None:
    for path, media_type in [("/all.rss", "application/rss+xml"), ("/all.json", "application/feed+json"),
                             ("/sources/dw.rss", "application/rss+xml"), ("/feeds-json.opml", "text/x-opml")]:
        status, headers, _ = daemon.request(path)
        assert (status, headers["content-type"]) == (200, f"{media_type}; charset=utf-8"), path
    _, headers, _ = daemon.request("/all.json")
    status, _, body = daemon.request("/all.json", headers={"If-None-Match": headers["etag"]})
    assert (status, body) == (304, b"")


@pytest.mark.parametrize("name", ["2024-05.atom", "2024-05.html", "index.html"])
def test_the_archives_files_are_compressed_on_request(tmp_path: Path, name: str) -> None:
    import asyncio

    from aiohttp.test_utils import make_mocked_request

    from feedsvc.output.publish import precompressed
    from feedsvc.serve.web import FileServer

    folder = tmp_path / "archive" / "all"
    folder.mkdir(parents=True)
    document = ("<feed>" + "<entry>正文</entry>" * 500 + "</feed>").encode()
    (folder / name).write_bytes(document)
    assert not precompressed(f"archive/all/{name}"), "published without a .gz sibling"
    server = FileServer(tmp_path, 60, lambda: (200, {}))

    def get(headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        request = make_mocked_request("GET", f"/archive/all/{name}", headers=headers)
        response = asyncio.run(server.handle(request))
        return response.status, dict(response.headers), bytes(response.body or b"")  # type: ignore[attr-defined]

    status, headers, body = get({"Accept-Encoding": "gzip"})
    assert (status, headers["Content-Encoding"]) == (200, "gzip") and gzip.decompress(body) == document
    again = get({"Accept-Encoding": "gzip", "If-None-Match": headers["ETag"]})
    assert again[0] == 304
    status, plain_headers, body = get({})
    assert body == document and "Content-Encoding" not in plain_headers and plain_headers["ETag"] != headers["ETag"]


def test_closed_archive_periods_are_immutable(tmp_path: Path) -> None:
    from feedsvc.serve.web import IMMUTABLE, FileServer

    server = FileServer(tmp_path, 60, lambda: (200, {}))
    folder = tmp_path / "zh-hant" / "archive" / "sources" / "dw"
    folder.mkdir(parents=True)
    for name in ("2024-04.atom", "2024-05.atom", "2024-05.rss", "2024-05.html", "index.html"):
        (folder / name).write_text("x")

    def control(name: str) -> str:
        return server.cache_control(f"zh-hant/archive/sources/dw/{name}", folder / name)

    assert control("2024-04.atom") == IMMUTABLE
    assert control("2024-05.atom") == control("2024-05.rss") == control("index.html") == "public, max-age=60"
    assert server.cache_control("all.atom", tmp_path / "all.atom") == "public, max-age=60"
    (folder / "2024-06-01.json").write_text("x")  # a new period opens: May is closed now
    os.utime(folder, ns=(1, folder.stat().st_mtime_ns + 1))
    assert control("2024-05.rss") == IMMUTABLE and control("2024-06-01.json") == "public, max-age=60"


def test_conditional_requests_get_304_with_an_empty_body(daemon: Daemon) -> None:
    _, headers, _ = daemon.request("/all.atom")
    status, again, body = daemon.request("/all.atom", headers={"If-None-Match": headers["etag"]})
    assert (status, body) == (304, b"")
    assert again["etag"] == headers["etag"]
    status, _, body = daemon.request("/all.atom", headers={"If-Modified-Since": headers["last-modified"]})
    assert (status, body) == (304, b"")
    assert daemon.request("/all.atom", headers={"If-None-Match": '"other"'})[0] == 200


def test_gzip_is_served_from_the_sibling(daemon: Daemon) -> None:
    plain = daemon.request("/all.atom")[2]
    status, headers, body = daemon.request("/all.atom", headers={"Accept-Encoding": "gzip, deflate"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == plain
    assert "content-encoding" not in daemon.request("/all.atom", headers={"Accept-Encoding": "gzip;q=0"})[1]


@pytest.mark.parametrize("path", [
    "/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/..%2f..%2f..%2fetc/passwd", "/sources/../../../etc/passwd", "/.%2e/.%2e/etc/passwd",
    "/%252e%252e/%252e%252e/etc/passwd", "/..\\..\\etc\\passwd", "/sources/%00.atom", "//etc/passwd",
    "/sources/", "/sources", "/.all.atom.tmp", "/var/cache.sqlite", "/../var/cache.sqlite", "/nope.atom",
])
def test_nothing_outside_public_is_served(daemon: Daemon, path: str) -> None:
    status, _, body = daemon.request(path)
    assert status in (400, 404), (path, status)
    assert b"root:" not in body and b"SQLite" not in body


def test_symlinks_pointing_out_are_not_followed(daemon: Daemon) -> None:
    secret = daemon.root / "secret.txt"
    secret.write_text("top secret")
    link = daemon.root / "public" / "leak.atom"
    link.symlink_to(secret)
    try:
        assert daemon.request("/leak.atom")[0] == 404
    finally:
        link.unlink()


def test_metrics(daemon: Daemon) -> None:
    daemon.request("/all.atom")
    status, headers, body = daemon.request("/metrics")
    text = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/plain; version=")
    assert 'feedsvc_regenerations_total{result="ok"}' in text
    assert 'feedsvc_http_requests_total{path="feed",status="200"}' in text
    assert 'feedsvc_feed_newest_entry_age_seconds{feed="all"}' in text
    assert "process_resident_memory_bytes" in text


def test_healthz(daemon: Daemon) -> None:
    status, headers, body = daemon.request("/healthz")
    assert status == 200 and headers["content-type"].startswith("application/json")
    health = json.loads(body)
    assert health["status"] == "ok" and health["entries"] >= 3 and health["last_error"] is None
    assert set(health["sources"]) >= {"dw", "voa", "rfa"}


def test_a_new_seed_appears_in_the_served_feed(daemon: Daemon) -> None:
    assert "with filesystem events" in daemon.log_text(), "watch = auto uses events where there are some"
    (daemon.seeds / "new.txt").write_text(seed_text(1), encoding="utf-8")
    wait_for(lambda: "测试稿件第1号" in daemon.request("/all.atom")[2].decode(), 15, "the new seed to be served")


@pytest.mark.slow
def test_polling_serves_a_new_seed_too(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES, tmp_path / "seeds")
    polling = start(tmp_path, env_extra={"FEEDSVC_WATCH": "poll"})
    try:
        assert "polling" in polling.log_text()
        (polling.seeds / "sub").mkdir()  # a new sub-directory, too
        (polling.seeds / "sub" / "new.txt").write_text(seed_text(5), encoding="utf-8")
        wait_for(lambda: "测试稿件第5号" in polling.request("/all.atom")[2].decode(), 15, "the new seed")
        (polling.seeds / "sub" / "new.txt").unlink()
        wait_for(lambda: "测试稿件第5号" not in polling.request("/all.atom")[2].decode(), 15, "the removal")
    finally:
        assert stop(polling) == 0


@pytest.mark.slow
def test_events_see_renames_deletions_and_a_replaced_seeds_directory(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES, tmp_path / "seeds")
    watching = start(tmp_path, env_extra={"FEEDSVC_WATCH": "events"})
    try:
        (tmp_path / "staged.txt").write_text(seed_text(6), encoding="utf-8")
        os.rename(tmp_path / "staged.txt", watching.seeds / "renamed-in.txt")
        wait_for(lambda: "测试稿件第6号" in watching.request("/all.atom")[2].decode(), 15, "the renamed seed")
        (watching.seeds / "renamed-in.txt").unlink()
        wait_for(lambda: "测试稿件第6号" not in watching.request("/all.atom")[2].decode(), 15, "the deletion")
        replacement = tmp_path / "seeds.new"  # a deploy that swaps the whole directory
        shutil.copytree(SAMPLES, replacement)
        (replacement / "fresh.txt").write_text(seed_text(7), encoding="utf-8")
        os.rename(watching.seeds, tmp_path / "seeds.old")
        os.rename(replacement, watching.seeds)
        wait_for(lambda: "测试稿件第7号" in watching.request("/all.atom")[2].decode(), 15, "the replaced directory")
        (watching.seeds / "after.txt").write_text(seed_text(8), encoding="utf-8")  # and it is watched again
        wait_for(lambda: "测试稿件第8号" in watching.request("/all.atom")[2].decode(), 15, "a seed in the new one")
    finally:
        assert stop(watching) == 0


@pytest.mark.slow
def test_a_burst_of_seeds_gives_one_or_two_regenerations(tmp_path: Path) -> None:
    """A `git pull` of hundreds of seeds: events settle once the burst is over, and the daemon reads only the
    seeds they name."""
    shutil.copytree(SAMPLES, tmp_path / "seeds")
    watching = start(tmp_path, env_extra={"FEEDSVC_WATCH": "events"})
    try:
        def health() -> dict[str, Any]:
            return dict(json.loads(watching.request("/healthz")[2]))

        before = health()["regenerations"]
        staged = tmp_path / "pulled"
        staged.mkdir()
        for number in range(400):  # written in place, in two directories, as fast as Python can
            target = watching.seeds / ("burst" if number % 2 else "") / f"burst-{number}.txt"
            target.parent.mkdir(exist_ok=True)
            target.write_text(seed_text(1000 + number), encoding="utf-8")
        wait_for(lambda: health()["entries"] == 403, 30, "the whole burst to be served")
        assert health()["regenerations"] - before <= 2
        assert "regenerated: seeds 403 (" in watching.log_text()
    finally:
        assert stop(watching) == 0


def test_a_queue_overflow_counts_as_a_change(tmp_path: Path) -> None:
    from watchdog.events import EventsLostEvent

    from feedsvc.serve.watch import SeedEvents

    events = SeedEvents(tmp_path)
    events.start()
    try:
        assert not events.pending()
        handler = next(iter(events._observer._handlers.values()))  # type: ignore[union-attr]
        for each in handler:  # as the observer dispatches the event watchdog queues after an overflow
            each.dispatch(EventsLostEvent(str(tmp_path), is_directory=True))
        assert events.pending(), "lost events: the daemon scans everything"
        assert events.take() is None, "a full scan"
        (tmp_path / "x.txt").write_text("x")
        wait_for(events.pending, 5, "the event")
    finally:
        events.stop()


def test_a_seed_written_in_two_halves_is_never_served_truncated(daemon: Daemon) -> None:
    text = seed_text(2, "<p>第一段开头。</p>" + "<p>中间的段落。</p>" * 40 + "<p>最后一段结尾。</p>")
    data = text.encode("utf-8")
    cut = len(data) // 2
    while data[cut - 1:cut] == b"\n":
        cut += 1
    path = daemon.seeds / "halves.txt"
    with path.open("wb") as handle:
        handle.write(data[:cut])
        handle.flush()
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:  # the first half sits there for a second, through several polls
            assert "测试稿件第2号".encode() not in daemon.request("/all.atom")[2]
            time.sleep(0.05)
        handle.write(data[cut:])
    wait_for(lambda: "最后一段结尾".encode() in daemon.request("/all.atom")[2], 15, "the complete seed")


@pytest.mark.slow
def test_a_burst_gives_one_or_two_regenerations(daemon: Daemon) -> None:
    wait_for(lambda: "测试稿件第1号" in daemon.request("/all.atom")[2].decode(), 15, "earlier arrivals to settle")
    time.sleep(1.5)  # let any regeneration already under way finish; the count below starts after it
    before = daemon.log_text().count("regenerated:")
    burst = daemon.root / "burst"
    burst.mkdir()
    for number in range(100, 600):
        (burst / f"{number}.txt").write_text(seed_text(number), encoding="utf-8")
    os.rename(burst, daemon.seeds / "burst")  # a git pull lands hundreds of files at once
    wait_for(lambda: "测试稿件第599号" in daemon.request("/all.atom")[2].decode(), 30, "the burst to be served")
    time.sleep(1.5)
    after = daemon.log_text().count("regenerated:")
    assert 1 <= after - before <= 2, daemon.log_text()


def test_bad_seed_is_reported_once_and_the_daemon_stays_up(daemon: Daemon) -> None:
    (daemon.seeds / "broken.md").write_bytes(b"\x00\x01 not a seed\n")
    wait_for(lambda: "skipped seed broken.md" in daemon.log_text(), 15, "the warning")
    (daemon.seeds / "another.txt").write_text(seed_text(9000), encoding="utf-8")  # newer than the burst's
    wait_for(lambda: "测试稿件第9000号" in daemon.request("/all.atom")[2].decode(), 15, "the next seed")
    assert daemon.log_text().count("skipped seed broken.md") == 1


def test_git_lfs_pointers_are_one_warning_and_counted_in_healthz(daemon: Daemon) -> None:
    pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"cd" * 32 + b"\nsize 812\n"
    for number in range(3):
        (daemon.seeds / f"lfs-{number}.md").write_bytes(pointer)
    wait_for(lambda: json.loads(daemon.request("/healthz")[2])["lfs_pointers"] == 3, 15, "the pointers counted")
    health = json.loads(daemon.request("/healthz")[2])
    assert health["warnings"] == ["3 seeds are git LFS pointers, not articles (first: lfs-0.md): run "
                                  "`git lfs install && git lfs pull` in the seeds repository"]
    wait_for(lambda: "git LFS pointers" in daemon.log_text(), 15, "the warning")
    assert "skipped seed lfs-" not in daemon.log_text()


@pytest.mark.slow
def test_sighup_with_a_bad_config_keeps_the_old_one(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES, tmp_path / "seeds")
    config = tmp_path / "feedsvc.toml"
    config.write_text((ROOT / "config" / "feedsvc.toml").read_text(encoding="utf-8"), encoding="utf-8")
    running = start(tmp_path, "--config", str(config))
    try:
        config.write_text("max_entries = -5\n")
        running.process.send_signal(signal.SIGHUP)
        wait_for(lambda: "configuration not reloaded" in running.log_text(), 10, "the reload error")
        assert running.request("/all.atom")[0] == 200
        config.write_text('title = "Renamed"\n')
        running.process.send_signal(signal.SIGHUP)
        wait_for(lambda: b"<title>Renamed</title>" in running.request("/all.atom")[2], 15, "the new title")
    finally:
        started = time.monotonic()
        assert stop(running) == 0
        assert time.monotonic() - started < 5


def test_oversized_headers_are_refused_and_the_server_stays_up(daemon: Daemon) -> None:
    status, _, _ = daemon.request("/all.atom", headers={"X-Padding": "a" * 100_000})
    assert status in (400, 413, 431)
    assert daemon.request("/all.atom")[0] == 200


def test_slow_clients_do_not_block_others(daemon: Daemon) -> None:
    import socket

    slow = [socket.create_connection(("127.0.0.1", daemon.port), timeout=5) for _ in range(20)]
    try:
        for sock in slow:
            sock.sendall(b"GET /all.atom HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # and never finish
        started = time.monotonic()
        assert daemon.request("/all.atom")[0] == 200
        assert time.monotonic() - started < 2
    finally:
        for sock in slow:
            sock.close()


def test_a_poll_snapshot_changes_with_any_seed_and_knows_the_newest(tmp_path: Path) -> None:
    from feedsvc.ingest.scan import scan
    from feedsvc.serve.strategies import _quiet_for
    from feedsvc.serve.strategies import snapshot as _files

    seeds = tmp_path / "seeds"
    (seeds / "sub").mkdir(parents=True)
    for name, when in (("a.txt", 1_000), ("sub/b.txt", 2_000)):
        (seeds / name).write_text("seed")
        os.utime(seeds / name, ns=(when * 10**9, when * 10**9))
    first = _files(scan(seeds))
    assert first is not None and _files(scan(seeds)) == first
    assert first[0] == 2 and first[2] == 2_000 * 10**9
    assert _quiet_for(first) > time.time() - 2_001
    changes: list[Callable[[], object]] = [
        lambda: (seeds / "a.txt").write_text("same size"),  # rewritten in place: as many seeds as before
        lambda: os.utime(seeds / "sub/b.txt", ns=(5, 5)),  # only the mtime
        lambda: (seeds / "sub/b.txt").rename(seeds / "sub/c.txt"),  # only the path
    ]
    seen = {first}
    for change in changes:
        change()
        now = _files(scan(seeds))
        assert now is not None and now not in seen
        seen.add(now)
    assert _files(None) is None and _quiet_for(None) == 0.0


def test_search_is_served_with_its_opensearch_description(daemon: Daemon) -> None:
    wait_for(lambda: daemon.request("/search?q=%E6%A0%B8")[2].count(b'<li><a href="stories/') == 3, 20,
             "the index, built in the background after the first run")  # 核
    status, headers, body = daemon.request("/search?q=%E6%A0%B8")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert "search index built: 3 stories" in daemon.log_text()
    status, headers, body = daemon.request("/search.atom?q=Mallory")
    assert status == 200 and headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert b"<opensearch:totalResults>2</opensearch:totalResults>" in body
    assert daemon.request("/search.rss?q=%22")[0] == 400
    status, headers, body = daemon.request("/opensearch.xml")
    assert status == 200 and headers["content-type"] == "application/opensearchdescription+xml; charset=utf-8"
    assert b"search?q={searchTerms}" in body


def test_a_new_story_is_searchable_once_it_is_served(daemon: Daemon) -> None:
    (daemon.seeds / "searchable.txt").write_text(seed_text(990, "<p>獨一無二的鸕鶿報道</p>"), encoding="utf-8")
    wait_for(lambda: "测试稿件第990号" in daemon.request("/all.atom")[2].decode(), 10, "the new story")
    status, _, body = daemon.request("/search?q=%E9%B8%AC%E9%B9%9A")  # 鸬鹚, in Simplified
    assert status == 200 and "测试稿件第990号" in body.decode()
