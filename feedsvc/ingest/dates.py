"""Date candidates found in a seed, and the choice of the trustworthy one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from feedsvc.links import UrlDate

EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class DateCandidate:
    """A date a seed states, and where it states it (`header`, `byline`, `front-matter`, …)."""

    origin: str
    value: datetime


def from_epoch_ms(text: str) -> datetime | None:
    """The `<!--1699422424000-->` header: milliseconds since the epoch; None for `NaN` or nonsense."""
    text = text.strip()
    if not re.fullmatch(r"-?\d{1,16}", text):
        return None
    try:
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2}|UTC|GMT)?$",
    re.IGNORECASE,
)
_CJK_DAY = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:\s*(\d{1,2}):(\d{2}))?")
_DMY_TIME = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})\s*-?\s*(\d{1,2}):(\d{2})")


def _build(year: str, month: str, day: str, hour: str | None = None, minute: str | None = None,
           second: str | None = None, fraction: str | None = None, zone: str | None = None) -> datetime | None:
    try:
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        value = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro)
    except ValueError:
        return None
    offset = timedelta(0)
    if zone and zone.upper() not in ("Z", "UTC", "GMT"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    try:
        return (value - offset).replace(tzinfo=UTC)
    except OverflowError:
        return None


def parse_date(text: str) -> datetime | None:
    """A timezone-aware UTC datetime from the forms seeds use, or None.

    RFC 822/2822 (`Fri, 08 Jan 2021 13:53:40 GMT`), ISO 8601 with or without zone (no zone means UTC),
    `2020-07-16 09:48:51`, `2020年 7月 17日`, and RFI's `22/10/2020 - 13:51`.
    """
    text = " ".join(text.replace("\xa0", " ").split())
    if not text or len(text) > 64:
        return None
    match = _ISO.match(text)
    if match:
        return _build(*match.groups())
    match = _CJK_DAY.search(text)
    if match:
        return _build(*match.groups())
    match = _DMY_TIME.fullmatch(text)
    if match:
        day, month, year, hour, minute = match.groups()
        return _build(year, month, day, hour, minute)
    if re.search(r"[A-Za-z]{3}", text) and re.search(r"\d{4}", text):
        try:
            value = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        try:
            return value.astimezone(UTC)
        except (OverflowError, ValueError):
            return None
    return None


@dataclass(frozen=True)
class DatePolicy:
    """What makes a date plausible."""

    now: datetime
    future_tolerance: timedelta = timedelta(hours=48)
    url_tolerance: timedelta = timedelta(days=3)


_ZONE = re.compile(r"(?:Z|GMT|UTC|[+-]\d{2}:?\d{2})\s*$", re.IGNORECASE)


def has_zone(text: str) -> bool:
    """Whether a date as written names its time zone (a zone-less local time is read as UTC, and may be hours off)."""
    return bool(_ZONE.search(text.strip()))


_SAME_WITNESS = {"header": "feed", "front-matter": "feed", "feed": "feed"}
"""The epoch header and the front-matter date are both the feed's `pubDate` (the second clamped to the moment of
scraping): one witness, not two."""


def _witness(candidate: DateCandidate) -> str:
    return _SAME_WITNESS.get(candidate.origin, candidate.origin)


def _corroborated(candidate: DateCandidate, candidates: list[DateCandidate], tolerance: timedelta) -> bool:
    """Whether another, independent candidate agrees with `candidate` (within `tolerance`)."""
    return any(_witness(other) != _witness(candidate) and abs(other.value - candidate.value) <= tolerance
               for other in candidates)


def _plausible(value: datetime, policy: DatePolicy, in_url: UrlDate | None, scraped: datetime | None) -> bool:
    if value < EARLIEST or value > policy.now + policy.future_tolerance:
        return False
    if scraped is not None and value > scraped:
        return False
    return in_url is None or in_url.start - policy.url_tolerance <= value <= in_url.end + policy.url_tolerance


def scrape_time(candidates: list[DateCandidate], in_url: UrlDate | None, policy: DatePolicy) -> datetime | None:
    """The latest moment the seed can have been scraped at, as far as the seed tells it, or None.

    The front-matter date is the feed's `pubDate` clamped to the generator's clock: never after the scrape,
    whatever a URL says (a link may carry the day of a coming event). The epoch header is the feed's `pubDate`
    unclamped: a witness of the scrape only where no URL date contradicts it (a feed may stamp a 2023 story
    2001). The earliest such stamp between 1995 and `now` plus the tolerance; no story is published after it."""
    def sane(value: datetime) -> bool:
        return EARLIEST <= value <= policy.now + policy.future_tolerance

    stamps = [c.value for c in candidates if c.origin == "front-matter" and sane(c.value)]
    stamps += [c.value for c in candidates if c.origin == "header" and
               _plausible(c.value, policy, None if _corroborated(c, candidates, policy.url_tolerance) else in_url,
                          None)]
    return min(stamps, default=None)


def choose_date(candidates: list[DateCandidate], in_url: UrlDate | None, policy: DatePolicy,
                fallback: DateCandidate | None) -> DateCandidate | None:
    """The first plausible candidate in order of trust, then the URL's day, then `fallback` (the file's mtime).

    Rejected: dates before 1995, dates beyond `now` plus the tolerance, and dates that contradict the URL's own
    date by more than the tolerance, unless an independent candidate agrees with them (a date in a URL is weak
    evidence: slugs carry typos). Whatever the candidates, the choice is never after the seed's scrape time
    (`scrape_time`): a later candidate, the URL's day included, is not taken, and when nothing else is left the
    scrape time itself is. Returns None only when nothing is plausible.
    """
    scraped = scrape_time(candidates, in_url, policy)
    if in_url is not None and scraped is not None and in_url.start > scraped:
        in_url = None  # a URL dated after the scrape names something else (an event's day), not the story's
    for candidate in candidates:
        check = None if _corroborated(candidate, candidates, policy.url_tolerance) else in_url
        if _plausible(candidate.value, policy, check, scraped):
            return candidate
    if in_url is not None and in_url.is_day and _plausible(in_url.start, policy, None, scraped):
        return DateCandidate("url", in_url.start)
    if fallback is not None and _plausible(fallback.value, policy, None, scraped):
        return fallback
    if scraped is not None:
        return next(c for c in candidates if c.value == scraped and c.origin in ("header", "front-matter"))
    return None
