"""group: versions merged into stories on the link key, newest first, merged metadata."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from feedsvc.model import EntryMeta, Provenance, Version, instant
from feedsvc.stories.group import merge, newest, story_meta

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def meta(link: str, hours: int, *, title: str = "t", seed: str = "a.md", origin: str = "header") -> EntryMeta:
    when = T0 + timedelta(hours=hours)
    return EntryMeta(f"id:{link.split('://')[1]}", title, link, when, when, "dw", "DW", None, (),
                     Provenance((seed,), "link-line", origin, origin))


def test_instant_is_exact_and_ordered() -> None:
    assert instant(datetime(1970, 1, 1, tzinfo=UTC)) == 0
    assert instant(T0 + timedelta(microseconds=1)) - instant(T0) == 1


def test_http_and_https_copies_are_one_story_with_newest_content_and_oldest_date() -> None:
    old = Version.of(meta("http://x.example/a", 0), "d1", 0)
    new = Version.of(meta("https://x.example/a", 5), "d2", 0)
    other = Version.of(meta("https://x.example/b", 3), "d3", 0)
    stories = merge([old, new, other])
    assert len(stories) == 2
    story = next(s for s in stories if s.newest.key == "x.example/a")
    assert (story.newest, story.oldest, story.digests) == (new, old, ("d1", "d2"))


def test_newest_orders_by_updated_then_id_and_caps() -> None:
    versions = [Version.of(meta(f"https://x.example/{n}", hours), f"d{n}", 0)
                for n, hours in enumerate([1, 3, 3, 2])]
    stories = merge(reversed(versions))
    chosen = newest(stories, 3)
    tied = sorted([versions[1], versions[2]], key=lambda v: v.id)  # same `updated`: the id decides
    assert [s.newest for s in chosen] == [*tied, versions[3]]
    assert newest(stories, 3) == newest(list(reversed(stories)), 3), "order never depends on input order"


def test_story_meta_takes_published_from_the_oldest_and_lists_every_seed() -> None:
    first, second = meta("https://x.example/a", 0, seed="1.md"), meta("https://x.example/a", 4, title="fixed",
                                                                      seed="2.md", origin="byline")
    versions = {("d1", 0): first, ("d2", 0): second}
    (story,) = merge([Version.of(first, "d1", 0), Version.of(second, "d2", 0)])
    merged = story_meta(story, lambda v: versions[(v.digest, v.n)], {"d1": ["1.md", "copy.md"], "d2": ["2.md"]})
    assert merged.title == "fixed"
    assert merged.published == first.published and merged.updated == second.updated
    assert merged.provenance.seeds == ("1.md", "2.md", "copy.md")
    assert merged.provenance.published_from == "header"


def test_single_version_story_meta_is_the_version_unless_seeds_differ() -> None:
    only = meta("https://x.example/a", 0)
    (story,) = merge([Version.of(only, "d1", 0)])
    assert story_meta(story, lambda v: only, {"d1": ["a.md"]}) is only
    assert story_meta(story, lambda v: only, {"d1": ["a.md", "b.md"]}) == replace(
        only, provenance=replace(only.provenance, seeds=("a.md", "b.md")))
