"""Filesystem events below the seeds directory (inotify, through watchdog), so an idle daemon stats nothing. Only
this module imports watchdog.

Events name the paths that changed, so the daemon looks at those alone (`scan.SeedTree`), and they tell when a
seed is complete: a file written is complete when it is closed, a file renamed into place at once. The daemon
regenerates once no event has come for `QUIET_SECONDS` (a burst of thousands of seeds gives one regeneration) and
no file written is still open, unless its last write is older than `settle_seconds` (a writer that keeps a file
open and idle). What events cannot see is covered too: a seeds directory replaced or unmounted (its root is
stat-ed on every check, one `stat`), and a kernel queue that overflowed (watchdog's `EventsLostEvent`, which it
queues once it has re-established its watches) both ask for a full scan, and the daemon's periodic full rescan
stays as the safety net.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

log = logging.getLogger(__name__)
MODES = ("auto", "events", "poll")
_CHANGES = frozenset({"created", "deleted", "modified", "moved", "closed"})
"""Event types that can mean a seed changed (not `opened` or `closed_no_write`: reading a seed is no change)."""
_EVENTS_LOST = "events_lost"
"""`watchdog.events.EventsLostEvent`'s type (watchdog 7.1): the kernel dropped events."""
QUIET_SECONDS = 0.1
"""A regeneration waits until no event has come for this long: the files of a burst arrive closer together."""


class _Handler(FileSystemEventHandler):
    def __init__(self, note: Callable[[FileSystemEvent], None]) -> None:
        self.note = note

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.note(event)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


class SeedEvents:
    """The paths below the seeds directory that changed since the last `take`, and whether they are complete."""

    def __init__(self, seeds_dir: Path, timer: Callable[[], float] = time.monotonic) -> None:
        self.seeds_dir = seeds_dir
        self.timer = timer
        self.changed = threading.Event()
        self._lock = threading.Lock()
        self._prefixes: tuple[str, ...] = (os.path.join(str(seeds_dir), ""),)
        """What the paths of events start with: the seeds directory as given, and its real path (`start`)."""
        self._paths: set[str] = set()
        self._writing: dict[str, float] = {}
        """Files written and not closed yet -> when they were last written."""
        self._last = float("-inf")
        self._full = False
        self._observer: BaseObserver | None = None
        self._root: tuple[int, int] | None = None

    def start(self) -> None:
        """Watch the seeds directory; raises OSError when this system or filesystem gives no events."""
        try:  # inotify: a file renamed in from outside is told apart from one being created (and still written)
            observer: BaseObserver = Observer(generate_full_events=True)  # type: ignore[call-arg]
        except TypeError:
            observer = Observer()
        # The real directory is watched: watchdog does not follow a symbolic link it is asked to watch (it watches
        # the link itself, which sees nothing), and an operator's seeds directory is often one
        real = os.path.realpath(self.seeds_dir)
        self._prefixes = tuple(dict.fromkeys(os.path.join(path, "") for path in (real, str(self.seeds_dir))))
        observer.schedule(_Handler(self.note), real, recursive=True)
        observer.start()
        self._observer, self._root = observer, _identity(self.seeds_dir)

    def _relative(self, path: bytes | str) -> str | None:
        text = os.fsdecode(path)
        for prefix in self._prefixes:
            if text.startswith(prefix):
                return text[len(prefix):].replace(os.sep, "/")
        return None

    def note(self, event: FileSystemEvent) -> None:
        """Take in one event (watchdog's thread)."""
        kind = event.event_type
        if kind == _EVENTS_LOST:
            self._everything("the kernel dropped filesystem events")
            return
        if kind not in _CHANGES or (event.is_directory and kind in ("modified", "closed")):
            return  # a directory's own mtime moves with its entries, which have events of their own
        source = self._relative(event.src_path)
        target = self._relative(event.dest_path) if kind == "moved" else None
        with self._lock:
            now = self.timer()
            for path in (source, target):
                if path:
                    self._paths.add(path)
            if source and not event.is_directory:
                if kind in ("created", "modified"):
                    self._writing[source] = now
                else:  # closed after writing, deleted, or moved away: nothing more to wait for
                    self._writing.pop(source, None)
            if target:
                self._writing.pop(target, None)  # renamed into place: complete
            self._last = now
        self.changed.set()

    def _everything(self, why: str) -> None:
        log.warning("%s: the next regeneration scans the whole seeds directory", why)
        with self._lock:
            self._full = True
            self._last = self.timer()
        self.changed.set()

    def pending(self) -> bool:
        """Whether a change may have happened: an event came, the kernel dropped events, or the seeds directory is
        another one (replaced, or unmounted) than the one watched, in which case watching starts again."""
        identity = _identity(self.seeds_dir)
        if identity != self._root:
            self._everything(f"seeds directory {self.seeds_dir} was replaced or unmounted")
            self.stop()
            if identity is not None:
                try:
                    self.start()
                except OSError as exc:
                    log.error("cannot watch %s again (%s); the periodic rescan still runs", self.seeds_dir, exc)
            self._root = identity
        return self.changed.is_set()

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a change; whether one is pending."""
        return self.pending() or (self.changed.wait(timeout) and self.pending())

    def settle_in(self, settle_seconds: float) -> float:
        """Seconds until the changes pending have settled, if no other event comes (0: they have): no event for
        `QUIET_SECONDS`, and every file written since closed again or idle for `settle_seconds`."""
        with self._lock:
            now = self.timer()
            writing = max((written + settle_seconds - now for written in self._writing.values()), default=0.0)
            return max(0.0, self._last + QUIET_SECONDS - now, writing)

    def ready(self, settle_seconds: float) -> bool:
        return self.settle_in(settle_seconds) <= 0

    def take(self) -> frozenset[str] | None:
        """The paths changed since the last `take` (None: the whole directory must be scanned), and forget them."""
        with self._lock:
            self.changed.clear()
            paths, full = frozenset(self._paths), self._full
            self._paths.clear()
            self._full = False
        return None if full else paths

    def clear(self) -> None:
        self.take()

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=2)
            self._observer = None


def start_events(seeds_dir: Path, mode: str) -> SeedEvents | None:
    """Events for `mode` `events` (raises OSError where there are none) or `auto` (None, and polling, where
    there are none); None for `poll`."""
    if mode == "poll":
        return None
    events = SeedEvents(seeds_dir)
    try:
        events.start()
    except OSError as exc:
        if mode == "events":
            raise
        log.warning("no filesystem events for %s (%s): polling instead", seeds_dir, exc)
        return None
    return events
