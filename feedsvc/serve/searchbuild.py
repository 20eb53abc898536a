"""Building the search index again, in `feedsvc serve`'s background: after a first run, a lost or damaged index,
or other rules, every published story is indexed while the feeds are served and the seeds watched, so no run waits
for it (at 10,000 heavy seeds the index takes minutes to build; a run, seconds).

The build indexes the stories of the daemon's story index a few at a time: each group is read under the daemon's
run lock (what the last run left, never a run's half-done work), then folded, cut and inserted outside it, skipping
the stories already in (a run that went between put in what it changed: `RunOptions.search_building`); a story a
run removed meanwhile is taken out again. Then the index is the last run's, and runs update it from what they
change. Search answers meanwhile, from the stories indexed so far. (Inserting under the lock made a run wait for
FTS5's segment merges: at 100,000 seeds a new seed's latency was 20 s at the 95th percentile during the build.)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from feedsvc.errors import FeedsvcError
from feedsvc.model import Entry, Story
from feedsvc.search.documents import Read, documents
from feedsvc.search.index import SearchIndex
from feedsvc.state.cache import Cache
from feedsvc.state.index import UNIFIED, Memory

log = logging.getLogger(__name__)
GROUP = 32
"""Stories read under the run lock at once (their entries, from the cache: milliseconds)."""


class SearchBuilder:
    """Builds a stale search index in a thread of its own, one at a time."""

    def __init__(self, state_dir: Path, memory: Memory, lock: threading.RLock,
                 cancel: threading.Event) -> None:
        self.state_dir, self.memory, self.lock, self.cancel = state_dir, memory, lock, cancel
        self._thread: threading.Thread | None = None
        self.done = threading.Event()

    @property
    def building(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def check(self) -> None:
        """After a run (under the run lock): start a build when the index is not that run's."""
        index = self.memory.index
        if self.building or index is None or not index.token:
            return
        try:
            search = SearchIndex.open(self.state_dir)
            try:
                current = search.token() == index.token
            finally:
                search.close()
        except Exception as exc:
            log.warning("the search index cannot be read (%s): building it again", exc)
            current = False
        if not current:
            self.done.clear()
            self._thread = threading.Thread(target=self._build, name="search-build", daemon=True)
            self._thread.start()

    def _build(self) -> None:
        started = time.monotonic()
        try:
            count = self._index_everything()
        except Exception as exc:
            log.error("the search index was not built: %s: %s", type(exc).__name__, exc)
            return
        finally:
            self.done.set()
        if count is not None:
            log.info("search index built: %d stories in %.1f s", count, time.monotonic() - started)

    def _index_everything(self) -> int | None:
        with self.lock:
            index = self.memory.index
            if index is None:
                return None
            stories: Sequence[Story] = list(index.ordered.get(UNIFIED, ()))
            fingerprint = index.fingerprint
            search = SearchIndex.open(self.state_dir)
            search.clear()  # runs from now on put in what they change
        count = 0
        with Cache.open(self.state_dir / "cache.sqlite") as cache:
            try:
                for at in range(0, len(stories), GROUP):
                    if self.cancel.is_set():
                        return None
                    with self.lock:  # what the last run left: which of these stories are current, and their entries
                        index = self.memory.index
                        if index is None or index.fingerprint != fingerprint:
                            return None  # the next run asks for a build of its own
                        live = [s for s in stories[at:at + GROUP] if index.stories.get(s.newest.key) == s]
                        entries = cache.published_entries(live, fingerprint, index.paths, text=True)
                    count += search.add_missing(documents(live, _known(entries)))  # folded, cut, inserted unlocked
                    with self.lock:  # a story a run removed meanwhile, after this group was read, goes again
                        index = self.memory.index
                        gone = [s.newest.id for s in live if index is not None and s.newest.key not in index.stories]
                        if gone:
                            search.apply((), gone)
                with self.lock:
                    index = self.memory.index
                    if index is None or index.fingerprint != fingerprint:
                        return None
                    search.optimize()
                    search.set_token(index.token)
            except FeedsvcError as exc:
                raise RuntimeError(str(exc)) from None
            finally:
                search.close()
        return count

    def wait(self, seconds: float) -> bool:
        return self.done.wait(seconds)


def _known(entries: Mapping[Story, Entry]) -> Read:
    """A `documents` reader of entries read already."""
    def read(group: Sequence[Story]) -> Mapping[Story, Entry]:
        return {story: entries[story] for story in group if story in entries}

    return read
