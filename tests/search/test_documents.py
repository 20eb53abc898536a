"""Stories as the search index holds them (`search.documents`): each from its published entry, read a batch at a
time, its text the title and the article's plain text, its page the story page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from feedsvc.model import Entry, EntryMeta, Provenance, Story, Version, instant
from feedsvc.output.pages import story_page
from feedsvc.search import documents as module
from feedsvc.search.documents import documents

START = datetime(2024, 1, 1, tzinfo=UTC)


def _story(n: int) -> tuple[Story, Entry]:
    when = START + timedelta(hours=n)
    meta = EntryMeta(f"urn:story:{n}", f"标题{n}", f"https://www.dw.com/a/{n}", when, when + timedelta(minutes=5),
                     "dw", "德国之声", None, (), Provenance((f"{n}.md",), "link-line", "header", "header"), "zh-Hant")
    version = Version(f"d{n}", 0, f"www.dw.com/a/{n}", meta.id, "dw", instant(when), instant(meta.updated))
    entry = Entry(meta, f"<p>第{n}篇 &amp; <b>正文</b></p>", f"摘要{n}", f"d{n}")
    return Story(version, version, (version.digest,)), entry


def test_each_story_becomes_a_document_of_its_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(module, "BATCH", 2)
    pairs = dict(_story(n) for n in range(5))
    batches: list[int] = []

    def read(stories: Sequence[Story]) -> Mapping[Story, Entry]:
        batches.append(len(stories))
        return {story: pairs[story] for story in stories if story.newest.digest != "d3"}  # one no longer cached

    found = list(documents(list(pairs), read))
    assert batches == [2, 2, 1]
    assert [d.id for d in found] == ["urn:story:0", "urn:story:1", "urn:story:2", "urn:story:4"]
    first, story = found[0], next(iter(pairs))
    assert (first.source, first.source_name, first.title, first.link, first.page) == (
        "dw", "德国之声", "标题0", "https://www.dw.com/a/0", story_page("urn:story:0"))
    assert first.text == "标题0\n第0篇 & 正文" and first.summary == "摘要0" and first.language == "zh-Hant"
    assert first.published == START.isoformat() and first.updated == (START + timedelta(minutes=5)).isoformat()
    assert first.updated_ms == story.newest.updated // 1000
