"""What the renderers of one group of documents share: what each made of the group's entries. Pure."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from feedsvc.model import Entry

Memo = dict[str, dict[Entry, Any]]
"""What the renderers of one group of documents made of its entries, by kind: for each format (its file
extension) the entries' bytes, feedgen's entries (`"feedgen"`), which serve both Atom and RSS, and the rows of
the period pages (`"period rows"`)."""

T = TypeVar("T")


def made_once(memo: Memo | None, kind: str, entry: Entry, make: Callable[[Entry], T]) -> T:
    """What `make` makes of `entry`: from `memo` (under `kind`) where another document of the group made it, else
    made now and remembered there (with no memo, just made)."""
    if memo is None:
        return make(entry)
    made = memo.setdefault(kind, {})
    found: T | None = made.get(entry)
    if found is None:
        found = made[entry] = make(entry)
    return found


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Recent(Generic[K, V]):
    """The last `size` values made, by key, kept from one run to the next in one process (the daemon's runs
    render the newest stories again and again). Safe to share between threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
