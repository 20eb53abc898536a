"""ingest.triage: which seeds wait as half-written, and which are read at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from feedsvc.errors import SeedReadError
from feedsvc.ingest.triage import INCOMPLETE_GRACE_SECONDS, check_complete
from feedsvc.model import SeedFile

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)


def _seed(data: bytes, age_seconds: float) -> SeedFile:
    moment = NOW - timedelta(seconds=age_seconds)
    return SeedFile("a.md", len(data), int(moment.timestamp() * 1e9))


def test_a_text_seed_without_its_last_newline_waits_while_it_is_fresh() -> None:
    data = b"<!--1-->\n[t](https://x.example/a)\n------\n\n<p>half"
    with pytest.raises(SeedReadError, match="probably still being written") as raised:
        check_complete(data, _seed(data, 1.0), NOW)
    assert raised.value.transient
    check_complete(data, _seed(data, INCOMPLETE_GRACE_SECONDS + 1), NOW)  # then it is read as it is
    check_complete(data + b"\n", _seed(data + b"\n", 1.0), NOW)


def test_a_binary_file_written_just_now_is_read_at_once() -> None:
    """An image dropped among the seeds ends with no newline: it is no half-written seed, and the parser says
    "binary file" at once instead of "still being written" for the grace period."""
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    check_complete(data, _seed(data, 0.5), NOW)
