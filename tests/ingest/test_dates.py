"""dates: the forms seeds write dates in, and the choice of the trustworthy candidate."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedsvc.ingest.dates import (
    DateCandidate,
    DatePolicy,
    choose_date,
    from_epoch_ms,
    has_zone,
    parse_date,
    scrape_time,
)
from feedsvc.links import url_date

NOW = datetime(2024, 6, 1, tzinfo=UTC)
POLICY = DatePolicy(NOW)


@pytest.mark.parametrize(("text", "expected"), [
    ("Fri, 08 Jan 2021 13:53:40 GMT", datetime(2021, 1, 8, 13, 53, 40, tzinfo=UTC)),
    ("Wed, 24 Jun 2020 08:53:10 +0000", datetime(2020, 6, 24, 8, 53, 10, tzinfo=UTC)),
    ("2021-01-08T01:08:59Z", datetime(2021, 1, 8, 1, 8, 59, tzinfo=UTC)),
    ("2023-11-08T05:20:41.666Z", datetime(2023, 11, 8, 5, 20, 41, 666000, tzinfo=UTC)),
    ("2020-02-05T10:00:00+01:00", datetime(2020, 2, 5, 9, 0, tzinfo=UTC)),
    ("2020-07-16 09:48:51", datetime(2020, 7, 16, 9, 48, 51, tzinfo=UTC)),
    ("2020年 7月 17日", datetime(2020, 7, 17, tzinfo=UTC)),
    ("22/10/2020 - 13:51", datetime(2020, 10, 22, 13, 51, tzinfo=UTC)),
])
def test_parse_date_forms(text: str, expected: datetime) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2020-13-45", "32/01/2020 - 10:00", "x" * 100])
def test_parse_date_refuses_nonsense(text: str) -> None:
    assert parse_date(text) is None


def test_epoch_header() -> None:
    assert from_epoch_ms("1608144080000") == datetime(2020, 12, 16, 18, 41, 20, tzinfo=UTC)
    assert from_epoch_ms("NaN") is None
    assert from_epoch_ms("99999999999999999") is None


def test_first_plausible_candidate_wins() -> None:
    far_future = DateCandidate("header", NOW + timedelta(days=30))
    too_old = DateCandidate("front-matter", datetime(1990, 1, 1, tzinfo=UTC))
    good = DateCandidate("byline", NOW - timedelta(days=1))
    assert choose_date([far_future, too_old, good], None, POLICY, None) == good


def test_a_candidate_contradicting_the_url_day_loses_to_the_url() -> None:
    in_url = url_date("https://x.example/2020/07/01/story")
    wrong = DateCandidate("header", datetime(2001, 7, 31, tzinfo=UTC))
    assert choose_date([wrong], in_url, POLICY, None) == DateCandidate("url", datetime(2020, 7, 1, tzinfo=UTC))
    scraped = DateCandidate("front-matter", datetime(2023, 5, 2, tzinfo=UTC))
    assert choose_date([DateCandidate("header", scraped.value), scraped], in_url, POLICY, None) == DateCandidate(
        "url", datetime(2020, 7, 1, tzinfo=UTC)), "an old story scraped later: the URL's day, before the scrape"


def test_the_file_time_is_the_last_resort_and_none_when_nothing_is_plausible() -> None:
    mtime = DateCandidate("mtime", NOW - timedelta(hours=1))
    assert choose_date([], None, POLICY, mtime) == mtime
    assert choose_date([], None, POLICY, DateCandidate("mtime", NOW + timedelta(days=9))) is None


def test_an_independent_witness_protects_a_date_from_the_url_veto() -> None:
    in_url = url_date("https://x.example/a/story-20201214/1.html")
    header = DateCandidate("header", datetime(2020, 12, 20, 18, 41, tzinfo=UTC))
    lead = DateCandidate("byline", datetime(2020, 12, 20, 17, 51, tzinfo=UTC))
    assert choose_date([header], in_url, DatePolicy(NOW), None) == DateCandidate(
        "url", datetime(2020, 12, 14, tzinfo=UTC)), "the header alone: the URL may veto it"
    assert choose_date([lead, header], in_url, DatePolicy(NOW), None) == lead


def test_a_url_dated_after_the_scrape_is_never_taken() -> None:
    """A blog that puts a coming event's day in its post URL: the header and front matter agree, and stand."""
    in_url = url_date("https://x.example/a/story-20221216/1.html")
    header = DateCandidate("header", datetime(2020, 12, 16, 18, 41, tzinfo=UTC))
    front = DateCandidate("front-matter", datetime(2020, 12, 16, 18, 41, tzinfo=UTC))
    assert choose_date([header, front], in_url, DatePolicy(NOW), None) == header
    late_byline = DateCandidate("byline", datetime(2022, 12, 16, tzinfo=UTC))
    assert choose_date([late_byline, header, front], in_url, DatePolicy(NOW), None) == header


def test_the_scrape_time_is_a_ceiling() -> None:
    header = DateCandidate("header", datetime(2020, 7, 27, 9, 24, tzinfo=UTC))
    front = DateCandidate("front-matter", datetime(2020, 7, 27, 2, 30, tzinfo=UTC))
    assert scrape_time([header, front], None, POLICY) == front.value
    assert choose_date([header, front], None, POLICY, None) == front
    late_file = DateCandidate("mtime", datetime(2020, 8, 1, tzinfo=UTC))
    assert choose_date([DateCandidate("byline", datetime(2020, 7, 28, tzinfo=UTC)), front], None, POLICY,
                       late_file) == front


@pytest.mark.parametrize(("text", "zoned"), [
    ("Fri, 08 Jan 2021 13:53:40 GMT", True), ("2021-01-08T01:08:59Z", True), ("2020-02-05T10:00:00+01:00", True),
    ("2020-07-16 09:48:51", False), ("22/10/2020 - 13:51", False), ("2020年 7月 17日", False),
])
def test_has_zone(text: str, zoned: bool) -> None:
    assert has_zone(text) is zoned


_MOMENTS = st.datetimes(min_value=datetime(1980, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC))
_ORIGINS = st.sampled_from(["byline", "header", "front-matter", "dateline", "local-byline", "feed"])


@settings(max_examples=400, deadline=None)
@given(candidates=st.lists(st.builds(DateCandidate, _ORIGINS, _MOMENTS), max_size=5),
       url_day=st.none() | st.dates(min_value=date(1990, 1, 1), max_value=date(2029, 12, 31)),
       mtime=st.none() | _MOMENTS)
def test_no_choice_is_ever_after_the_scrape(candidates: list[DateCandidate], url_day: date | None,
                                           mtime: datetime | None) -> None:
    """The invariant, whatever the candidates: the chosen date is plausible and never after the scrape time."""
    in_url = url_date(f"https://x.example/{url_day:%Y/%m/%d}/story") if url_day else None
    fallback = DateCandidate("mtime", mtime) if mtime else None
    chosen = choose_date(candidates, in_url, POLICY, fallback)
    scraped = scrape_time(candidates, in_url, POLICY)
    if chosen is not None:
        assert datetime(1995, 1, 1, tzinfo=UTC) <= chosen.value <= NOW + POLICY.future_tolerance
        if scraped is not None:
            assert chosen.value <= scraped
    else:
        assert scraped is None, "a seed with a plausible stamp always gets a date"
