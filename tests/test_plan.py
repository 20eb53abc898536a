"""plan: which feeds exist, which stories each holds, and when a feed must be rendered again."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from feedsvc.group import Story, Version, merge
from feedsvc.model import EntryMeta, Provenance
from feedsvc.plan import feed_digest, plan_feeds
from feedsvc.settings import Settings

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _meta(slug: str, n: int) -> EntryMeta:
    when = T0 + timedelta(hours=n)
    return EntryMeta(f"urn:{slug}:{n}", f"{slug} {n}", f"https://{slug}.example/{n}", when, when, slug,
                     slug.upper(), None, (), None, Provenance((f"{slug}{n}.md",), "link-line", "header", "header"))


def _stories(counts: dict[str, int]) -> tuple[list[Story], dict[str, EntryMeta]]:
    metas = {f"{slug}{n}": _meta(slug, n) for slug, count in counts.items() for n in range(count)}
    return merge(Version.of(m, digest, 0) for digest, m in metas.items()), metas


def test_unified_feed_first_then_sources_in_slug_order_each_capped() -> None:
    stories, metas = _stories({"voa": 3, "dw": 5})
    asked: list[str] = []

    def meta_of(story: Story) -> EntryMeta:
        asked.append(story.newest.digest)
        return metas[story.newest.digest]

    plans = plan_feeds(Settings(max_entries=2, base_url="https://f.example/x"), stories, meta_of)
    assert [p.feed.path for p in plans] == ["all.atom", "sources/dw.atom", "sources/voa.atom"]
    assert next(p.feed.self_url for p in plans) == "https://f.example/x/all.atom"
    assert [m.title for _, m in plans[0].stories] == ["dw 4", "dw 3"]
    assert [m.title for _, m in plans[2].stories] == ["voa 2", "voa 1"]
    assert (plans[0].feed.entry_count, plans[1].feed.entry_count) == (8, 5)
    assert plans[1].feed.newest == T0 + timedelta(hours=4)
    assert sorted(asked) == sorted({"dw4", "dw3", "voa2", "voa1"}), "metadata read once, for published stories only"


def test_no_stories_gives_an_empty_unified_feed_only() -> None:
    plans = plan_feeds(Settings(), [], lambda story: _meta("x", 0))
    assert [(p.feed.path, p.stories, p.feed.newest) for p in plans] == [("all.atom", (), None)]


def test_feed_digest_follows_what_the_feed_is_rendered_from() -> None:
    stories, metas = _stories({"dw": 3})
    plans = plan_feeds(Settings(), stories, lambda s: metas[s.newest.digest])
    source_feeds = {"dw": ("DW", "https://f.example/sources/dw.atom")}
    digest = feed_digest(plans[1], source_feeds, "print")
    assert feed_digest(plans[1], source_feeds, "print") == digest
    assert feed_digest(plans[1], source_feeds, "other rules") != digest
    retitled = replace(plans[1], stories=tuple((s, replace(m, title="new")) for s, m in plans[1].stories))
    assert feed_digest(retitled, source_feeds, "print") != digest
    assert feed_digest(plans[1], {}, "print") == digest, "a source feed does not depend on the other sources"
    assert feed_digest(plans[0], {}, "print") != feed_digest(plans[0], source_feeds, "print")
