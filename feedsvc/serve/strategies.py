"""How the daemon notices that seeds changed: two strategies behind one interface (`Strategy`), each holding
the state of its way of looking, and handing what it found to `Watcher.regenerate`.

`Polling` compares a snapshot of the seeds directory (names, sizes, mtimes) with the one last published, each
time the daemon's scheduler calls `poll` (every `poll_seconds`). On a change it waits until the directory has
been quiet for `settle_seconds`, so a burst of hundreds of seeds gives one regeneration and a half-written seed is
never read, then regenerates from its own scan. The snapshot stats every seed, which grows with the archive
(about 0.5 s for 100,000 seeds); so that an idle daemon spends at most `SCAN_SHARE` of a core on it, a poll takes
a full snapshot only when the last one is old enough for its cost, and in between stats just the directories,
whose mtimes change whenever a seed is created, removed or renamed. New seeds are seen on the next poll at any
size; a seed rewritten in place by the next full snapshot (every poll up to some 10,000 seeds).

`FollowingEvents` runs in a thread of its own: it waits for filesystem events (`serve.watch`) and regenerates as
soon as what they name has settled, looking only at those paths (`scan.SeedTree`), so a new seed waits for no
poll interval and costs what it changes, not what is archived.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Protocol

from feedsvc.errors import SeedsUnavailableError
from feedsvc.ingest.scan import ScanResult, SeedTree, directories_unchanged, scan
from feedsvc.serve.watch import SeedEvents

if TYPE_CHECKING:
    from feedsvc.serve.daemon import Watcher

Snapshot = tuple[int, int, int]
"""How many seeds, the summary of their paths, sizes and mtimes (`ScanResult.summary`), the newest mtime: what is
compared from poll to poll. Three numbers, not a copy of 100,000 paths at every poll."""
MAX_SETTLE_WAIT = 30.0
"""A directory that never goes quiet is regenerated anyway after this many seconds."""
SCAN_SHARE = 0.1
"""At most this share of one core goes to full snapshots while nothing changes."""
BY_EVENTS: Snapshot = (-1, 0, 0)
"""The snapshot of a run that filesystem events asked for: never compared (no full scan was taken)."""
Marks = tuple[tuple[str, int], ...]


class Strategy(Protocol):
    """A way of noticing changed seeds."""

    def start(self) -> None:
        """Begin watching (the scheduler drives polling; events need a thread)."""

    def rescan(self) -> None:
        """Regenerate from every seed read again (the daemon's safety net, every `rescan_minutes`)."""

    def forget(self) -> None:
        """Look at everything again on the next change (the configuration was reloaded)."""

    def stop(self) -> None:
        """Stop watching; returns once nothing of the strategy runs any more."""


def snapshot(found: ScanResult | None) -> Snapshot | None:
    """The snapshot of a full scan (None: no seeds directory)."""
    return None if found is None else (len(found.files), found.summary, found.newest)


def _quiet_for(seen: Snapshot | None) -> float:
    """Seconds since the newest file in the snapshot was modified (0 when that cannot be told)."""
    if not seen or not seen[0]:
        return 0.0
    return max(0.0, time.time() - seen[2] / 1e9)


class Polling:
    """Snapshots compared poll after poll."""

    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher
        self._marks: Marks = ()
        self._scanned_at = float("-inf")
        self._scan_cost = 0.0

    @property
    def full_scan_interval(self) -> float:
        """Seconds between full snapshots while the directories say nothing changed."""
        return max(self.watcher.settings.poll_seconds, self._scan_cost / SCAN_SHARE)

    def _scan(self) -> ScanResult | None:
        """A full snapshot; the regeneration it leads to uses it too, instead of scanning again."""
        timer = self.watcher.timer
        started = timer()
        try:
            found: ScanResult | None = scan(self.watcher.settings.seeds_dir)
        except SeedsUnavailableError:
            found = None
        self._scanned_at, self._scan_cost = started, timer() - started
        self._marks = found.directories if found is not None else ()
        return found

    def start(self) -> None:
        """Nothing to start: the daemon's scheduler calls `poll`."""

    def poll(self) -> None:
        """Regenerate when the seeds changed and have settled."""
        watcher, settings = self.watcher, self.watcher.settings
        if watcher.settled and watcher.timer() - self._scanned_at < self.full_scan_interval and \
                directories_unchanged(settings.seeds_dir, self._marks):
            return
        found = self._scan()
        current = snapshot(found)
        if current is not None and current == watcher.published and watcher.last_error is None:
            return
        started = time.monotonic()
        while not watcher.cancel.is_set() and time.monotonic() - started < MAX_SETTLE_WAIT:
            if _quiet_for(current) >= settings.settle_seconds:
                break  # the newest change is older than the settling time already: no need to wait again
            if watcher.cancel.wait(settings.settle_seconds):
                return
            found = self._scan()
            later = snapshot(found)
            if later == current:
                break
            current = later
        watcher.regenerate(found, current)

    def rescan(self) -> None:
        with self.watcher.lock:
            found = self._scan()
            self.watcher.regenerate(found, snapshot(found), rehash=True)

    def forget(self) -> None:
        self._scanned_at = float("-inf")

    def stop(self) -> None:
        """Nothing to stop: the scheduler stops calling `poll`."""


class FollowingEvents:
    """Filesystem events followed in a thread of its own."""

    def __init__(self, watcher: Watcher, events: SeedEvents) -> None:
        self.watcher = watcher
        self.events = events
        self.tree: SeedTree | None = None
        """The seeds as events last left them."""
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="seed-events", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        watcher = self.watcher
        while not watcher.cancel.is_set():
            self.follow()
            watcher.cancel.wait(watcher.settings.poll_seconds)  # after a failure or a deferred seed: look again

    def follow(self) -> None:
        """Wait for events, and regenerate from the paths they name once those have settled, again and again
        until the daemon stops. Returns after a failure or a deferred seed."""
        watcher, events = self.watcher, self.events
        settled = watcher.settled
        while not watcher.cancel.is_set():
            if settled and self.tree is not None and not events.wait(watcher.settings.poll_seconds):
                continue  # each wait also checks that the seeds directory is still the one watched
            started = time.monotonic()
            while (delay := events.settle_in(watcher.settings.settle_seconds)) > 0 and \
                    time.monotonic() - started < MAX_SETTLE_WAIT:
                if watcher.cancel.wait(min(delay, 1.0)):
                    return
            with watcher.lock:
                paths = events.take()
                if self.tree is None or paths is None or watcher.last_error is not None:
                    watcher.regenerate(self._new_tree(), BY_EVENTS)
                else:
                    watcher.regenerate(self.tree.refresh(paths), BY_EVENTS)
            settled = watcher.settled
            if not settled:
                return

    def _new_tree(self) -> ScanResult | None:
        try:
            self.tree = SeedTree(self.watcher.settings.seeds_dir)
        except SeedsUnavailableError:
            self.tree = None
            return None
        return self.tree.full

    def rescan(self) -> None:
        with self.watcher.lock:
            self.watcher.regenerate(self._new_tree(), BY_EVENTS, rehash=True)

    def forget(self) -> None:
        self.tree = None

    def stop(self) -> None:
        self.events.stop()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
