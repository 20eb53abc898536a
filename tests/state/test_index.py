"""The in-memory story index and the event-driven scan: whatever the daemon keeps between runs and updates by
difference must equal what a fresh load from the cache and a full scan give, and publish the same bytes."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedsvc.ingest.scan import ScanResult, SeedTree, scan
from feedsvc.model import Story, Version
from feedsvc.output.archive import _names, paginate
from feedsvc.pipeline import RunOptions, fingerprint, regenerate
from feedsvc.settings import Settings
from feedsvc.state.cache import Cache
from feedsvc.state.index import UNIFIED, Index, Memory
from feedsvc.stories.group import newest
from tests.conftest import START, published, write_seed

NOW = datetime(2024, 6, 1, tzinfo=UTC)


def _comparable(index: Index) -> tuple[object, ...]:
    return (index.known, index.cached, index.problems, index.paths,
            {d: sorted(v) for d, v in index.versions.items()},
            {k: sorted(g) for k, g in index.groups.items()}, index.stories,
            {name: members for name, members in index.ordered.items() if members})


def _fresh(settings: Settings) -> Index:
    with Cache.open(settings.state_dir / "cache.sqlite") as cache:
        return Index.load(cache, fingerprint(settings))


def _same_files(found: ScanResult, seeds: Path) -> None:
    full = scan(seeds)
    assert dict(found.files) == dict(full.files) and found.summary == full.summary
    assert set(found.skipped) == set(full.skipped)


def _changes(seeds: Path) -> list[tuple[str, Callable[[], list[str]]]]:
    """Edits of a seeds directory, each returning the paths events would name."""
    def new() -> list[str]:
        write_seed(seeds, 500, START + timedelta(days=200))
        return ["0500.txt"]

    def rewritten() -> list[str]:  # the same story, newer content: one story changes, none is added
        path = seeds / "0003.txt"
        path.write_text(path.read_text(encoding="utf-8").replace("的正文", "的新正文"), encoding="utf-8")
        return ["0003.txt"]

    def duplicate() -> list[str]:  # another seed of an existing story: merged, not added
        shutil.copy(seeds / "0004.txt", seeds / "copy-of-4.txt")
        with (seeds / "copy-of-4.txt").open("a", encoding="utf-8") as out:
            out.write("<p>更新。</p>\n")
        return ["copy-of-4.txt"]

    def removed() -> list[str]:
        (seeds / "0007.txt").unlink()
        return ["0007.txt"]

    def renamed() -> list[str]:
        os.rename(seeds / "0008.txt", seeds / "renamed-8.txt")
        return ["0008.txt", "renamed-8.txt"]

    def late() -> list[str]:  # an old story arriving late: only its own period changes
        write_seed(seeds, 501, START + timedelta(days=3))
        return ["0501.txt"]

    def directory() -> list[str]:  # a sub-directory moved in whole, then one moved away
        staged = seeds.parent / "incoming"
        staged.mkdir()
        for number in (600, 601):
            write_seed(staged, number, START + timedelta(days=100, hours=number))
        os.rename(staged, seeds / "incoming")
        return ["incoming"]

    def directory_gone() -> list[str]:
        shutil.rmtree(seeds / "incoming")
        return ["incoming"]

    def problem() -> list[str]:  # a seed with no link: a problem, reported
        (seeds / "broken.txt").write_text("no link here\n", encoding="utf-8")
        return ["broken.txt"]

    def many() -> list[str]:  # a batch larger than the index moves story by story: re-dated, added, removed
        names = []
        for number in range(20, 100):
            write_seed(seeds, number, START + timedelta(hours=14 * number + 5))
            names.append(f"{number:04d}.txt")
        for number in range(700, 780):
            write_seed(seeds, number, START + timedelta(hours=7 * number))
            names.append(f"{number:04d}.txt")
        for number in range(100, 110):
            (seeds / f"{number:04d}.txt").unlink()
            names.append(f"{number:04d}.txt")
        return names

    return [(f.__name__, f) for f in (new, rewritten, duplicate, removed, renamed, late, directory, directory_gone,
                                      problem, many)]


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    settings = make_settings(base_url="https://f.example/", max_entries=10, archive_split_entries=60)
    for number in range(120):
        write_seed(settings.seeds_dir, number, START + timedelta(hours=14 * number))
    return settings


@pytest.mark.slow
def test_an_index_kept_in_memory_equals_one_loaded_and_publishes_the_same(settings: Settings, tmp_path: Path
                                                                          ) -> None:
    """The daemon's way (events name the paths, the index stays in memory) against a one-shot run from scratch
    after every change: the same index, byte-identical files."""
    memory = Memory()
    tree = SeedTree(settings.seeds_dir)
    regenerate(settings, NOW, RunOptions(found=tree.full, memory=memory))
    for name, change in _changes(settings.seeds_dir):
        found = tree.refresh(change())
        _same_files(found, settings.seeds_dir)
        report = regenerate(settings, NOW, RunOptions(found=found, memory=memory))
        assert memory.index is not None, name
        assert _comparable(memory.index) == _comparable(_fresh(settings)), name
        scratch = replace(settings, output_dir=tmp_path / f"scratch-{name}", state_dir=tmp_path / f"state-{name}")
        again = regenerate(scratch, NOW)
        assert published(settings.output_dir) == published(scratch.output_dir), name
        assert (report.entries, report.merged, report.seeds, report.unchanged + report.new + report.changed,
                report.skipped) == (again.entries, again.merged, again.seeds,
                                    again.unchanged + again.new + again.changed, again.skipped), name


def test_a_run_reads_only_the_seeds_events_name(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    import feedsvc.ingest.triage

    memory = Memory()
    tree = SeedTree(settings.seeds_dir)
    regenerate(settings, NOW, RunOptions(found=tree.full, memory=memory))
    from feedsvc.ingest.scan import read_seed
    from feedsvc.model import SeedFile

    read: list[str] = []

    def counted(seeds_dir: Path, seed: SeedFile, limit: int) -> bytes:
        read.append(seed.path)
        return read_seed(seeds_dir, seed, limit)

    monkeypatch.setattr(feedsvc.ingest.triage, "read_seed", counted)
    write_seed(settings.seeds_dir, 700, START + timedelta(days=90))
    report = regenerate(settings, NOW, RunOptions(found=tree.refresh(["0700.txt"]), memory=memory))
    assert read == ["0700.txt"] and report.new == 1 and report.unchanged == 120


def test_an_index_left_by_another_run_is_not_trusted(settings: Settings) -> None:
    """A one-shot run in between (cron beside the daemon) changes the cache: the daemon's index is loaded again,
    and the seeds that run saw are not missed."""
    memory = Memory()
    tree = SeedTree(settings.seeds_dir)
    regenerate(settings, NOW, RunOptions(found=tree.full, memory=memory))
    kept = memory.index
    write_seed(settings.seeds_dir, 800, START + timedelta(days=95))
    regenerate(settings, NOW)  # another process
    assert memory.current(_state_token(settings), fingerprint(settings)) is None
    write_seed(settings.seeds_dir, 801, START + timedelta(days=96))
    found = tree.refresh(["0800.txt", "0801.txt"])  # what events named meanwhile
    report = regenerate(settings, NOW, RunOptions(found=found, memory=memory))
    assert memory.index is not kept and report.entries == 122 and report.new == 1


def test_a_failed_run_empties_the_memory(settings: Settings) -> None:
    from feedsvc.errors import OutputError

    memory = Memory()
    regenerate(settings, NOW, RunOptions(memory=memory))
    assert memory.index is not None
    blocked = replace(settings, output_dir=settings.seeds_dir / "0001.txt" / "public")
    write_seed(settings.seeds_dir, 900, START + timedelta(days=97))
    with pytest.raises(OutputError):
        regenerate(blocked, NOW, RunOptions(memory=memory))
    assert memory.index is None


def _state_token(settings: Settings) -> str:
    with Cache.open(settings.state_dir / "cache.sqlite") as cache:
        return cache.load_state().token


def test_the_tree_follows_what_events_name(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    (seeds / "a" / "b").mkdir(parents=True)
    (seeds / "one.txt").write_text("1\n")
    (seeds / "a" / "two.txt").write_text("2\n")
    (seeds / "a" / "b" / "three.txt").write_text("3\n")
    tree = SeedTree(seeds)
    (seeds / "one.txt").write_text("longer\n")
    (seeds / "empty.txt").touch()
    (seeds / ".hidden.txt").write_text("h\n")
    (seeds / ".git").mkdir()
    (seeds / ".git" / "object").write_text("o\n")
    _same_files(tree.refresh(["one.txt", "empty.txt", ".hidden.txt", ".git", ".git/object"]), seeds)
    os.rename(seeds / "a", seeds / "c")
    found = tree.refresh(["a", "c"])
    _same_files(found, seeds)
    assert found.changed == frozenset({"a/two.txt", "a/b/three.txt", "c/two.txt", "c/b/three.txt"})
    shutil.rmtree(seeds / "c" / "b")
    _same_files(tree.refresh(["c/b"]), seeds)
    (seeds / "link.txt").symlink_to(tmp_path / "outside.txt")
    _same_files(tree.refresh(["link.txt"]), seeds)


_DAY = 86_400_000_000


def _story(number: int, updated: int) -> Story:
    version = Version(f"d{number}", 0, f"k{number}", f"id{number:05d}", "dw", updated, updated)
    return Story(version, version, (version.digest,))


def _naive(ordered: list[Story], max_entries: int, split: int) -> tuple[tuple[Story, ...], tuple[object, ...]]:
    """Paging as specified, one story at a time."""
    def month(s: Story) -> str:
        return _names(s.newest.updated // _DAY)[0]

    counts: dict[str, int] = {}
    for story in ordered:
        counts[month(story)] = counts.get(month(story), 0) + 1
    periods: dict[str, list[Story]] = {}
    for story in ordered[max_entries:]:
        name = _names(story.newest.updated // _DAY)[1] if counts[month(story)] > split else month(story)
        periods.setdefault(name, []).append(story)
    return tuple(ordered[:max_entries]), tuple((n, tuple(m)) for n, m in sorted(periods.items(), reverse=True))


@given(st.lists(st.integers(min_value=-40 * _DAY, max_value=400 * _DAY), max_size=120),
       st.integers(min_value=0, max_value=20), st.integers(min_value=1, max_value=12))
def test_paging_by_bisection_equals_paging_story_by_story(instants: list[int], max_entries: int, split: int) -> None:
    start = (datetime(2024, 1, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    ordered = newest([_story(n, start + t) for n, t in enumerate(instants)], None)
    current, periods = paginate(ordered, max_entries, split)
    assert (current, tuple((p.name, p.stories) for p in periods)) == _naive(ordered, max_entries, split)


def test_index_orders_every_feed_newest_first(settings: Settings) -> None:
    memory = Memory()
    tree = SeedTree(settings.seeds_dir)
    regenerate(settings, NOW, RunOptions(found=tree.full, memory=memory))
    for number in (901, 902, 903):
        write_seed(settings.seeds_dir, number, START + timedelta(days=number % 7 * 20))
    regenerate(settings, NOW, RunOptions(found=tree.refresh(["0901.txt", "0902.txt", "0903.txt"]), memory=memory))
    index = memory.index
    assert index is not None
    for name, members in index.ordered.items():
        assert members == newest(members, None), name
        assert name == UNIFIED or all(s.source_slug == name for s in members)
    assert sorted(index.ordered[UNIFIED]) == sorted(index.stories.values())


def test_events_settle_when_files_are_closed_or_renamed_into_place(tmp_path: Path) -> None:
    from watchdog.events import FileClosedEvent, FileCreatedEvent, FileModifiedEvent, FileMovedEvent

    from feedsvc.serve.watch import QUIET_SECONDS, SeedEvents

    clock = [100.0]
    events = SeedEvents(tmp_path, timer=lambda: clock[0])
    root = str(tmp_path)
    events.note(FileCreatedEvent(f"{root}/a.txt"))
    events.note(FileModifiedEvent(f"{root}/a.txt"))
    clock[0] += 2 * QUIET_SECONDS
    assert not events.ready(settle_seconds=0.5), "a.txt is being written"
    events.note(FileClosedEvent(f"{root}/a.txt"))
    assert not events.ready(settle_seconds=0.5), "an event came just now"
    clock[0] += 2 * QUIET_SECONDS
    assert events.ready(settle_seconds=0.5)
    events.note(FileMovedEvent("", f"{root}/sub/b.txt"))  # renamed in from outside: complete at once
    events.note(FileMovedEvent(f"{root}/c.txt", f"{root}/d.txt"))
    clock[0] += 2 * QUIET_SECONDS
    assert events.ready(settle_seconds=0.5)
    assert events.take() == frozenset({"a.txt", "sub/b.txt", "c.txt", "d.txt"}) and events.take() == frozenset()
    events.note(FileCreatedEvent(f"{root}/slow.txt"))  # a writer that keeps the file open, idle
    clock[0] += 0.4
    assert not events.ready(settle_seconds=0.5)
    clock[0] += 0.1
    assert events.ready(settle_seconds=0.5)


def test_an_overflow_asks_for_a_full_scan(tmp_path: Path) -> None:
    from watchdog.events import EventsLostEvent

    from feedsvc.serve.watch import SeedEvents

    events = SeedEvents(tmp_path)
    events.start()
    try:
        events.note(EventsLostEvent(str(tmp_path), is_directory=True))  # what watchdog queues after an overflow
        assert events.pending() and events.take() is None
        assert events.take() == frozenset()
    finally:
        events.stop()


def test_a_daemon_that_starts_with_nothing_to_do_loads_the_index_at_once(settings: Settings) -> None:
    """So the first new seed after a restart is as quick as the others."""
    regenerate(settings, NOW)
    memory = Memory()
    report = regenerate(settings, NOW, RunOptions(memory=memory))
    assert report.files_written == () and memory.index is not None
    assert _comparable(memory.index) == _comparable(_fresh(settings))
    tree = SeedTree(settings.seeds_dir)
    write_seed(settings.seeds_dir, 950, START + timedelta(days=98))
    again = regenerate(settings, NOW, RunOptions(found=tree.refresh(["0950.txt"]), memory=memory))
    assert again.new == 1 and again.entries == 121


def test_events_of_a_seeds_directory_given_through_a_symbolic_link(tmp_path: Path) -> None:
    from feedsvc.serve.watch import SeedEvents

    (tmp_path / "real").mkdir()
    (tmp_path / "seeds").symlink_to(tmp_path / "real")  # inotify names the events below the real directory
    events = SeedEvents(tmp_path / "seeds")
    events.start()
    try:
        (tmp_path / "staged.txt").write_text("seed", encoding="utf-8")
        os.rename(tmp_path / "staged.txt", tmp_path / "seeds" / "new.txt")
        seen: set[str] = set()
        deadline = time.monotonic() + 10
        while "new.txt" not in seen and time.monotonic() < deadline:
            if events.wait(0.1):
                seen |= events.take() or set()
        assert seen == {"new.txt"}
    finally:
        events.stop()
