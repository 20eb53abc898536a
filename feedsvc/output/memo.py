"""What the renderers of one group of documents share: what each made of the group's entries. Pure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

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
