"""Filesystem events below the seeds directory (inotify, through watchdog), so an idle daemon stats nothing. Only
this module imports watchdog.

An event only says "something changed": the daemon then scans and settles as it does when polling, so a burst of
thousands of seeds still gives one regeneration and a half-written seed is still never read. What events cannot
see is covered too: a seeds directory replaced or unmounted (its root is stat-ed on every check, one `stat`),
and a kernel queue that overflowed (watchdog only logs it; feedsvc listens to that log) both count as a change,
and the daemon's periodic full rescan stays as the safety net.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

log = logging.getLogger(__name__)
MODES = ("auto", "events", "poll")
_CHANGES = frozenset({"created", "deleted", "modified", "moved", "closed"})
"""Event types that can mean a seed changed (not `opened` or `closed_no_write`: reading a seed is no change)."""
_OVERFLOW = "queue overflowed"


class _Handler(FileSystemEventHandler):
    def __init__(self, changed: threading.Event) -> None:
        self.changed = changed

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in _CHANGES:
            self.changed.set()


class _Overflow(logging.Filter):
    """Hears watchdog's warning that the kernel dropped events."""

    def __init__(self, changed: threading.Event) -> None:
        super().__init__()
        self.changed = changed

    def filter(self, record: logging.LogRecord) -> bool:
        if _OVERFLOW in record.getMessage():
            self.changed.set()
        return True


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


class SeedEvents:
    """Whether anything changed below the seeds directory since the last `clear`."""

    def __init__(self, seeds_dir: Path) -> None:
        self.seeds_dir = seeds_dir
        self.changed = threading.Event()
        self._observer: BaseObserver | None = None
        self._root: tuple[int, int] | None = None
        self._overflow = _Overflow(self.changed)

    def start(self) -> None:
        """Watch the seeds directory; raises OSError when this system or filesystem gives no events."""
        observer = Observer()
        observer.schedule(_Handler(self.changed), str(self.seeds_dir), recursive=True)
        observer.start()
        self._observer, self._root = observer, _identity(self.seeds_dir)
        for name in ("watchdog.observers.inotify", "watchdog.observers.inotify_buffer"):
            logger = logging.getLogger(name)
            if self._overflow not in logger.filters:
                logger.addFilter(self._overflow)

    def pending(self) -> bool:
        """Whether a change may have happened: an event came, the kernel dropped events, or the seeds directory is
        another one (replaced, or unmounted) than the one watched, in which case watching starts again."""
        identity = _identity(self.seeds_dir)
        if identity != self._root:
            log.warning("seeds directory %s was replaced or unmounted; watching it again", self.seeds_dir)
            self.changed.set()
            self.stop()
            if identity is not None:
                try:
                    self.start()
                except OSError as exc:
                    log.error("cannot watch %s again (%s); the periodic rescan still runs", self.seeds_dir, exc)
            self._root = identity
        return self.changed.is_set()

    def clear(self) -> None:
        self.changed.clear()

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
