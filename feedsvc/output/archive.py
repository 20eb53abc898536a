"""RFC 5005 archive paging: which archive document each story of a feed falls into. Pure.

The subscription document holds a feed's newest `max_entries` stories; every other story lies in exactly one
archive document, by the calendar month (UTC) of its `updated` instant. A month with more than `split` stories
of the feed is published day by day instead. Boundaries are calendar dates, so they never move when stories
arrive: a new story changes the subscription document and at most the newest archive document (the one the
oldest story it pushes out falls into); a late story with an old date changes only its own period's document.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from feedsvc.model import Story

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def moment(instant: int) -> datetime:
    """The datetime of a `group.instant` (microseconds since the epoch)."""
    return _EPOCH + timedelta(microseconds=instant)


@dataclass(frozen=True)
class Period:
    """One archive document's span: a calendar month (`2024-05`) or day (`2024-05-03`), and its stories, newest
    first."""

    name: str
    stories: tuple[Story, ...]

    @property
    def is_day(self) -> bool:
        return len(self.name) == 10


_DAY = 86_400_000_000
"""Microseconds in a day: a story's `updated` instant divided by it is its UTC day number."""


@functools.lru_cache(maxsize=65536)
def _names(day: int) -> tuple[str, str]:
    """(month, day) names of a UTC day number: thousands of stories share a day, so each is formatted once."""
    name = moment(day * _DAY).strftime("%Y-%m-%d")
    return name[:7], name


@functools.lru_cache(maxsize=4096)
def _month_start(month: str) -> int:
    """The first instant of a month (`2024-05`)."""
    return (datetime(int(month[:4]), int(month[5:7]), 1, tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)


def _later_first(story: Story) -> int:
    return -story.newest.updated


def paginate(ordered: Sequence[Story], max_entries: int, split: int) -> tuple[tuple[Story, ...], tuple[Period, ...]]:
    """(the subscription document's stories, the archive periods newest first) of a feed whose stories are
    `ordered` newest first. A month holding more than `split` of the feed's stories is split into days.

    Ordered newest first, the stories of one month (or day) lie side by side: each period is found by bisection,
    so paging costs a few steps per period, not one per story."""
    current = tuple(ordered[:max_entries])
    periods: list[Period] = []
    at, count = 0, len(ordered)
    while at < count:
        month = _names(ordered[at].newest.updated // _DAY)[0]
        end = bisect.bisect_left(ordered, 1 - _month_start(month), lo=at, key=_later_first)
        first = max(at, max_entries)
        if end - at > split:
            while first < end:
                day = ordered[first].newest.updated // _DAY
                stop = bisect.bisect_left(ordered, 1 - day * _DAY, lo=first, hi=end, key=_later_first)
                periods.append(Period(_names(day)[1], tuple(ordered[first:stop])))
                first = stop
        elif first < end:
            periods.append(Period(month, tuple(ordered[first:end])))
        at = end
    return current, tuple(periods)
