"""Topic feeds (`[topics.<slug>]`): every story of every source that a topic's rules keep, published like a
source's feed: three formats, the Chinese copies, archives, pages, OPML and the index."""

from __future__ import annotations

import json
import shutil

import lxml.etree
import pytest

from feedsvc.errors import ConfigError
from feedsvc.pipeline import regenerate
from feedsvc.settings import parse_config
from tests.conftest import NOW, ROOT, SAMPLES
from tests.feedcheck import assert_valid

TOPICS = """
[topics.nuclear]
title = "核武 Nuclear"
include_title = ["核"]
exclude_title = ["台海"]
[topics.dw]
title = "A topic named like a source"
include_content = ["/核/"]
"""


def _settings(make_settings, **changes: object):  # type: ignore[no-untyped-def]
    topics = parse_config(TOPICS, "test")["topics"]
    settings = make_settings(topics=topics, **changes)
    shutil.copytree(SAMPLES, settings.seeds_dir, dirs_exist_ok=True)
    return settings


def test_a_topic_holds_every_source_s_stories_its_rules_keep(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = _settings(make_settings, chinese_variants=("zh-Hant",), max_entries=1)
    regenerate(settings, NOW)
    out = settings.output_dir
    items = json.loads((out / "topics/nuclear.json").read_text(encoding="utf-8"))
    archived = [item for path in (out / "archive/topics/nuclear").glob("*.json")
                for item in json.loads(path.read_text(encoding="utf-8"))["items"]]
    titles = sorted(item["title"] for item in [*items["items"], *archived])
    assert titles == ["中美核軍備雙邊磋商 形式重於實質", "美中可以进行核对话，为什么展开核军控谈判几乎不可能？"]
    assert {a["name"] for item in [*items["items"], *archived] for a in item["authors"]} >= {"德国之声 DW"}
    assert (out / "zh-hant/topics/nuclear.atom").is_file() and (out / "topics/nuclear.html").is_file()
    assert (out / "archive/topics/nuclear/index.html").is_file()
    ids = {lxml.etree.parse(str(path)).getroot().findtext("{http://www.w3.org/2005/Atom}id")
           for path in (out / "sources/dw.atom", out / "topics/dw.atom", out / "zh-hant/sources/dw.atom",
                        out / "zh-hant/topics/dw.atom")}
    assert len(ids) == 4, "a topic named like a source is another feed, with an id of its own"
    outlines = [o.get("xmlUrl") for o in lxml.etree.parse(str(out / "feeds.opml")).getroot().iter("outline")]
    assert f"{settings.base_url}topics/nuclear.atom" in outlines
    assert 'href="topics/nuclear.html"' in (out / "index.html").read_text(encoding="utf-8")
    assert_valid(out, settings.base_url)


def test_topics_are_not_sources_in_the_report(make_settings) -> None:  # type: ignore[no-untyped-def]
    report = regenerate(_settings(make_settings), NOW)
    assert sorted(s.slug for s in report.sources) == ["dw", "rfa", "voa"]


def test_a_topic_removed_from_the_configuration_leaves_with_its_files(make_settings) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    settings = _settings(make_settings)
    regenerate(settings, NOW)
    regenerate(replace(settings, topics=settings.topics[:1]), NOW)
    assert not (settings.output_dir / "topics/nuclear.atom").exists()
    assert (settings.output_dir / "topics/dw.atom").exists()


@pytest.mark.parametrize(("text", "message"), [
    ('[topics.x]\ninclude_title = ["a"]', "topics.x.title"),
    ('[topics.x]\ntitle = "X"', "needs an include_<field> rule"),
    ('[topics.x]\ntitle = "X"\ninclude_titel = ["a"]', "did you mean 'include_title'"),
    ('[topics.X_1]\ntitle = "X"\ninclude_title = ["a"]', "not a valid slug"),
    ('[topics.x]\ntitle = "X"\ninclude_title = ["/[/"]', "not a valid regular expression"),
])
def test_a_bad_topic_is_refused_with_the_key_and_the_reason(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_config(text, "test.toml")


def test_the_shipped_config_documents_topics() -> None:
    text = (ROOT / "config" / "feedsvc.toml").read_text(encoding="utf-8")
    assert "[topics.<slug>]" in text
