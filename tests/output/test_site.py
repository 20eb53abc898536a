"""Everything published, rendered (`output.site`): each document's listing page linked to its neighbours, an OPML
per format and variant, the archive index pages, the index page, OpenSearch and the stylesheet."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from feedsvc.model import Entry, EntryMeta, Provenance, Story, Version, instant
from feedsvc.output.documents import DocumentRenderer, RenderRun
from feedsvc.output.plan import plan_feeds
from feedsvc.output.site import opml_name, period_pages, render_site
from feedsvc.output.story import NEWEST
from feedsvc.settings import Settings

START = datetime(2024, 1, 1, tzinfo=UTC)


def _corpus(count: int) -> dict[Story, Entry]:
    """`count` DW stories, one a day."""
    entries = {}
    for n in range(count):
        when = START + timedelta(days=n)
        meta = EntryMeta(f"urn:story:{n}", f"第{n}號", f"https://www.dw.com/a/{n}", when, when, "dw", "德国之声", None,
                         (), Provenance((f"{n}.md",), "link-line", "header", "header"))
        version = Version(f"d{n}", 0, f"www.dw.com/a/{n}", meta.id, "dw", instant(when), instant(when))
        entries[Story(version, version, (version.digest,))] = Entry(meta, f"<p>{n}</p>", f"摘要 {n}", f"d{n}")
    return entries


def _settings(base_settings: Settings, **changes: object) -> Settings:
    return replace(base_settings, base_url="https://f.example/", max_entries=3, archive_split_entries=40,
                   **changes)  # type: ignore[arg-type]


def test_each_listing_page_links_its_newer_and_older_neighbours_and_the_archive_index(
        base_settings: Settings) -> None:
    plans = plan_feeds(_settings(base_settings), list(_corpus(70)))  # January and February, 31 + 29 archived
    pages = period_pages(plans)
    unified = plans[0]
    stems = [p.feed.stem for p in unified.documents]
    assert stems[0] == "all" and len(stems) == len(unified.archives) + 1 >= 3
    first, second, last = pages[stems[0]], pages[stems[1]], pages[stems[-1]]
    assert first.name == NEWEST and first.newer is None and first.older is not None
    assert second.newer == (NEWEST, "https://f.example/all.html")
    assert last.older is None and last.newer is not None
    assert first.archive_url == "https://f.example/archive/all/index.html"
    assert all(page.archive_url is None for page in period_pages(plans, archives=False).values())


def _render(settings: Settings, entries: dict[Story, Entry]) -> dict[str, bytes]:
    plans = plan_feeds(settings, list(entries))
    files: dict[str, bytes] = {}

    def read(stories: Sequence[Story]) -> dict[Story, Entry]:
        return {story: entries[story] for story in stories}

    renderer = DocumentRenderer(settings.formats, settings.chinese_variants,
                                {s.slug: s.language for s in settings.sources}, period_pages(plans))
    run = RenderRun(files.__setitem__, renderer, {}, lambda name: False, read, "prints")
    done = render_site(settings, plans, run)
    assert sorted(done.names) == sorted(files)
    return files


def test_the_site_around_the_documents(base_settings: Settings) -> None:
    settings = _settings(base_settings, formats=("atom", "rss"), chinese_variants=("zh-Hans",))
    files = _render(settings, _corpus(5))
    assert {"feeds.opml", "feeds-rss.opml", "zh-hans/feeds.opml", "zh-hans/feeds-rss.opml", "index.html",
            "opensearch.xml", "style.css", "archive/all/index.html", "archive/sources/dw/index.html"} <= set(files)
    assert [opml_name(ext) for ext in (".atom", ".rss", ".json")] == ["feeds.opml", "feeds-rss.opml",
                                                                      "feeds-json.opml"]
    links = set(re.findall(r'href="([^"]+)"', files["index.html"].decode()))
    assert {"feeds.opml", "zh-hans/feeds-rss.opml", "all.atom", "all.rss", "all.html", "sources/dw.atom",
            "zh-hans/all.atom", "zh-hans/sources/dw.rss", "archive/all/index.html", "opensearch.xml",
            "style.css"} <= links
    assert all(link in files or link.endswith(".html") for link in links)  # the feeds' own pages: the documents'
    assert b"https://f.example/zh-hans/all.rss" in files["zh-hans/feeds-rss.opml"]


def test_no_archives_no_archive_index(base_settings: Settings) -> None:
    files = _render(_settings(base_settings, archives=False, formats=("atom",)), _corpus(5))
    assert not any(name.startswith("archive/") for name in files)
    assert "feeds-rss.opml" not in files and "zh-hans/feeds.opml" not in files
