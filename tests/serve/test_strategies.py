"""How the daemon notices changed seeds (`serve.strategies`), against a stand-in for the daemon that records what
it is asked to regenerate: polling (snapshots, settling, how often it stats every seed) and following events."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from feedsvc.ingest.scan import ScanResult
from feedsvc.ingest.scan import scan as real_scan
from feedsvc.serve import strategies
from feedsvc.serve.strategies import BY_EVENTS, FollowingEvents, Polling, Snapshot, snapshot
from feedsvc.settings import Settings


class Daemon:
    """What a strategy sees of `serve.daemon.Watcher`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.now = 0.0
        self.cancel = threading.Event()
        self.lock = threading.RLock()
        self.published: Snapshot | None = None
        self.last_error: str | None = None
        self.runs: list[tuple[ScanResult | None, Snapshot | None, bool]] = []
        self.fail = False

    def timer(self) -> float:
        return self.now

    @property
    def settled(self) -> bool:
        return self.published is not None and self.last_error is None

    def regenerate(self, found: ScanResult | None, seen: Snapshot | None, *, rehash: bool = False) -> None:
        self.runs.append((found, seen, rehash))
        self.published, self.last_error = (None, "failed") if self.fail else (seen, None)

    def paths(self, run: int = -1) -> set[str]:
        found = self.runs[run][0]
        assert found is not None
        return set(found.files)


def _seed(seeds: Path, name: str, age: float = 60.0) -> None:
    path = seeds / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<!--1700000000000-->\n[{name}](https://www.dw.com/zh/{name})\n------\n\n<p>x</p>\n",
                    encoding="utf-8")
    when = path.stat().st_mtime - age  # settled long ago: no poll waits for it
    os.utime(path, (when, when))


@pytest.fixture
def daemon(tmp_path: Path, base_settings: Settings) -> Daemon:
    seeds = tmp_path / "seeds"
    _seed(seeds, "dw/1.md")
    return Daemon(replace(base_settings, seeds_dir=seeds, poll_seconds=10.0, settle_seconds=0.2))


def test_a_poll_regenerates_what_changed_and_nothing_else(daemon: Daemon) -> None:
    polling = Polling(daemon)  # type: ignore[arg-type]
    polling.poll()
    assert len(daemon.runs) == 1 and daemon.paths() == {"dw/1.md"}
    assert daemon.runs[0][1] == snapshot(daemon.runs[0][0])
    polling.poll()
    assert len(daemon.runs) == 1, "nothing changed"
    _seed(daemon.settings.seeds_dir, "dw/2.md")
    polling.poll()
    assert len(daemon.runs) == 2 and daemon.paths() == {"dw/1.md", "dw/2.md"}


def test_after_a_failure_the_next_poll_regenerates_though_nothing_changed(daemon: Daemon) -> None:
    polling = Polling(daemon)  # type: ignore[arg-type]
    daemon.fail = True
    polling.poll()
    daemon.fail = False
    polling.poll()
    assert len(daemon.runs) == 2 and daemon.settled


def test_every_seed_is_statted_only_as_often_as_its_cost_allows(daemon: Daemon, monkeypatch: pytest.MonkeyPatch,
                                                                  ) -> None:
    scans: list[float] = []

    def counted(seeds_dir: Path) -> ScanResult:
        scans.append(daemon.now)
        daemon.now += 2.0  # a full snapshot that takes 2 s: one every 20 s at most (SCAN_SHARE)
        return real_scan(seeds_dir)

    monkeypatch.setattr(strategies, "scan", counted)
    polling = Polling(daemon)  # type: ignore[arg-type]
    polling.poll()
    assert polling.full_scan_interval == pytest.approx(2.0 / strategies.SCAN_SHARE)
    daemon.now = 15.0
    polling.poll()  # the directories did not change: only they were looked at
    assert scans == [0.0]
    _seed(daemon.settings.seeds_dir, "voa/3.md")  # a new folder: the seeds directory's mtime changed
    polling.poll()
    assert scans == [0.0, 15.0] and len(daemon.runs) == 2
    daemon.now = 40.0
    polling.poll()  # the interval is over: a full snapshot, which finds nothing new
    assert scans == [0.0, 15.0, 40.0] and len(daemon.runs) == 2


def test_a_seed_still_being_written_is_waited_for(daemon: Daemon) -> None:
    polling = Polling(daemon)  # type: ignore[arg-type]
    polling.poll()
    _seed(daemon.settings.seeds_dir, "dw/2.md", age=0.0)
    started = threading.Event()

    def regenerate(found: ScanResult | None, seen: Snapshot | None, *, rehash: bool = False) -> None:
        started.set()
        Daemon.regenerate(daemon, found, seen, rehash=rehash)

    daemon.regenerate = regenerate  # type: ignore[method-assign]
    polling.poll()  # waits `settle_seconds` for the directory to be quiet, then regenerates once
    assert started.is_set() and len(daemon.runs) == 2 and "dw/2.md" in daemon.paths()


def test_a_rescan_reads_every_seed_again(daemon: Daemon) -> None:
    Polling(daemon).rescan()  # type: ignore[arg-type]
    assert daemon.runs[0][2] is True and daemon.paths() == {"dw/1.md"}


class Events:
    """What `FollowingEvents` sees of `serve.watch.SeedEvents`: batches of changed paths (None: everything)."""

    def __init__(self, daemon: Daemon, batches: list[frozenset[str] | None]) -> None:
        self.daemon, self.batches, self.stopped = daemon, batches, False

    def wait(self, timeout: float) -> bool:
        if not self.batches:
            self.daemon.cancel.set()  # nothing more will happen: the daemon stops
        return bool(self.batches)

    def settle_in(self, settle_seconds: float) -> float:
        return 0.0

    def take(self) -> frozenset[str] | None:
        return self.batches.pop(0) if self.batches else frozenset()

    def stop(self) -> None:
        self.stopped = True


def test_events_regenerate_from_the_paths_they_name(daemon: Daemon) -> None:
    seeds = daemon.settings.seeds_dir
    _seed(seeds, "dw/2.md")
    events = Events(daemon, [frozenset(), frozenset({"dw/3.md"}), None])
    following = FollowingEvents(daemon, events)  # type: ignore[arg-type]
    _seed(seeds, "dw/3.md")
    following.follow()
    assert [seen for _, seen, _ in daemon.runs] == [BY_EVENTS] * 3
    first, second, third = (daemon.paths(n) for n in range(3))
    assert first == {"dw/1.md", "dw/2.md", "dw/3.md"}, "the first look scans everything"
    assert second == first and daemon.runs[1][0] is not None and daemon.runs[1][0].changed == frozenset({"dw/3.md"})
    assert third == first and daemon.runs[2][0] is not None and daemon.runs[2][0].changed is None
    following.stop()
    assert events.stopped


def test_following_returns_after_a_failure(daemon: Daemon) -> None:
    daemon.fail = True
    FollowingEvents(daemon, Events(daemon, [frozenset({"dw/1.md"})])).follow()  # type: ignore[arg-type]
    assert len(daemon.runs) == 1 and not daemon.cancel.is_set()
