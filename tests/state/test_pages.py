"""state.pages: what each story page showed, read from the cache, recorded as a run renders and written back when
it has published; a page remembered but gone from the disk counts as never shown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from feedsvc.state.cache import IN_MEMORY, Cache
from feedsvc.state.pages import ShownPages


def _page(story_id: str) -> str:
    return f"stories/{story_id[:2]}/{story_id}.html"


@pytest.fixture
def cache() -> Iterator[Cache]:
    with Cache.open(IN_MEMORY) as opened:
        yield opened


def _publish(output: Path, *story_ids: str) -> None:
    for story_id in story_ids:
        (output / _page(story_id)).parent.mkdir(parents=True, exist_ok=True)
        (output / _page(story_id)).write_text("<html></html>", encoding="utf-8")


def test_what_a_run_records_the_next_run_reads(cache: Cache, tmp_path: Path) -> None:
    first = ShownPages(cache, tmp_path, _page, everything=True)
    assert first.get("aa1") is None  # a first run reads nothing
    first["aa1"], first["bb2"] = b"k1", b"k2"
    assert first.get("aa1") == b"k1"  # what this run recorded, before it is saved
    _publish(tmp_path, "aa1", "bb2")
    first.save(gone=())
    second = ShownPages(cache, tmp_path, _page, everything=False)
    assert (second.get("aa1"), second.get("bb2"), second.get("cc3")) == (b"k1", b"k2", None)


def test_nothing_is_written_before_save(cache: Cache, tmp_path: Path) -> None:
    pages = ShownPages(cache, tmp_path, _page, everything=False)
    pages["aa1"] = b"k1"
    _publish(tmp_path, "aa1")
    assert ShownPages(cache, tmp_path, _page, everything=False).get("aa1") is None


def test_a_page_gone_from_the_disk_counts_as_never_shown(cache: Cache, tmp_path: Path) -> None:
    cache.remember_pages({"aa1": b"k1"}, ())
    pages = ShownPages(cache, tmp_path, _page, everything=False)
    assert pages.get("aa1") is None
    _publish(tmp_path, "aa1")
    assert pages.get("aa1") == b"k1"


def test_a_rescan_reads_nothing_and_gone_stories_are_forgotten(cache: Cache, tmp_path: Path) -> None:
    cache.remember_pages({"aa1": b"k1", "bb2": b"k2"}, ())
    _publish(tmp_path, "aa1", "bb2")
    assert ShownPages(cache, tmp_path, _page, everything=True).get("aa1") is None
    ShownPages(cache, tmp_path, _page, everything=False).save(gone=["aa1"])
    assert (cache.page_shown("aa1"), cache.page_shown("bb2")) == (None, b"k2")
