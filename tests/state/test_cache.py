"""cache: run state, known seeds, outcomes and entries, sweeping, and damage turned into CacheError."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feedsvc.errors import CacheError
from feedsvc.model import Entry, EntryMeta, KnownSeed, Provenance, SeedFile, SeedProblem, SourceStatus, Version
from feedsvc.state.cache import IN_MEMORY, READ_BATCH, Cache, RunState
from feedsvc.stories.group import merge_group

WHEN = datetime(2024, 1, 1, 8, tzinfo=UTC)


def _entry(n: int) -> Entry:
    meta = EntryMeta(f"urn:{n}", f"title {n}", f"https://x.example/{n}", WHEN, WHEN, "dw", "DW", "A. Writer",
                     ("Politik",), Provenance((f"{n}.md",), "link-line", "header", "header"))
    return Entry(meta, f"<p>{n}</p>", f"summary {n}", f"d{n}")


def test_run_state_round_trips(tmp_path: Path) -> None:
    state = RunState(signature="s", fingerprint="f", seed_count=3, entries=2, outputs=("all.atom", "index.html"),
                     feed_digests={"all.atom": "x"}, problems=(SeedProblem("a.md", "empty file"),),
                     sources=(SourceStatus("dw", "DW", 2, WHEN), SourceStatus("x", "X", 0, None)))
    with Cache.open(tmp_path / "c.sqlite") as cache:
        assert cache.load_state() == RunState()
        cache.save_state(state)
    with Cache.open(tmp_path / "c.sqlite") as cache:
        assert cache.load_state() == state


def test_seeds_table_is_updated_by_difference() -> None:
    a, b = SeedFile("a.md", 10, 1), SeedFile("b.md", 20, 2)
    with Cache.open(IN_MEMORY) as cache:
        cache.update_seeds([("a.md", KnownSeed(10, 1, "d1")), ("b.md", KnownSeed(20, 2, "d2"))], [])
        known = cache.known_seeds()
        assert known == {"a.md": KnownSeed(10, 1, "d1"), "b.md": KnownSeed(20, 2, "d2")}
        assert known["a.md"].matches(a) and not known["a.md"].matches(SeedFile("a.md", 10, 5))
        assert known["b.md"].matches(b)
        cache.update_seeds([("b.md", KnownSeed(20, 3, "d1"))], ["a.md"])
        assert cache.known_seeds() == {"b.md": KnownSeed(20, 3, "d1")}


def test_an_article_sent_as_utf8_is_stored_as_the_text_it_is(tmp_path: Path) -> None:
    as_text = replace(_entry(1), article="<p>德国之声 ✓</p>")
    as_bytes = replace(_entry(2), article="<p>德国之声 ✓</p>".encode())
    with Cache.open(tmp_path / "c.sqlite") as cache:
        cache.store([("d1", None, (as_text,)), ("d2", None, (as_bytes,))], "f")
        assert cache.content("d1", 0, "f")[0] == cache.content("d2", 0, "f")[0] == "<p>德国之声 ✓</p>"
    with sqlite3.connect(tmp_path / "c.sqlite") as db:
        rows = db.execute("SELECT typeof(content), CAST(content AS BLOB) FROM entries ORDER BY digest").fetchall()
    assert rows == [("text", "<p>德国之声 ✓</p>".encode())] * 2


class _Undecodable(Entry):
    @property
    def content(self) -> str:
        raise AssertionError("the article was decoded")


def test_storing_an_article_never_decodes_it() -> None:
    entry = _entry(1)
    undecodable = _Undecodable(entry.meta, b"<p>1</p>", entry.summary, entry.digest)
    with Cache.open(IN_MEMORY) as cache:
        cache.store([("d1", None, (undecodable,))], "f")
        assert cache.content("d1", 0, "f") == ("<p>1</p>", "summary 1")


def test_outcomes_entries_and_sweeps() -> None:
    with Cache.open(IN_MEMORY) as cache:
        cache.store([("d1", None, (_entry(1),)), ("d2", "empty file", ())], "f1")
        cache.store([("d1", None, (_entry(1),))], "f2")
        assert cache.outcome_digests("f1") == {"d1", "d2"}
        (version,) = cache.versions({"d1"}, "f1")
        assert version == Version.of(_entry(1).meta, "d1", 0)
        assert cache.meta(version, "f1") == _entry(1).meta
        assert cache.content("d1", 0, "f1") == ("<p>1</p>", "summary 1")
        assert cache.problems("f1") == {"d2": "empty file"}
        assert cache.versions_of(["d1", "d9"], "f1") == [version]
        with pytest.raises(KeyError):
            cache.content("d9", 0, "f1")
        cache.forget_other_fingerprints("f2")
        assert cache.outcome_digests("f1") == set() and cache.outcome_digests("f2") == {"d1"}
        cache.forget_unreferenced()
        assert cache.outcome_digests("f2") == set()
        cache.store([("d1", None, (_entry(1),)), ("d2", "empty file", ())], "f2")
        cache.forget(["d1"])
        assert cache.outcome_digests("f2") == {"d2"} and cache.versions_of(["d1"], "f2") == []


def test_published_entries_are_read_in_batches_and_merged_as_story_by_story() -> None:
    """Many stories (more than one query's worth), one of two versions across two seeds, one seed of two
    entries: each entry is what reading its story alone gives, provenance completed from `paths`."""
    count = READ_BATCH + 20
    late = replace(_entry(0), meta=replace(_entry(0).meta, updated=datetime(2024, 2, 1, tzinfo=UTC), title="late"),
                   article="<p>late</p>", digest="late")
    pair = (_entry(count), replace(_entry(count + 1), digest=f"d{count}"))
    with Cache.open(IN_MEMORY) as cache:
        cache.store([(f"d{n}", None, (_entry(n),)) for n in range(count)], "f")
        cache.store([("late", None, (late,)), (f"d{count}", None, pair)], "f")
        groups: dict[str, list[Version]] = {}
        for version in cache.versions({"late", *(f"d{n}" for n in range(count + 1))}, "f"):
            groups.setdefault(version.key, []).append(version)
        stories = [merge_group(group) for group in groups.values()]
        assert len(stories) == count + 2  # the late version merges with urn:0; the pair is two stories
        paths = {"late": ["later.md"], "d0": ["first.md"]}
        entries = cache.published_entries([*stories, stories[0]], "f", paths)
        assert list(entries) == stories  # each once, in the order asked
        for story in stories:
            (alone,) = cache.published_entries([story], "f", paths).values()
            assert entries[story] == alone
        merged = next(e for e in entries.values() if e.meta.id == "urn:0")
        assert (merged.meta.title, merged.content, merged.digest) == ("late", "<p>late</p>", "late")
        assert merged.article == b"<p>late</p>"  # as stored, for Atom and RSS; as text when asked
        assert cache.published_entries([stories[0]], "f", paths, text=True)[stories[0]].article == "<p>late</p>"
        assert merged.meta.published == WHEN and merged.meta.provenance.seeds == ("first.md", "later.md")
        assert {e.meta.id for e in entries.values()} >= {f"urn:{count}", f"urn:{count + 1}"}
        missing = stories[1]._replace(newest=stories[1].newest._replace(digest="gone"))
        with pytest.raises(KeyError):
            cache.published_entries([missing], "f")


def test_a_damaged_database_is_set_aside_on_open(tmp_path: Path) -> None:
    database = tmp_path / "c.sqlite"
    database.write_bytes(b"this is not a database" * 100)
    with Cache.open(database) as cache:
        assert cache.load_state() == RunState()
    assert (tmp_path / "c.sqlite.corrupt").read_bytes().startswith(b"this is not")


def test_damage_found_later_raises_cache_error_naming_the_database(tmp_path: Path) -> None:
    database = tmp_path / "c.sqlite"
    with Cache.open(database) as cache:
        with sqlite3.connect(database) as other:
            other.execute("DROP TABLE seeds")
        with pytest.raises(CacheError, match=r"c\.sqlite: cache database unusable"):
            cache.known_seeds()


def test_an_unreadable_state_row_starts_from_an_empty_state(tmp_path: Path) -> None:
    database = tmp_path / "c.sqlite"
    with Cache.open(database) as cache:
        cache.save_state(RunState(signature="s"))
    with sqlite3.connect(database) as db:
        db.execute("UPDATE meta SET value='{\"signature\": 1' WHERE key='state'")
    with Cache.open(database) as cache:
        assert cache.load_state() == RunState()
