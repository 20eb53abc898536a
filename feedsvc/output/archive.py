"""RFC 5005 archive paging: which archive document each story of a feed falls into. Pure.

The subscription document holds a feed's newest `max_entries` stories; every other story lies in exactly one
archive document, by the calendar month (UTC) of its `updated` instant. A month with more than `split` stories
of the feed is published day by day instead. Boundaries are calendar dates, so they never move when stories
arrive: a new story changes the subscription document and at most the newest archive document (the one the
oldest story it pushes out falls into); a late story with an old date changes only its own period's document.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from feedsvc.group import Story

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


def _month(story: Story) -> str:
    return _names(story.newest.updated // _DAY)[0]


def _day(story: Story) -> str:
    return _names(story.newest.updated // _DAY)[1]


def paginate(ordered: Sequence[Story], max_entries: int, split: int) -> tuple[tuple[Story, ...], tuple[Period, ...]]:
    """(the subscription document's stories, the archive periods newest first) of a feed whose stories are
    `ordered` newest first. A month holding more than `split` of the feed's stories is split into days."""
    current = tuple(ordered[:max_entries])
    months: dict[str, int] = {}
    for story in ordered:
        key = _month(story)
        months[key] = months.get(key, 0) + 1
    periods: dict[str, list[Story]] = {}
    for story in ordered[max_entries:]:
        month = _month(story)
        periods.setdefault(_day(story) if months[month] > split else month, []).append(story)
    return current, tuple(Period(name, tuple(members)) for name, members in sorted(periods.items(), reverse=True))
