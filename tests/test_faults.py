"""Faults around a regeneration: concurrent runs, and a daemon that keeps running and recovers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest

from feedsvc.ingest.scan import ScanResult, scan
from feedsvc.serve.daemon import Watcher
from feedsvc.serve.strategies import Polling
from feedsvc.settings import Settings
from tests.conftest import NOW, ROOT, SAMPLES


def _write_seeds(seeds: Path, count: int, body: str) -> None:
    for number in range(count):
        (seeds / f"{number}.txt").write_text(
            f"<!--{1_700_000_000_000 + number}-->\n[第{number}篇](https://www.dw.com/zh/a-{number})\n------\n\n"
            + body + "\n", encoding="utf-8")


def _regenerate_command(tmp_path: Path, seeds: Path, flag: str) -> list[str]:
    return [sys.executable, "-m", "feedsvc", "regenerate", "--seeds", str(seeds), "--output",
            str(tmp_path / "public"), "--state", str(tmp_path / "var"), flag]


@pytest.mark.slow
def test_two_regenerations_at_once_are_serialized(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SAMPLES, seeds)
    _write_seeds(seeds, 200, "<p>正文。</p>" * 50)
    command = _regenerate_command(tmp_path, seeds, "--json")
    env = {**os.environ, "FEEDSVC_CONFIG": str(ROOT / "config" / "feedsvc.toml")}
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE)
    second = subprocess.Popen(command, env=env, stdout=subprocess.PIPE)
    outputs = [first.communicate(timeout=120)[0], second.communicate(timeout=120)[0]]
    assert first.returncode == second.returncode == 0
    import json

    reports = [json.loads(out) for out in outputs]
    assert sorted(r["new"] for r in reports) == [0, 203]  # one did the work; the other waited and found it done
    parsed = feedparser.parse((tmp_path / "public" / "all.atom").read_bytes())
    assert parsed.bozo == 0 and len(parsed.entries) == 100


def test_daemon_survives_faults_and_recovers(make_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the output directory should be")
    settings: Settings = make_settings(output_dir=blocker / "public", settle_seconds=0.0)
    for sample in SAMPLES.iterdir():
        shutil.copy(sample, settings.seeds_dir / sample.name)
    watcher = Watcher(settings, clock=lambda: NOW)
    polling = watcher.strategy = Polling(watcher)
    polling.poll()
    status, health = watcher.health()
    assert status == 503 and "cannot write" in health["last_error"]
    blocker.unlink()
    polling.poll()  # the fault cleared: the next poll publishes, even though no seed changed
    status, health = watcher.health()
    assert status == 200 and health["entries"] == 3 and health["last_error"] is None
    shutil.rmtree(settings.seeds_dir)
    polling.poll()
    status, health = watcher.health()
    assert status == 503 and "seeds directory cannot be read" in health["last_error"]
    assert len(feedparser.parse((blocker / "public" / "all.atom").read_bytes()).entries) == 3


def test_health_goes_stale(make_settings) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    settings: Settings = make_settings(settle_seconds=0.0, health_max_age_minutes=10)
    shutil.copy(SAMPLES / "002_7e59d68a7c4f54af.txt", settings.seeds_dir)
    now = [NOW]
    watcher = Watcher(settings, clock=lambda: now[0])
    polling = watcher.strategy = Polling(watcher)
    polling.poll()
    assert watcher.health()[0] == 200
    now[0] = NOW + timedelta(minutes=11)
    status, health = watcher.health()
    assert status == 503 and health["sources"]["voa"]["entries"] == 1


@pytest.mark.parametrize("change", ["noticed by stat", "same size and mtime"])
def test_a_seed_changed_between_hashing_and_cleaning_is_read_again(  # type: ignore[no-untyped-def]
        make_settings, monkeypatch, change: str) -> None:
    """Seeds are hashed, then read again where they are cleaned; one that changed in between keeps its
    published version for this run and is picked up by the next."""
    import feedsvc.ingest.work
    from feedsvc.errors import SeedReadError
    from feedsvc.ingest.scan import CHANGED_WHILE_READ, read_seed
    from feedsvc.pipeline import regenerate

    settings: Settings = make_settings()
    for sample in SAMPLES.iterdir():
        shutil.copy(sample, settings.seeds_dir / sample.name)
    regenerate(settings, NOW)
    seed = settings.seeds_dir / "000_5e86a5536f436506.txt"
    text = seed.read_text(encoding="utf-8")
    seed.write_text(text.replace("[", "[更正：", 1), encoding="utf-8")
    real_read = read_seed

    def changing(seeds_dir: Path, seed_file, limit: int) -> bytes:  # type: ignore[no-untyped-def]
        if seed_file.path != seed.name:
            return real_read(seeds_dir, seed_file, limit)
        if change == "noticed by stat":
            raise SeedReadError(CHANGED_WHILE_READ, transient=True)
        return real_read(seeds_dir, seed_file, limit).replace("更正".encode(), "订正".encode())

    monkeypatch.setattr(feedsvc.ingest.work, "read_seed", changing)
    report = regenerate(settings, NOW)
    assert report.deferred == (seed.name,)
    assert [p.reason for p in report.skipped if p.path == seed.name] == [CHANGED_WHILE_READ]
    titles = [e.title for e in feedparser.parse((settings.output_dir / "all.atom").read_bytes()).entries]
    assert len(titles) == 3 and not any(t.startswith("更正：") for t in titles), titles
    monkeypatch.setattr(feedsvc.ingest.work, "read_seed", real_read)
    report = regenerate(settings, NOW)
    assert report.deferred == () and report.changed == 1
    titles = [e.title for e in feedparser.parse((settings.output_dir / "all.atom").read_bytes()).entries]
    assert sum(t.startswith("更正：") for t in titles) == 1 and len(titles) == 3


def test_a_first_run_reads_each_seed_once_where_it_is_cleaned(make_settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """With nothing cached no digest can spare work, so triage reads no seed and each is read (and hashed) once,
    where it is cleaned; once outcomes are cached, a new seed is hashed first (it may be a copy of a cached one)."""
    import feedsvc.ingest.triage
    import feedsvc.ingest.work
    from feedsvc.ingest.scan import read_seed
    from feedsvc.pipeline import regenerate

    reads: dict[str, list[str]] = {"triage": [], "work": []}

    def counting(where: str):  # type: ignore[no-untyped-def]
        def read(seeds_dir: Path, seed_file, limit: int) -> bytes:  # type: ignore[no-untyped-def]
            reads[where].append(seed_file.path)
            return read_seed(seeds_dir, seed_file, limit)
        return read

    monkeypatch.setattr(feedsvc.ingest.triage, "read_seed", counting("triage"))
    monkeypatch.setattr(feedsvc.ingest.work, "read_seed", counting("work"))
    settings: Settings = make_settings()
    for sample in SAMPLES.iterdir():
        shutil.copy(sample, settings.seeds_dir / sample.name)
    report = regenerate(settings, NOW)
    names = sorted(p.name for p in SAMPLES.iterdir())
    assert reads["triage"] == [] and sorted(reads["work"]) == names
    assert (report.new, report.entries, report.skipped) == (3, 3, ())
    copy = settings.seeds_dir / "copy.txt"
    shutil.copy(SAMPLES / names[0], copy)
    reads["work"].clear()
    report = regenerate(settings, NOW)
    assert reads["triage"] == ["copy.txt"] and reads["work"] == []  # its content's outcome is cached
    assert (report.new, report.entries) == (1, 3)


def test_a_half_written_seed_of_a_first_run_waits_for_the_next(make_settings) -> None:  # type: ignore[no-untyped-def]
    """Where it is cleaned, a seed read for the first time is checked as triage checks one: no final newline and
    written moments ago, it is deferred, not published truncated; an unreadable one is a problem at once."""
    from feedsvc.pipeline import regenerate

    settings: Settings = make_settings()
    (settings.seeds_dir / "whole.txt").write_text(
        "<!--1700000000000-->\n[整篇](https://www.dw.com/zh/a-1)\n------\n\n<p>全文。</p>\n", encoding="utf-8")
    half = settings.seeds_dir / "half.txt"
    half.write_text("<!--1700000001000-->\n[半篇](https://www.dw.com/zh/a-2)\n------\n\n<p>写了一", encoding="utf-8")
    (settings.seeds_dir / "binary.txt").write_bytes(b"<!--1700000002000-->\n\x00\x01\n")
    written = datetime.fromtimestamp(half.stat().st_mtime, UTC)
    report = regenerate(settings, written + timedelta(seconds=1))
    assert report.deferred == ("half.txt",) and report.entries == 1
    assert {p.path for p in report.skipped} == {"half.txt", "binary.txt"}
    assert "NUL" in {p.path: p.reason for p in report.skipped}["binary.txt"]
    half.write_text(half.read_text(encoding="utf-8") + "半。</p>\n", encoding="utf-8")
    report = regenerate(settings, datetime.fromtimestamp(half.stat().st_mtime, UTC) + timedelta(seconds=1))
    assert report.deferred == () and report.entries == 2
    assert "写了一半。" in (settings.output_dir / "all.atom").read_text(encoding="utf-8")


def _descendants(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        for task in Path(f"/proc/{pending.pop()}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            pending += children
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc to list child processes")
def test_workers_of_a_killed_regeneration_exit(tmp_path: Path) -> None:
    """kill -9 of a cold run must not leave its worker processes waiting for work forever."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    _write_seeds(seeds, 600, "<p>正文<b>加粗</b>。</p><div class='x'><span>段落</span></div>" * 150)
    command = _regenerate_command(tmp_path, seeds, "-q")
    env = {**os.environ, "FEEDSVC_CONFIG": str(ROOT / "config" / "feedsvc.toml"), "FEEDSVC_WORKERS": "2"}
    process = subprocess.Popen(command, env=env)
    workers: list[int] = []
    deadline = time.monotonic() + 60
    while len(workers) < 2 and process.poll() is None and time.monotonic() < deadline:
        workers = _descendants(process.pid)
        time.sleep(0.02)
    process.kill()
    process.wait()
    assert len(workers) >= 2, "the run ended before its workers were seen"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in workers):
        time.sleep(0.1)
    assert [pid for pid in workers if Path(f"/proc/{pid}").exists()] == []


def test_polls_between_full_scans_see_new_seeds_by_directory_mtime(make_settings) -> None:  # type: ignore[no-untyped-def]
    """A full snapshot stats every seed, so it runs only as often as its cost allows; in between, a poll stats
    the directories, which is enough to see seeds created, removed or renamed, but not one rewritten in place."""
    settings: Settings = make_settings(settle_seconds=0.0, poll_seconds=1.0)
    (settings.seeds_dir / "sub").mkdir()
    shutil.copy(SAMPLES / "002_7e59d68a7c4f54af.txt", settings.seeds_dir / "sub")
    now = [1000.0]
    watcher = Watcher(settings, clock=lambda: NOW, timer=lambda: now[0])
    polling = watcher.strategy = Polling(watcher)
    polling.poll()
    assert watcher.regenerations == 1 and polling.full_scan_interval == 1.0
    shutil.copy(SAMPLES / "003_a3daf6ad2938cf1d.txt", settings.seeds_dir / "sub")  # created: sub's mtime moves
    polling.poll()
    assert watcher.regenerations == 2 and watcher.last_report is not None and watcher.last_report.entries == 2
    rewritten = settings.seeds_dir / "sub" / "002_7e59d68a7c4f54af.txt"
    rewritten.write_text(rewritten.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    polling.poll()  # in place, and the last full snapshot is younger than its interval: not seen yet
    assert watcher.regenerations == 2
    now[0] += 1.0
    polling.poll()
    assert watcher.regenerations == 3 and watcher.last_report is not None and watcher.last_report.changed == 1


def test_a_poll_longer_than_its_interval_delays_the_next_instead_of_being_skipped(caplog) -> None:  # type: ignore[no-untyped-def]
    """While a run lasts, no later run of the job is scheduled at all, so none can be due, overlap or be skipped
    (APScheduler would log each skip); the next comes after the run ends."""
    import logging
    import threading
    from datetime import UTC

    from apscheduler.schedulers.background import BackgroundScheduler

    from feedsvc.serve.daemon import repeat

    scheduler = BackgroundScheduler(timezone=UTC)
    scheduled_during_runs: list[list[str]] = []
    ran = threading.Semaphore(0)
    release = threading.Event()

    def job() -> None:
        scheduled_during_runs.append([j.id for j in scheduler.get_jobs()])
        ran.release()
        release.wait(10)  # the first run lasts until the test has looked, far longer than the interval

    repeat(scheduler, "poll", 0.01, job, at_once=True)
    with caplog.at_level(logging.DEBUG, logger="apscheduler"):
        scheduler.start()
        assert ran.acquire(timeout=10)
        release.set()
        assert ran.acquire(timeout=10)  # a next run, after the first ended
        scheduler.shutdown()
    assert scheduled_during_runs[:2] == [[], []]
    assert not [r for r in caplog.records if "skipped" in r.getMessage() or "missed" in r.getMessage()]


def test_the_daemon_regenerates_from_its_own_scan(make_settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The poll's scan is handed to the regeneration (no second scan); a seed removed in between is deferred,
    keeps its published version, and is gone after the next poll."""
    import feedsvc.pipeline

    settings: Settings = make_settings(settle_seconds=0.0, min_seed_ratio=0.0)
    for sample in SAMPLES.iterdir():
        shutil.copy(sample, settings.seeds_dir / sample.name)
    scans: list[Path] = []

    def counted(path: Path) -> ScanResult:
        scans.append(path)
        return scan(path)

    monkeypatch.setattr(feedsvc.pipeline, "scan", counted)
    watcher = Watcher(settings, clock=lambda: NOW)
    polling = watcher.strategy = Polling(watcher)
    polling.poll()
    assert scans == [] and watcher.last_report is not None and watcher.last_report.entries == 3
    (settings.seeds_dir / "003_a3daf6ad2938cf1d.txt").write_text("changed", encoding="utf-8")
    found = scan(settings.seeds_dir)
    (settings.seeds_dir / "003_a3daf6ad2938cf1d.txt").unlink()
    watcher.regenerate(found, None)
    report = watcher.last_report
    assert report is not None and report.deferred == ("003_a3daf6ad2938cf1d.txt",) and report.entries == 3
    polling.poll()
    assert watcher.last_report is not None and watcher.last_report.entries == 2 and scans == []


def test_a_script_without_a_main_guard_fails_with_a_reason_instead_of_hanging(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for number in range(60):  # enough to clean in worker processes
        (seeds / f"{number:03}.txt").write_text(
            f"<!--{1_700_000_000_000 + number * 1000}-->\n[稿件{number}](https://www.dw.com/zh/a-{number})\n"
            "------\n\n<p>正文</p>\n", encoding="utf-8")
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from dataclasses import replace\nfrom datetime import UTC, datetime\nfrom pathlib import Path\n"
        "from feedsvc.pipeline import regenerate\nfrom feedsvc.settings import load_settings\n"
        f"base = Path({str(tmp_path)!r})\n"
        "settings = replace(load_settings(None), seeds_dir=base / 'seeds', output_dir=base / 'public',\n"
        "                   state_dir=base / 'var', workers=2)\n"
        "regenerate(settings, datetime(2024, 1, 1, tzinfo=UTC))\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode != 0
    assert 'if __name__ == "__main__":' in done.stderr


def test_a_stopped_worker_leaves_with_its_output_flushed(tmp_path: Path) -> None:
    # What a worker printed comes out, and it leaves with status 0, by the end of `close`.
    script = tmp_path / "pooled.py"
    script.write_text(
        "import sys\n"
        "from feedsvc.ingest.pool import WorkerPool\n"
        "def ready():\n    pass\n"
        "def task(n):\n    print(f'worker line {n}', end='')\n    sys.stderr.write('worker error line')\n"
        "    return n\n"
        "if __name__ == '__main__':\n"
        "    pool = WorkerPool(1, ready, ())\n"
        "    assert pool.executor().submit(task, 7).result() == 7\n"
        "    processes = list(pool.executor()._processes.values())\n"
        "    pool.close()\n"
        "    print(' exit codes', [p.exitcode for p in processes])\n", encoding="utf-8")
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=True,
                          cwd=tmp_path, env=env)
    assert done.stdout == "worker line 7 exit codes [0]\n"
    assert done.stderr == "worker error line"
