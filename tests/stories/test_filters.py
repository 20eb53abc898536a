"""filters: include and exclude rules on each field, their counts, and that they never re-clean a seed."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from feedsvc.model import EntryMeta, Provenance, StoryFilter
from feedsvc.pipeline import regenerate
from feedsvc.settings import Settings, load_settings
from feedsvc.stories.filters import NO_INCLUDE, Judge
from tests.command import invoke
from tests.conftest import NOW, ROOT

WHEN = datetime(2024, 1, 1, tzinfo=UTC)


def _meta(title: str, author: str | None = None, categories: tuple[str, ...] = ()) -> EntryMeta:
    return EntryMeta("urn:1", title, "https://x.example/1", WHEN, WHEN, "dw", "DW", author, categories,
                     Provenance(("a.md",), "link-line", "header", "header"))


@pytest.mark.parametrize(("rules", "meta", "content", "dropped_by"), [
    (StoryFilter("dw", exclude=(("title", "足球"),)), _meta("德国足球联赛"), "", "exclude_title 足球"),
    (StoryFilter("dw", exclude=(("title", "FOOTBALL"),)), _meta("Football news"), "", "exclude_title FOOTBALL"),
    (StoryFilter("dw", exclude=(("title", "足球"),)), _meta("德国大选"), "", None),
    (StoryFilter("dw", exclude=(("content", "/赞助.{0,4}内容/"),)), _meta("t"), "<p>本文为<b>赞助</b>商内容</p>",
     "exclude_content /赞助.{0,4}内容/"),
    (StoryFilter("dw", exclude=(("author", "张三"),)), _meta("t", author="记者 张三"), "", "exclude_author 张三"),
    (StoryFilter("dw", include=(("categories", "政治"),)), _meta("t", categories=("体育",)), "", NO_INCLUDE),
    (StoryFilter("dw", include=(("categories", "政治"),)), _meta("t", categories=("体育", "政治")), "", None),
    (StoryFilter("dw", include=(("title", "中国"),), exclude=(("title", "广告"),)), _meta("中国广告"), "",
     "exclude_title 广告"),
    (StoryFilter("dw", include=(("title", "中国"), ("author", "李四"))), _meta("美国", author="李四"), "", None),
    (StoryFilter("dw", exclude=(("content", "<b>"),)), _meta("t"), "<p><b>x</b></p>", None),  # text, not markup
])
def test_rules(rules: StoryFilter, meta: EntryMeta, content: str, dropped_by: str | None) -> None:
    assert Judge(rules).verdict(meta, content) == dropped_by


def _seed(seeds: Path, number: int, host: str, title: str, body: str = "<p>正文</p>") -> None:
    (seeds / f"{host}-{number}.txt").write_text(
        f"<!--{1_700_000_000_000 + number * 60_000}-->\n[{title}](https://www.{host}/zh/a-{number})\n------\n\n"
        f"{body}\n", encoding="utf-8")


@pytest.fixture
def filtered_settings(make_settings: Callable[..., Settings]) -> Settings:
    settings = make_settings(base_url="https://f.example/")
    for n, title in enumerate(["德国足球", "德国大选", "德国经济"]):
        _seed(settings.seeds_dir, n, "dw.com", title)
    for n, title in enumerate(["美国大选", "美国广告"], 10):
        _seed(settings.seeds_dir, n, "voanews.com", title)
    return replace(settings, filters=(StoryFilter("dw", exclude=(("title", "足球"),)),
                                      StoryFilter("all", exclude=(("title", "/广告|经济/"),))))


def _titles(path: Path) -> list[str]:
    return sorted(e.title for e in feedparser.parse(path.read_bytes()).entries)


def test_filtered_stories_leave_the_feeds_and_are_counted(filtered_settings: Settings) -> None:
    report = regenerate(filtered_settings, NOW)
    output = filtered_settings.output_dir
    assert _titles(output / "sources/dw.atom") == ["德国大选", "德国经济"]
    assert _titles(output / "sources/voa.atom") == ["美国大选", "美国广告"], "filters.all is the unified feed's"
    assert _titles(output / "all.atom") == ["德国大选", "美国大选"]
    assert sorted((d.feed, d.title) for d in report.filtered) == [("all", "德国经济"), ("all", "美国广告"),
                                                                  ("dw", "德国足球")]
    assert "entries 5 (filtered out 3)" in report.summary_line()
    assert report.entries == 5, "filtered stories are still stories: counted, never silently lost"
    again = regenerate(filtered_settings, NOW)
    assert again.files_written == () and len(again.filtered) == 3


def test_changing_a_filter_re_renders_but_never_re_cleans(filtered_settings: Settings,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    regenerate(filtered_settings, NOW)
    import feedsvc.ingest.work

    def no_cleaning(*args: object) -> None:
        raise AssertionError("a filter change must not clean any seed again")

    monkeypatch.setattr(feedsvc.ingest.work, "process", no_cleaning)
    loosened = replace(filtered_settings, filters=filtered_settings.filters[:1])
    report = regenerate(loosened, NOW)
    assert report.new == report.changed == 0 and len(report.filtered) == 1
    assert _titles(loosened.output_dir / "all.atom") == ["德国大选", "德国经济", "美国大选", "美国广告"]


def test_check_lists_what_each_rule_drops(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    _seed(seeds, 1, "dw.com", "德国足球")
    _seed(seeds, 2, "dw.com", "德国大选")
    config = tmp_path / "feedsvc.toml"
    config.write_text((ROOT / "config" / "feedsvc.toml").read_text(encoding="utf-8")
                      + '\n[filters.dw]\nexclude_title = ["足球"]\n', encoding="utf-8")
    result = invoke(["check", "--config", str(config), "--seeds", str(seeds), "--output",
                                       str(tmp_path / "public"), "--state", str(tmp_path / "var")], env={})
    assert result.exit_code == 0, result.output
    assert "filtered from dw: 德国足球 <https://www.dw.com/zh/a-1> (exclude_title 足球)" in result.output
    assert "(filtered out 1)" in result.output
    result = invoke(["check", "--json", "--config", str(config), "--seeds", str(seeds)], env={})
    assert [d["rule"] for d in json.loads(result.output)["filtered"]] == ["exclude_title 足球"]


@pytest.mark.parametrize(("text", "message"), [
    ('[filters.dw]\nexclude_colour = ["x"]\n', "filters.dw.exclude_colour: unknown key"),
    ('[filters.dw]\nexclude_title = ["/(/"]\n', "is not a valid regular expression"),
    ('[filters.dw]\nexclude_title = [" "]\n', "an empty pattern would match every story"),
    ('[filters.Bad_Slug]\nexclude_title = ["x"]\n', "is not `all` or a source slug"),
])
def test_invalid_filters_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    from feedsvc.errors import ConfigError

    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_settings(path, environ={})


def test_the_shipped_example_is_valid(tmp_path: Path) -> None:
    """The commented example in config/feedsvc.toml, uncommented, loads."""
    text = (ROOT / "config" / "feedsvc.toml").read_text(encoding="utf-8")
    example = "\n".join(line[4:] for line in text.splitlines()
                        if line.startswith(("#   [filters", "#   exclude_", "#   include_")))
    path = tmp_path / "c.toml"
    path.write_text(example, encoding="utf-8")
    settings = load_settings(path, environ={})
    assert [f.feed for f in settings.filters] == ["all", "economist"]
