"""output.jsonfeed: JSON Feed 1.1 documents, valid by the schema, each item's fields as the other formats carry them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jsonschema

from feedsvc.model import Entry, EntryMeta, Feed, Provenance
from feedsvc.output.jsonfeed import render_json
from tests.feedcheck import JSON_SCHEMA as SCHEMA

WHEN = datetime(2024, 5, 1, 12, tzinfo=UTC)


def _entry(n: int, *, summary: str = "", language: str | None = None, categories: tuple[str, ...] = ()) -> Entry:
    meta = EntryMeta(f"urn:uuid:{n}", f"标题 {n} & <b>", f"https://www.dw.com/zh/a-{n}", WHEN, WHEN, "dw",
                     "德国之声", None, categories, Provenance((f"{n}.md",), "link-line", "header", "header"),
                     language)
    return Entry(meta, f"<p>正文 {n}</p>", summary, f"d{n}")


def _feed(*entries: Entry, unified: bool = False, prev: str | None = None) -> Feed:
    return Feed("all" if unified else "dw", "德国之声 DW", "", "all" if unified else "sources/dw",
                "https://f.example/", "https://www.dw.com/zh/", "zh-Hant", entries, id="urn:feed", unified=unified,
                prev_archive=prev, hubs=("https://hub.example/",))


def test_a_document_is_valid_and_carries_every_field() -> None:
    data = render_json(_feed(_entry(1, summary="摘要 <script>", language="zh-Hans", categories=("國際",)),
                             _entry(2), prev="archive/sources/dw/2024-04"))
    document = json.loads(data)
    jsonschema.validate(document, SCHEMA)
    assert document["feed_url"] == "https://f.example/sources/dw.json"
    assert document["next_url"] == "https://f.example/archive/sources/dw/2024-04.json", "the older history"
    assert document["hubs"] == [{"type": "WebSub", "url": "https://hub.example/"}]
    first, second = document["items"]
    assert first["title"] == "标题 1 & <b>", "plain text, by the JSON Feed spec: as written"
    assert first["summary"] == "摘要 <script>" and first["language"] == "zh-Hans" and first["tags"] == ["國際"]
    assert first["content_html"] == "<p>正文 1</p>" and first["authors"] == [{"name": "德国之声"}]
    assert "summary" not in second and "language" not in second and "tags" not in second


def test_the_unified_feed_names_each_item_s_source() -> None:
    document = json.loads(render_json(_feed(_entry(1), _entry(2), unified=True)))
    jsonschema.validate(document, SCHEMA)
    assert [item["_source"] for item in document["items"]] == [
        {"title": "德国之声", "feed_url": "https://f.example/sources/dw.json"}] * 2


def test_the_same_feed_renders_the_same_bytes() -> None:
    feed = _feed(_entry(1, summary="摘要"), _entry(2))
    assert render_json(feed) == render_json(feed) == render_json(feed, {})
