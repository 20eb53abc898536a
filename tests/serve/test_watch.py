"""serve.watch: what filesystem events mean for the next regeneration (which paths changed, whether they are complete,
when a change has settled, when the whole directory must be scanned), from events made here and a clock set by
the test; and the events a real watch delivers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from watchdog.events import (
    DirModifiedEvent,
    EventsLostEvent,
    FileClosedEvent,
    FileClosedNoWriteEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileOpenedEvent,
)

from feedsvc.serve.watch import QUIET_SECONDS, SeedEvents, start_events
from tests.daemon import wait_for


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def events(tmp_path: Path, clock: Clock) -> Iterator[SeedEvents]:
    """A watch on an empty directory nothing writes to, told events made by the test, on the test's clock."""
    (tmp_path / "seeds").mkdir()
    watch = SeedEvents(tmp_path / "seeds", timer=clock)
    watch.start()
    yield watch
    watch.stop()


def _path(events: SeedEvents, name: str) -> str:
    return str(events.seeds_dir / name)


def test_nothing_pending_until_an_event_comes(events: SeedEvents) -> None:
    assert not events.pending()
    assert events.take() == frozenset()


def test_changed_paths_are_taken_once_relative_to_the_seeds_directory(events: SeedEvents) -> None:
    events.note(FileCreatedEvent(_path(events, "dw/a.md")))
    events.note(FileClosedEvent(_path(events, "dw/a.md")))
    events.note(FileDeletedEvent(_path(events, "b.md")))
    events.note(FileMovedEvent(_path(events, ".c.tmp"), _path(events, "c.md")))
    events.note(FileCreatedEvent("/elsewhere/d.md"))  # outside the seeds directory: no path of its own
    assert events.pending()
    assert events.take() == frozenset({"dw/a.md", "b.md", ".c.tmp", "c.md"})
    assert not events.pending()
    assert events.take() == frozenset()


@pytest.mark.parametrize("event", [
    FileOpenedEvent("a.md"), FileClosedNoWriteEvent("a.md"), DirModifiedEvent("dw"),
], ids=["opened", "read", "directory-mtime"])
def test_reading_a_seed_or_a_directory_s_own_mtime_is_no_change(events: SeedEvents, event: object) -> None:
    assert isinstance(event, FileOpenedEvent | FileClosedNoWriteEvent | DirModifiedEvent)
    event.src_path = _path(events, str(event.src_path))
    events.note(event)
    assert not events.pending()


def test_a_change_settles_once_no_event_has_come_for_the_quiet_time(events: SeedEvents, clock: Clock) -> None:
    events.note(FileMovedEvent(_path(events, ".a.tmp"), _path(events, "a.md")))  # renamed into place: complete
    assert events.settle_in(30) == pytest.approx(QUIET_SECONDS)
    clock.now += QUIET_SECONDS * 0.6
    events.note(FileMovedEvent(_path(events, ".b.tmp"), _path(events, "b.md")))  # a burst: the wait starts again
    clock.now += QUIET_SECONDS * 0.6
    assert not events.ready(30)
    clock.now += QUIET_SECONDS * 0.6
    assert events.ready(30)


def test_a_file_being_written_holds_the_change_until_closed(events: SeedEvents, clock: Clock) -> None:
    events.note(FileCreatedEvent(_path(events, "a.md")))
    events.note(FileModifiedEvent(_path(events, "a.md")))
    clock.now += 5
    assert events.settle_in(30) == pytest.approx(25)  # still open: wait for it (or for it to idle 30 s)
    events.note(FileClosedEvent(_path(events, "a.md")))
    clock.now += QUIET_SECONDS * 1.1
    assert events.ready(30)


def test_a_writer_that_stays_idle_for_the_settle_time_is_taken_as_done(events: SeedEvents, clock: Clock) -> None:
    events.note(FileModifiedEvent(_path(events, "a.md")))
    clock.now += 29
    assert not events.ready(30)
    clock.now += 1
    assert events.ready(30)


def test_a_file_moved_away_or_deleted_while_written_waits_no_more(events: SeedEvents) -> None:
    events.note(FileCreatedEvent(_path(events, "a.md")))
    events.note(FileCreatedEvent(_path(events, "b.md")))
    events.note(FileMovedEvent(_path(events, "a.md"), _path(events, "c.md")))
    events.note(FileDeletedEvent(_path(events, "b.md")))
    assert events.settle_in(30) == pytest.approx(QUIET_SECONDS)


def test_lost_events_ask_for_a_full_scan_once(events: SeedEvents, caplog: pytest.LogCaptureFixture) -> None:
    events.note(FileCreatedEvent(_path(events, "a.md")))
    events.note(EventsLostEvent(""))
    assert events.pending()
    assert events.take() is None
    assert "dropped filesystem events" in caplog.text
    assert events.take() == frozenset()  # the next run is by paths again


@pytest.fixture
def watching(tmp_path: Path) -> Iterator[SeedEvents]:
    (tmp_path / "seeds").mkdir()
    running = start_events(tmp_path / "seeds", "events")
    assert running is not None
    yield running
    running.stop()


def test_a_real_watch_sees_a_seed_written_and_one_renamed_in(watching: SeedEvents) -> None:
    (watching.seeds_dir / "a.md").write_text("a", encoding="utf-8")
    (watching.seeds_dir / ".b.tmp").write_text("b", encoding="utf-8")
    os.rename(watching.seeds_dir / ".b.tmp", watching.seeds_dir / "b.md")
    wait_for(lambda: watching.pending() and watching.ready(30), 10, "the events to settle")
    taken = watching.take()
    assert taken is not None and {"a.md", "b.md"} <= taken


def test_a_replaced_seeds_directory_asks_for_a_full_scan_and_is_watched_again(watching: SeedEvents) -> None:
    seeds = watching.seeds_dir
    seeds.rename(seeds.with_name("old"))
    seeds.mkdir()
    assert watching.pending()
    assert watching.take() is None
    (seeds / "new.md").write_text("n", encoding="utf-8")  # the new directory is the one watched now
    wait_for(lambda: watching.pending() and watching.ready(30), 10, "an event from the new directory")
    assert watching.take() == frozenset({"new.md"})


def test_polling_mode_gives_no_events(tmp_path: Path) -> None:
    assert start_events(tmp_path, "poll") is None
