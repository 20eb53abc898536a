"""serve.search: `/search` as a page and as Atom, RSS and JSON Feed with OpenSearch's response elements; bad
queries and parameters are a clear 400; everything shown is escaped; the feeds are valid."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import html5lib
import lxml.etree
import pytest

from feedsvc.pipeline import regenerate
from feedsvc.serve.search import PER_PAGE, SearchPages
from feedsvc.settings import Settings
from tests.conftest import NOW, SAMPLES, build_search
from tests.feedcheck import VALIDATOR, assert_valid, w3c_problems
from tests.pagecheck import html_problems, needs_html_checker

XHTML = "{http://www.w3.org/1999/xhtml}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


@pytest.fixture
def pages(make_settings) -> tuple[SearchPages, Settings]:  # type: ignore[no-untyped-def]
    settings: Settings = make_settings()
    shutil.copytree(SAMPLES, settings.seeds_dir, dirs_exist_ok=True)
    for number in range(45):  # more than two pages of results for 稿件
        (settings.seeds_dir / f"extra-{number}.txt").write_text(
            f"<!--{1_690_000_000_000 + number * 60_000}-->\n[稿件{number} A&amp;B](https://www.voachinese.com/a/"
            f"x-{number}.html)\n------\n\n<p>第{number}篇稿件。</p>\n", encoding="utf-8")
    regenerate(settings, NOW)
    build_search(settings)
    return SearchPages(settings.state_dir, settings.base_url, settings.title,
                       {s.slug: s.language for s in settings.sources}), settings


def test_the_page_lists_every_match_linking_to_its_story_page(pages: tuple[SearchPages, Settings]) -> None:
    search, settings = pages
    answer = search.answer("/search", {"q": "核軍"})
    assert answer.status == 200 and answer.content_type.startswith("text/html")
    page = html5lib.parse(answer.body)
    rows = list(next(page.iter(f"{XHTML}ol")))
    assert len(rows) == 3
    for row in rows:
        href = row.find(f"{XHTML}a").get("href")
        assert href.startswith("stories/") and (settings.output_dir / href).is_file()
    box = next(page.iter(f"{XHTML}input"))
    assert box.get("value") == "核軍"


def test_the_search_page_writes_a_story_s_row_as_the_listings_do(pages: tuple[SearchPages, Settings]) -> None:
    search, settings = pages
    found = search.answer("/search", {"q": "稿件7"}).body.decode("utf-8")
    listed = (settings.output_dir / "all.html").read_text(encoding="utf-8")
    rows = [line for line in found.splitlines() if line.startswith("<li>")]
    # the same markup (rows.html), the title's language included, though a search hit reads the entry as stored
    # (no language where its text showed none) and the listing as published (its source's)
    assert rows and all(row in listed for row in rows)
    assert all(' lang="zh-Hans">' in row for row in rows)


def test_paging_and_source(pages: tuple[SearchPages, Settings]) -> None:
    search, _ = pages
    seen = []
    for number in (1, 2, 3):
        body = html5lib.parse(search.answer("/search", {"q": "稿件", "page": str(number)}).body)
        seen += [row.find(f"{XHTML}a").text for row in next(body.iter(f"{XHTML}ol"))]
    assert len(seen) == 45 == len(set(seen))
    assert len(html5lib.parse(search.answer("/search", {"q": "稿件", "source": "dw"}).body).findall(
        f".//{XHTML}li")) == 0


def test_what_is_shown_is_escaped(pages: tuple[SearchPages, Settings]) -> None:
    search, _ = pages
    answer = search.answer("/search", {"q": "<script>alert(1)</script>"})
    assert b"<script>" not in answer.body and b"&lt;script&gt;alert(1)&lt;/script&gt;" in answer.body
    assert b"A&amp;B" in search.answer("/search", {"q": "稿件"}).body  # the title's text, escaped once


@pytest.mark.parametrize(("path", "params", "reason"), [
    ("/search.atom", {}, "q (the query) is missing"),
    ("/search.atom", {"q": "，。"}, "characters to search for"),
    ("/search.rss", {"q": "x" * 300}, "longer than"),
    ("/search", {"q": "x", "page": "two"}, "whole number"),
    ("/search", {"q": "x", "page": "0"}, "between 1 and"),
    ("/search.json", {"q": "x", "source": "../etc"}, "slug"),
])
def test_bad_requests_are_a_400_that_says_why(pages: tuple[SearchPages, Settings], path: str,
                                              params: dict[str, str], reason: str) -> None:
    answer = pages[0].answer(path, params)
    assert answer.status == 400
    assert reason in answer.body.decode()


def test_a_malformed_query_on_the_page_is_a_400_page_with_the_form(pages: tuple[SearchPages, Settings]) -> None:
    answer = pages[0].answer("/search", {"q": '"'})
    assert answer.status == 400 and answer.content_type.startswith("text/html")
    assert "characters to search for" in answer.body.decode()
    assert pages[0].answer("/search", {}).status == 200  # the empty form


def test_the_feeds_carry_opensearch_and_are_valid(pages: tuple[SearchPages, Settings], tmp_path: Path) -> None:
    search, settings = pages
    (tmp_path / "feeds").mkdir()
    for extension in ("atom", "rss", "json"):
        answer = search.answer(f"/search.{extension}", {"q": "稿件", "page": "2"})
        assert answer.status == 200
        (tmp_path / "feeds" / f"search.{extension}").write_bytes(answer.body)
        if extension == "json":
            document = json.loads(answer.body)
            assert len(document["items"]) == PER_PAGE
            assert document["feed_url"] == f"{settings.base_url}search.json?q=%E7%A8%BF%E4%BB%B6&page=2"
            continue
        root = lxml.etree.fromstring(answer.body)
        assert root.findtext(f".//{OPENSEARCH}totalResults") == "45"
        assert root.findtext(f".//{OPENSEARCH}startIndex") == str(PER_PAGE + 1)
        assert root.findtext(f".//{OPENSEARCH}itemsPerPage") == str(PER_PAGE)
    assert_valid(tmp_path / "feeds", settings.base_url, w3c=False)
    for extension in ("atom", "rss"):  # at their own addresses, query included
        if (VALIDATOR / "feedvalidator").is_dir():
            url = f"{settings.base_url}search.{extension}?q=%E7%A8%BF%E4%BB%B6&page=2"
            assert w3c_problems(tmp_path / "feeds" / f"search.{extension}", url) == []


def test_without_an_index_search_says_it_is_not_built(tmp_path: Path) -> None:
    answer = SearchPages(tmp_path, "https://f.example/", "t", {}).answer("/search.atom", {"q": "核"})
    assert answer.status == 503


@needs_html_checker
def test_every_kind_of_search_page_conforms_to_html(pages: tuple[SearchPages, Settings], tmp_path: Path) -> None:
    """Results (first and later pages), no match, the empty form and a malformed query's 400 page: each passes
    the Nu HTML Checker with no message at all."""
    search, _ = pages
    asked = {"results": {"q": "稿件"}, "page-2": {"q": "稿件", "page": "2"}, "none": {"q": "无此词语"},
             "form": {}, "malformed": {"q": '"'}}
    for name, params in asked.items():
        answer = search.answer("/search", params)
        assert answer.content_type.startswith("text/html"), name
        (tmp_path / f"{name}.html").write_bytes(answer.body)
    assert html_problems(tmp_path) == []
