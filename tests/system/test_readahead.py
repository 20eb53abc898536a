"""Reading seeds ahead: items keep their order and their errors, the reading stays a bounded window ahead and
stops with its consumer, and a cold run and a burst both ask for every seed they read."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import feedsvc.system.readahead
from feedsvc.system.readahead import advise, read_ahead
from tests.conftest import NOW

WAIT = 10.0
"""Seconds a test waits for the read-ahead thread to reach a point it must reach (it does at once)."""


def _fillers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "read-ahead"]


def test_items_come_in_order_and_every_one_is_advised() -> None:
    advised: list[int] = []

    def path_of(n: int) -> Path:
        advised.append(n)
        return Path(f"/nonexistent/{n}")

    items = list(range(1000))
    assert list(read_ahead(items, path_of, window=7)) == items
    assert advised == items
    assert _fillers() == []


def test_one_item_or_none_starts_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[threading.Thread] = []
    real_start = threading.Thread.start

    def start(thread: threading.Thread) -> None:
        started.append(thread)
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", start)
    assert list(read_ahead([], lambda n: Path("/nonexistent"))) == []
    assert list(read_ahead([7], lambda n: Path(f"/nonexistent/{n}"))) == [7]
    assert started == []
    assert list(read_ahead([7, 8], lambda n: Path(f"/nonexistent/{n}"))) == [7, 8]
    assert [t.name for t in started] == ["read-ahead"]


def test_the_reading_stays_a_window_ahead() -> None:
    window = 16
    advised: list[int] = []
    reached = threading.Event()

    def path_of(n: int) -> Path:
        advised.append(n)
        if len(advised) > window:
            reached.set()
        return Path(f"/nonexistent/{n}")

    ahead = read_ahead(range(10_000), path_of, window=window)
    assert next(ahead) == 0
    assert reached.wait(WAIT), "the filler does not read ahead of the consumer"
    # `window` items wait in the queue and one more waits to be put: the filler can go no further
    assert window < len(advised) <= window + 2
    ahead.close()
    assert _fillers() == []
    assert len(advised) <= window + 2


def test_an_error_of_the_items_is_raised_where_it_happened() -> None:
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("the third item is broken")

    got: list[int] = []
    with pytest.raises(ValueError, match="third item"):
        for n in read_ahead(items(), lambda n: Path(f"/nonexistent/{n}"), window=4):
            got.append(n)
    assert got == [1, 2]
    assert _fillers() == []


def test_advise_asks_for_regular_files_only_and_never_raises(tmp_path: Path) -> None:
    seed = tmp_path / "seed.txt"
    seed.write_text("text\n", encoding="utf-8")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert advise(seed) is hasattr(os, "posix_fadvise")
    assert advise(tmp_path / "missing.txt") is False
    assert advise(tmp_path) is False  # a directory
    assert advise(fifo) is False  # opened without blocking, never read


def _count_advised(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    advised: list[str] = []
    real = feedsvc.system.readahead.advise

    def recording(path: Path) -> bool:
        advised.append(path.name)
        return real(path)

    monkeypatch.setattr(feedsvc.system.readahead, "advise", recording)
    return advised


def _write(seeds: Path, names: range) -> None:
    body = "<p>" + "正文。" * 200 + "</p>"
    for number in names:
        (seeds / f"{number}.txt").write_text(
            f"<!--{1_700_000_000_000 + number * 60_000}-->\n[第{number}篇](https://www.dw.com/zh/a-{number})\n"
            f"------\n\n{body}\n", encoding="utf-8")


def test_a_cold_run_in_workers_and_a_burst_read_every_seed_ahead(make_settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from feedsvc.pipeline import regenerate

    advised = _count_advised(monkeypatch)
    settings = make_settings(workers=2, archives=False, formats=["atom"])
    _write(settings.seeds_dir, range(60))  # enough to be cleaned in worker processes
    report = regenerate(settings, NOW)
    assert (report.new, report.entries) == (60, 60)
    assert sorted(advised) == sorted(f"{n}.txt" for n in range(60))  # asked for once each, by the cleaning
    advised.clear()
    _write(settings.seeds_dir, range(60, 70))  # a burst into a cached archive: hashed first, then cleaned
    report = regenerate(settings, NOW)
    assert (report.new, report.entries) == (10, 70)
    assert sorted(advised) == sorted(f"{n}.txt" for n in range(60, 70))  # by triage (ten clean in this process)
    assert _fillers() == []

