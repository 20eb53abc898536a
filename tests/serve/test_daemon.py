"""serve.daemon, serve.strategies and serve.watch, end to end: a daemon on a free loopback port sees every change to
its seeds directory (events or polling), regenerates once for a burst, never serves a half-written seed, reports a bad
seed once and keeps running, and reloads its configuration on SIGHUP."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, SAMPLES
from tests.daemon import Daemon, seed_text, start, stop, wait_for

pytestmark = pytest.mark.timeout(120)


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


def test_a_new_story_is_searchable_once_it_is_served(daemon: Daemon) -> None:
    (daemon.seeds / "searchable.txt").write_text(seed_text(990, "<p>獨一無二的鸕鶿報道</p>"), encoding="utf-8")
    wait_for(lambda: "测试稿件第990号" in daemon.request("/all.atom")[2].decode(), 10, "the new story")
    status, _, body = daemon.request("/search?q=%E9%B8%AC%E9%B9%9A")  # 鸬鹚, in Simplified
    assert status == 200 and "测试稿件第990号" in body.decode()
