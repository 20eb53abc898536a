"""output.plan and output.archive: which documents exist, which stories each holds, when one must be rendered
again; archive paging as a pure function of the stories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from feedsvc.model import EntryMeta, Provenance, Story, Version
from feedsvc.output.archive import paginate
from feedsvc.output.plan import document_digest, plan_feeds
from feedsvc.settings import Settings
from feedsvc.stories.group import merge, newest

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _meta(slug: str, n: int, hours: float | None = None) -> EntryMeta:
    when = T0 + timedelta(hours=n if hours is None else hours)
    return EntryMeta(f"urn:{slug}:{n}", f"{slug} {n}", f"https://{slug}.example/{n}", when, when, slug,
                     slug.upper(), None, (), Provenance((f"{slug}{n}.md",), "link-line", "header", "header"))


def _stories(counts: dict[str, int], step_hours: float = 1) -> list[Story]:
    metas = {f"{slug}{n}": _meta(slug, n, n * step_hours) for slug, count in counts.items() for n in range(count)}
    return merge(Version.of(m, digest, 0) for digest, m in metas.items())


def _titles(stories: tuple[Story, ...]) -> list[str]:
    return [s.newest.digest for s in stories]


def test_unified_feed_first_then_sources_in_slug_order_each_capped() -> None:
    plans = plan_feeds(Settings(max_entries=2, archives=False, base_url="https://f.example/x"),
                       _stories({"voa": 3, "dw": 5}))
    assert [p.current.feed.stem for p in plans] == ["all", "sources/dw", "sources/voa"]
    assert plans[0].current.feed.url("all", ".atom") == "https://f.example/x/all.atom"
    assert _titles(plans[0].current.stories) == ["dw4", "dw3"]
    assert _titles(plans[2].current.stories) == ["voa2", "voa1"]
    assert (plans[0].current.feed.entry_count, plans[1].current.feed.entry_count) == (8, 5)
    assert plans[1].current.feed.newest == T0 + timedelta(hours=4)
    assert all(not p.archives for p in plans)


def test_a_source_no_setting_names_gets_its_name_from_the_host() -> None:
    (plan,) = plan_feeds(Settings(archives=False), _stories({"example": 1}))[1:]
    assert (plan.current.feed.slug, plan.current.feed.title) == ("example", "example.example")


def test_no_stories_gives_an_empty_unified_feed_only() -> None:
    plans = plan_feeds(Settings(), [])
    assert [(p.current.feed.stem, p.current.stories, p.archives) for p in plans] == [("all", (), ())]


def test_filtered_unified_stories_leave_the_source_feeds_alone() -> None:
    stories = _stories({"dw": 3})
    plans = plan_feeds(Settings(archives=False), stories, [s for s in stories if s.newest.digest != "dw2"])
    assert _titles(plans[0].current.stories) == ["dw1", "dw0"]
    assert _titles(plans[1].current.stories) == ["dw2", "dw1", "dw0"]


def test_archive_chain_holds_every_story_once_linked_both_ways() -> None:
    stories = _stories({"dw": 90}, step_hours=24)  # three months, a story a day
    dw = plan_feeds(Settings(max_entries=10), stories)[1]
    chain = dw.documents
    held = [s.newest.digest for d in chain for s in d.stories]
    assert sorted(held) == sorted(s.newest.digest for s in stories) and len(held) == len(set(held))
    assert [d.feed.stem for d in dw.archives] == ["archive/sources/dw/2024-03", "archive/sources/dw/2024-02",
                                                  "archive/sources/dw/2024-01"]
    assert dw.current.feed.prev_archive == "archive/sources/dw/2024-03"
    for newer, older in pairwise(chain):
        assert newer.feed.prev_archive == older.feed.stem
        assert older.feed.next_archive == (newer.feed.stem if newer.feed.archived else None)
    assert all(d.feed.current == "sources/dw" and d.feed.archived for d in dw.archives)
    assert dw.archives[-1].feed.prev_archive is None and not dw.current.feed.archived
    assert [d.feed.entry_count for d in dw.archives] == [20, 29, 31]


def test_a_month_over_the_split_size_is_paged_by_day() -> None:
    stories = newest(_stories({"dw": 60}, step_hours=6), None)  # 15 days, four stories a day
    periods = paginate(stories, 4, split=30)[1]
    assert [p.name for p in periods][:2] == ["2024-01-14", "2024-01-13"] and len(periods) == 14
    assert all(p.is_day for p in periods)
    assert [p.name for p in paginate(stories, 4, split=100)[1]] == ["2024-01"]


def test_paging_is_immutable_when_stories_arrive() -> None:
    """A new story changes the subscription document and at most the newest archive period; a late story with
    an old date changes only its own period."""
    base = _stories({"dw": 90}, step_hours=24)
    before = {p.name: p.stories for p in paginate(newest(base, None), 10, 500)[1]}
    arrival = merge([*(s.newest for s in base), Version.of(_meta("dw", 500, 90 * 24), "new", 0)])
    after = {p.name: p.stories for p in paginate(newest(arrival, None), 10, 500)[1]}
    assert [name for name in after if after[name] != before.get(name)] == ["2024-03"]
    late = merge([*(s.newest for s in base), Version.of(_meta("dw", 501, 5.5 * 24), "late", 0)])
    after = {p.name: p.stories for p in paginate(newest(late, None), 10, 500)[1]}
    assert [name for name in after if after[name] != before.get(name)] == ["2024-01"]


def test_document_digest_follows_what_the_document_is_rendered_from() -> None:
    stories = _stories({"dw": 3})
    planned = plan_feeds(Settings(archives=False), stories)[1].current
    digest = document_digest(planned, "print")
    assert document_digest(planned, "print") == digest
    assert document_digest(planned, "other rules") != digest
    assert document_digest(planned, "print", ("atom",)) != digest
    fewer = plan_feeds(Settings(archives=False), stories[:2])[1].current
    assert document_digest(fewer, "print") != digest
