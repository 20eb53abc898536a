"""output.documents: documents rendered a period at a time, sharing their stories' reads and built entries, give
exactly the bytes each document gives rendered alone, in every format and variant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import lxml.etree
import pytest

from feedsvc.model import Entry, EntryMeta, Provenance, Story, Version, instant
from feedsvc.output.documents import DocumentRenderer, in_groups, in_rendering_order
from feedsvc.output.memo import Memo
from feedsvc.output.plan import FeedPlan, Planned, plan_feeds
from feedsvc.output.site import period_pages
from feedsvc.output.syndication import render_atom, render_rss
from feedsvc.settings import Settings

START = datetime(2024, 1, 1, tzinfo=UTC)
SOURCES = (("dw", "www.dw.com", "德国之声"), ("voa", "www.voachinese.com", "美国之音"))


def _corpus(count: int) -> dict[Story, Entry]:
    """`count` stories, alternating between a Traditional (DW) and a Simplified (VOA) source, one every 2.5 days."""
    entries = {}
    for n in range(count):
        slug, host, name = SOURCES[n % 2]
        when = START + timedelta(hours=60 * n)
        meta = EntryMeta(f"urn:story:{n}", f"第{n}號 新聞 报道", f"https://{host}/a/{n}", when, when, slug, name,
                         "記者 甲" if n % 3 else None, ("國際", "政治") if n % 4 else (),
                         Provenance((f"{n}.md",), "link-line", "header", "header"))
        version = Version(f"d{n}", 0, f"{host}/a/{n}", meta.id, slug, instant(when), instant(when))
        entries[Story(version, version, (version.digest,))] = Entry(
            meta, f'<p>這是第{n}篇文章，<a href="https://{host}/a/{n}?國=1">發展</a>。</p>', f"摘要 {n}", f"d{n}")
    return entries


def _renderer(settings: Settings, plans: list[FeedPlan]) -> DocumentRenderer:
    return DocumentRenderer(settings.formats, settings.chinese_variants,
                            {s.slug: s.language for s in settings.sources}, period_pages(plans))


def _settings(base_settings: Settings) -> Settings:
    return replace(base_settings, base_url="https://f.example/", max_entries=4, archive_split_entries=8,
                   formats=("atom", "rss", "json"), chinese_variants=("zh-Hans", "zh-Hant"))


@pytest.mark.parametrize("formats", [("atom", "rss", "json"), ("rss", "atom", "json")])
def test_documents_rendered_together_give_the_bytes_each_gives_alone(base_settings: Settings,
                                                                     formats: tuple[str, ...]) -> None:
    # one feedgen entry serves both formats, whichever is made first
    settings = replace(_settings(base_settings), formats=formats)
    entries = _corpus(60)  # five months: the unified feed pages by day where a month is large, the sources by month
    plans = plan_feeds(settings, list(entries))
    renderer = _renderer(settings, plans)
    documents = in_rendering_order(plans)
    groups = in_groups(documents)
    reads: list[int] = []

    def read(stories: Sequence[Story]) -> dict[Story, Entry]:
        reads.append(len(stories))
        return {story: entries[story] for story in stories}

    together = [file for group in groups for file in renderer.render_group(group, read)]
    again = [file for group in groups for file in renderer.render_group(group, read)]
    alone = [file for planned in documents for file in renderer.render(
        replace(planned.feed, entries=tuple(entries[s] for s in planned.stories)))]
    assert [name for name, _ in together] == [name for name, _ in alone]
    for (name, data), (_, expected) in zip(together, alone, strict=True):
        assert data == expected, name
    assert again == together  # what a group built and moved between documents is left fit to use again
    assert len(reads) == 2 * len(groups) and len(groups) < len(documents)
    assert {name.split("/")[0] for name, _ in together} >= {"zh-hans", "zh-hant", "archive", "all.atom"}


def test_a_period_s_documents_are_one_group_the_unified_feed_s_first(base_settings: Settings) -> None:
    settings = replace(_settings(base_settings), archive_split_entries=1000)  # every feed pages by month
    entries = _corpus(60)
    plans = plan_feeds(settings, list(entries))
    groups = in_groups(in_rendering_order(plans))
    assert [d.feed.stem for d in groups[0]] == ["all", "sources/dw", "sources/voa"]
    periods = [{d.period.name for d in group if d.period} for group in groups[1:]]
    assert all(len(names) == 1 for names in periods)
    assert [names.pop() for names in periods] == ["2024-05", "2024-04", "2024-03", "2024-02", "2024-01"]
    assert all(group[0].feed.unified for group in groups[1:])
    for group in groups[2:]:  # below the newest period (whose newest stories are in subscription documents)
        unified: Planned = group[0]
        assert {s for d in group[1:] for s in d.stories} == set(unified.stories)  # every story read once serves two


def test_an_entry_twice_in_one_document_is_published_twice(base_settings: Settings) -> None:
    settings = _settings(base_settings)
    entries = _corpus(2)
    (plan, *_) = plan_feeds(settings, list(entries))
    entry = next(iter(entries.values()))
    feed = replace(plan.current.feed, entries=(entry, entry))
    for render, tag in ((render_atom, "{http://www.w3.org/2005/Atom}entry"), (render_rss, "channel/item")):
        built: Memo = {}
        data = render(feed, built)
        assert data == render(feed, None)
        assert len(lxml.etree.fromstring(data).findall(tag)) == 2


def test_pages_mark_each_title_with_its_story_s_language_and_each_name_with_its_source_s(
        base_settings: Settings) -> None:
    from feedsvc.output.pages import render_period

    entries = [replace(e, meta=replace(e.meta, language="zh-Hans")) if e.meta.source_slug == "dw" else e
               for e in _corpus(4).values()]
    unified = plan_feeds(_settings(base_settings), [])[0].current.feed
    page = render_period(unified, entries, "2024-01", "https://f.example/archive/all/index.html", (None, None),
                         None, {"dw": "zh-Hant", "voa": None}).decode()
    rows = [line for line in page.splitlines() if line.startswith("<li><a href=")]
    assert len(rows) == 4
    for entry, row in zip(entries, rows, strict=True):
        assert row.count(' lang="zh"') == 1  # the word 原文, beside the link to the original
        if entry.meta.source_slug == "dw":
            assert row.count(' lang="zh-Hans"') == 1 and row.count(' lang="zh-Hant"') == 1, row  # DW writes both
        else:
            assert ' lang="zh-' not in row, "a source of unknown language: nothing claimed"
    assert '<html lang="en">' in page  # the page itself, its words, stay English
