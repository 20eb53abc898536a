"""output.story: a page per story, standing where the plans put it: its neighbours in the unified feed and in its
source's feed across document boundaries, rendered again exactly when what it shows changes."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import html5lib

from feedsvc.model import Entry, EntryMeta, Provenance, Story, Version, instant
from feedsvc.output.pages import story_page
from feedsvc.output.plan import plan_feeds
from feedsvc.output.story import NEWEST, Navigator, StoryNav, render_story
from feedsvc.pipeline import RunOptions, regenerate
from feedsvc.settings import Settings
from tests.conftest import NOW, SAMPLES

XHTML = "{http://www.w3.org/1999/xhtml}"
START = datetime(2024, 1, 1, tzinfo=UTC)


def _story(n: int, slug: str) -> Story:
    when = instant(START + timedelta(days=n))
    version = Version(f"d{n}", 0, f"{slug}.example/a/{n}", f"urn:uuid:00000000-0000-5000-8000-{n:012d}", slug,
                      when, when)
    return Story(version, version, (version.digest,))


def test_neighbours_cross_document_boundaries_in_both_feeds(base_settings: Settings) -> None:
    settings = replace(base_settings, max_entries=2, archive_split_entries=1000)
    stories = [_story(n, "dw" if n % 3 else "voa") for n in range(12)]  # 12 days, one month's archive
    plans = plan_feeds(settings, stories)
    navigator = Navigator(plans)
    newest_first = sorted(stories, key=lambda s: -s.newest.updated)
    for at, story in enumerate(newest_first):
        nav = navigator.nav(story)
        assert nav is not None
        assert nav.newer == (newest_first[at - 1] if at else None)
        assert nav.older == (newest_first[at + 1] if at + 1 < len(newest_first) else None)
        same = [s for s in newest_first if s.source_slug == story.source_slug]
        mine = same.index(story)
        assert nav.source_newer == (same[mine - 1] if mine else None)
        assert nav.source_older == (same[mine + 1] if mine + 1 < len(same) else None)
        assert nav.listing == (("all", NEWEST) if at < 2 else ("archive/all/2024-01", "2024-01"))


def test_a_source_document_renders_only_the_pages_no_unified_document_being_rendered_holds(
        base_settings: Settings) -> None:
    settings = replace(base_settings, max_entries=2, archive_split_entries=1000)
    stories = [_story(n, "dw" if n % 3 else "voa") for n in range(12)]
    plans = plan_feeds(settings, stories)
    navigator = Navigator(plans)
    unified, dw = plans[0], next(p for p in plans if p.current.feed.slug == "dw")
    everything = navigator.pages_for([d for plan in plans for d in plan.documents])
    assert sorted(everything) == ["all", "archive/all/2024-01"]  # a cold run: each page once, with the unified feed
    assert sum(len(navs) for navs in everything.values()) == 12
    only_source = navigator.pages_for([dw.current])  # the unified documents did not change
    assert [nav.story for nav in only_source["sources/dw"]] == list(dw.current.stories)
    both = navigator.pages_for([unified.current, dw.current])
    assert [nav.story for nav in both.get("sources/dw", ())] == \
        [s for s in dw.current.stories if s not in unified.current.stories]


def _entry(title: str, author: str | None, categories: tuple[str, ...], html: str) -> Entry:
    when = START + timedelta(hours=3)
    meta = EntryMeta("urn:uuid:11111111-2222-5333-8444-555555555555", title, "https://www.dw.com/zh/a-1", when,
                     when + timedelta(hours=2), "dw", "德国之声", author, categories,
                     Provenance(("1.md",), "link-line", "header", "header"), "zh-Hant")
    return Entry(meta, html, "摘要", "d1")


def test_a_story_page_shows_the_article_escaped_and_links_relatively() -> None:
    entry = _entry("<script>alert(1)</script> 新聞", "記者 <b>甲</b>", ("國際", "<i>x</i>"),
                   '<p>正文</p><figure><img src="https://img.example/a.jpg"><figcaption>圖</figcaption></figure>')
    neighbour = _entry("較舊的 新聞", None, (), "<p>舊</p>")
    neighbour = replace(neighbour, meta=replace(neighbour.meta, id="urn:uuid:99999999-2222-5333-8444-555555555555"))
    older = _story(1, "dw")
    nav = StoryNav(_story(2, "dw"), ("archive/all/2024-01", "2024-01"), None, older, None, older)
    path, data = render_story(entry, nav, {older: neighbour}, "全部 & 一切", {"dw": "zh-Hant"})
    assert path == story_page(entry.meta.id) and path.startswith("stories/11/")
    page = html5lib.parse(data)
    assert not list(page.iter(f"{XHTML}script")) and not list(page.iter(f"{XHTML}b"))
    (article,) = page.iter(f"{XHTML}article")
    assert article.get("lang") == "zh-Hant"
    assert article.find(f"{XHTML}h1").text == "<script>alert(1)</script> 新聞"
    text = "".join(article.itertext())
    assert "記者 <b>甲</b>" in text and "<i>x</i>" in text and "2024-01-01 03:00 UTC" in text
    assert "(updated 2024-01-01 05:00 UTC)" in text
    (image,) = article.iter(f"{XHTML}img")
    assert (image.get("loading"), image.get("referrerpolicy")) == ("lazy", "no-referrer")
    links = {a.get("href") for a in page.iter(f"{XHTML}a")}
    assert {"../../index.html", "../../sources/dw.html", "../../archive/all/2024-01.html",
            "../../" + story_page(neighbour.meta.id), "https://www.dw.com/zh/a-1"} <= links
    assert not [href for href in links if href.startswith("/")]
    pager = [a for a in page.iter(f"{XHTML}a") if a.get("rel") == "next"]
    assert len(pager) == 2  # older in all sources, and in DW


def test_the_pages_own_words_are_english_inside_a_chinese_article() -> None:
    """So that a screen reader reads "updated" and "(the original)" in English, and the author in the story's
    language."""
    entry = _entry("新聞", "記者甲", (), "<p>正文</p>")
    nav = StoryNav(_story(2, "dw"), ("archive/all/2024-01", "2024-01"), None, None, None, None)
    (article,) = html5lib.parse(render_story(entry, nav, {}, "全部", {"dw": "zh-Hant"})[1]).iter(f"{XHTML}article")
    metas = [p for p in article.iter(f"{XHTML}p") if p.get("class") == "meta"]
    assert [p.get("lang") for p in metas] == ["en", "en"]
    assert {span.text: span.get("lang") for p in metas for span in p.iter(f"{XHTML}span")} == \
        {"德国之声": "zh-Hant", "記者甲": "zh-Hant", "原文": "zh"}


def test_a_story_without_text_says_so_instead_of_linking_the_original_twice() -> None:
    """The feeds carry a link to the original for it (`output.body`); the page has that link below already."""
    entry = replace(_entry("只有標題", None, (), ""), summary="")
    nav = StoryNav(_story(2, "dw"), ("archive/all/2024-01", "2024-01"), None, None, None, None)
    (article,) = html5lib.parse(render_story(entry, nav, {}, "全部", {})[1]).iter(f"{XHTML}article")
    assert [a.get("href") for a in article.iter(f"{XHTML}a")] == ["https://www.dw.com/zh/a-1"]
    assert "The archive holds no text of this story" in "".join(article.itertext())
    with_summary = html5lib.parse(render_story(replace(entry, summary="摘要"), nav, {}, "全部", {})[1])
    assert "no text" not in "".join(next(with_summary.iter(f"{XHTML}article")).itertext())


def _seed(folder: Path, number: int, days: int, source: str = "dw") -> Path:
    host = {"dw": "www.dw.com/zh", "voa": "www.voachinese.com/a"}[source]
    stamp = int((NOW - timedelta(days=days)).timestamp() * 1000)
    path = folder / f"{source}-{number}.txt"
    path.write_text(f"<!--{stamp}-->\n[第{number}號稿件](https://{host}/story-{number})\n------\n\n<p>第{number}篇。</p>\n",
                    encoding="utf-8")
    return path


def _page_of(settings: Settings, number: int, source: str = "dw") -> Path:
    for path in (settings.output_dir / "stories").rglob("*.html"):
        if f"第{number}號稿件</h1>" in path.read_text(encoding="utf-8"):
            return path
    raise AssertionError(f"no page for story {number}")


def test_pages_follow_new_and_removed_stories(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(max_entries=2)
    for number in range(5):
        _seed(settings.seeds_dir, number, days=10 - number)
    regenerate(settings, NOW)
    assert len(list((settings.output_dir / "stories").rglob("*.html"))) == 5
    newest = _page_of(settings, 4)
    assert "newer" not in newest.read_text(encoding="utf-8")
    stamp = newest.stat().st_mtime_ns
    untouched = _page_of(settings, 0)
    untouched_stamp = untouched.stat().st_mtime_ns

    _seed(settings.seeds_dir, 5, days=1)  # the newest: story 4's page now has a newer neighbour
    report = regenerate(settings, NOW)
    assert newest.stat().st_mtime_ns != stamp and "第5號稿件" in newest.read_text(encoding="utf-8")
    assert untouched.stat().st_mtime_ns == untouched_stamp, "a page whose bytes are the same is not written"
    # the new story's page, story 4's (a newer neighbour), story 3's (it left the newest two for the archive)
    assert sum(1 for name in report.files_written if name.startswith("stories/")) == 3
    assert "archive/all/" in _page_of(settings, 3).read_text(encoding="utf-8")

    gone = _page_of(settings, 2)
    (settings.seeds_dir / "dw-2.txt").unlink()
    regenerate(settings, NOW)
    assert not gone.exists()
    assert "第2號稿件" not in _page_of(settings, 3).read_text(encoding="utf-8")

    stray = settings.output_dir / "stories" / "ff" / "ffffffff-0000-5000-8000-000000000000.html"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_text("left over")
    regenerate(settings, NOW, RunOptions(rehash=True))
    assert not stray.exists()
    assert len(list((settings.output_dir / "stories").rglob("*.html"))) == 5


def test_story_pages_are_not_among_the_outputs_every_run_reads(make_settings) -> None:  # type: ignore[no-untyped-def]
    from feedsvc.state.cache import Cache

    settings = make_settings()
    shutil.copytree(SAMPLES, settings.seeds_dir, dirs_exist_ok=True)
    regenerate(settings, NOW)
    with Cache.open(settings.state_dir / "cache.sqlite") as cache:
        outputs = cache.load_state().outputs
    assert outputs and not [name for name in outputs if name.startswith("stories/")]
    assert "all.html" in outputs and "sources/dw.html" in outputs
    for page in (settings.output_dir / "stories").rglob("*"):
        assert not page.name.endswith(".gz")


def _rendered_pages(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """The titles of the story pages rendered from now on, in order."""
    from feedsvc.output import documents
    from feedsvc.output.story import render_story as real

    rendered: list[str] = []

    def counted(entry, nav, others, site_title, languages):  # type: ignore[no-untyped-def]
        rendered.append(entry.meta.title)
        return real(entry, nav, others, site_title, languages)

    monkeypatch.setattr(documents, "render_story", counted)
    return rendered


def test_the_daemon_renders_again_only_the_pages_that_show_something_else(make_settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from feedsvc.state.index import Memory

    settings = make_settings(max_entries=2, archive_split_entries=1000)
    for number in range(8):
        _seed(settings.seeds_dir, number, days=20 - number)
    memory = Memory()
    regenerate(settings, NOW, RunOptions(memory=memory))
    rendered = _rendered_pages(monkeypatch)
    _seed(settings.seeds_dir, 8, days=1)
    regenerate(settings, NOW, RunOptions(memory=memory))
    # the new story, its older neighbour (7), and 6, which left the newest two for the archive: not the archive's
    # other pages, though its document was rendered again
    assert sorted(rendered) == ["第6號稿件", "第7號稿件", "第8號稿件"]
    assert "第8號稿件" in _page_of(settings, 7).read_text(encoding="utf-8")
    rendered.clear()
    regenerate(settings, NOW, RunOptions(memory=memory))
    assert rendered == [], "nothing changed: no page rendered"


def test_one_shot_runs_render_again_only_the_pages_that_show_something_else(make_settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """What each page shows is kept in the cache, so a run in a new process (cron) renders a new story's page and
    its neighbours', not every page of the documents it changes; a page removed from the disk comes back."""
    settings = make_settings(max_entries=2, archive_split_entries=1000)
    for number in range(8):
        _seed(settings.seeds_dir, number, days=20 - number)
    regenerate(settings, NOW)
    rendered = _rendered_pages(monkeypatch)
    _seed(settings.seeds_dir, 8, days=1)
    regenerate(settings, NOW)
    assert sorted(rendered) == ["第6號稿件", "第7號稿件", "第8號稿件"]
    assert "第8號稿件" in _page_of(settings, 7).read_text(encoding="utf-8")

    rendered.clear()
    _page_of(settings, 3).unlink()
    _seed(settings.seeds_dir, 9, days=0)
    regenerate(settings, NOW)
    assert sorted(rendered) == ["第3號稿件", "第7號稿件", "第8號稿件", "第9號稿件"]  # 3: its file was gone
    assert _page_of(settings, 3).is_file()


def test_a_change_of_site_title_renders_every_page_again(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(max_entries=2, archive_split_entries=1000)
    for number in range(4):
        _seed(settings.seeds_dir, number, days=20 - number)
    regenerate(settings, NOW)
    regenerate(replace(settings, title="另一個標題"), NOW)
    for number in range(4):
        assert "另一個標題" in _page_of(settings, number).read_text(encoding="utf-8")
