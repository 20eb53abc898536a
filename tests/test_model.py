"""The values passed between stages (`model`): what little they compute themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from feedsvc.model import (
    LFS_POINTER,
    Entry,
    EntryMeta,
    Feed,
    KnownSeed,
    Provenance,
    SeedFile,
    SeedProblem,
    Version,
    instant,
)

WHEN = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
META = EntryMeta("urn:x", "t", "https://www.dw.com/zh/a-1?x=1", WHEN, WHEN, "dw", "DW", None, (),
                 Provenance(("1.md",), "link-line", "header", "header"))


def test_instants_are_exact_and_order_as_the_times_do() -> None:
    assert instant(datetime(1970, 1, 1, tzinfo=UTC)) == 0
    later = WHEN + timedelta(microseconds=1)
    assert instant(later) - instant(WHEN) == 1 and instant(WHEN) == int(WHEN.timestamp()) * 1_000_000


def test_an_entry_is_text_or_bytes_and_is_hashed_by_its_seed_version() -> None:
    text, data = Entry(META, "<p>图</p>", "", "d1"), Entry(META, "<p>图</p>".encode(), "", "d1")
    assert text.content == data.content == "<p>图</p>" and text.content_utf8 == data.content_utf8
    assert hash(text) == hash(data) == hash("d1") and text != data  # told apart by equality
    marked = Entry(META, "", "", "d1", edges=((b"k" * 8, 0, 5), (b"m" * 8, 9, 20)))
    assert marked.marks == b"k" * 8 + b"m" * 8


def test_a_version_of_an_entry_is_keyed_by_its_link_without_scheme() -> None:
    version = Version.of(META, "d1", 0, b"m" * 8)
    assert (version.key, version.id, version.source_slug, version.updated) == (
        "www.dw.com/zh/a-1?x=1", "urn:x", "dw", instant(WHEN))


def test_a_feed_links_its_documents_and_its_sources_in_its_own_variant() -> None:
    feed = Feed("all", "t", "", "zh-hant/all", "https://f.example/", "https://f.example/", None, (),
                variant_dir="zh-hant", variant_skips=frozenset({"dw"}))
    assert feed.url("zh-hant/all", ".atom") == "https://f.example/zh-hant/all.atom"
    assert feed.source_stem("voa") == "zh-hant/sources/voa" and feed.source_stem("dw") == "sources/dw"
    assert not feed.archived and Feed("all", "t", "", "all", "", "", None, (), current="all").archived


def test_a_seed_is_known_unchanged_by_its_size_and_mtime() -> None:
    seed = SeedFile("dw/1.md", 10, 1_700_000_000_123_456_789)
    assert seed.modified == datetime.fromtimestamp(1_700_000_000.123456789, tz=UTC)
    assert KnownSeed(10, seed.mtime_ns, "d").matches(seed) and not KnownSeed(11, seed.mtime_ns, "d").matches(seed)
    assert SeedProblem("a.md", LFS_POINTER).lfs_pointer and not SeedProblem("a.md", "no title").lfs_pointer
