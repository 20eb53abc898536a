"""`feedsvc rules`: suggestions find a source's known boilerplate; `test` reports what each rule removes."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from feedsvc.errors import ConfigError
from feedsvc.model import CleanRules, Source
from feedsvc.pipeline import regenerate
from feedsvc.rules import commands
from feedsvc.rules.commands import rule_reports, sources, suggestions
from feedsvc.rules.suggest import paragraph_pattern
from feedsvc.settings import Settings
from tests.command import invoke
from tests.conftest import NOW

ARTICLES = 40
RULES = CleanRules(drop_paragraphs=("^这条规则什么也不匹配$",), drop_selectors=(".lead-only",))
SOURCE = Source("ex", "Example News", ("news.example.org",), rules=RULES)


_WORDS = "经济政治社会文化科技体育健康教育环境交通能源农业金融外交军事法律"


def _article(number: int) -> str:
    words = "".join(_WORDS[(number * k) % len(_WORDS)] for k in range(1, 12))
    body = "".join(f"<p>{words[k:]}：{'报道' * (k + 1)}{number}</p>" for k in range(3))
    if number % 4:  # 30 of 40: a copyright line with a varying year
        body += f"<p>© {2000 + number}年示例新闻版权所有，未经授权不得转载。</p>"
    if number % 2 == 0:  # 20 of 40: a promotion box, the same text each time
        body += '<div class="promo-box">订阅我们的每日新闻通讯</div>'
    if number == 7:  # one article that is nearly all "lead-only"
        body = f'<div class="lead-only"><p>{"很长的导语。" * 40}</p></div><p>短</p>'
    return f"<!--{1_700_000_000_000 + number * 60_000}-->\n[标题{number}](https://news.example.org/a/{number})\n" \
           f"------\n\n{body}\n"


@pytest.fixture
def rules_settings(make_settings: Callable[..., Settings]) -> Settings:
    settings = make_settings()
    settings = replace(settings, sources=(*settings.sources, SOURCE))
    for number in range(ARTICLES):
        (settings.seeds_dir / f"{number:02d}.txt").write_text(_article(number), encoding="utf-8")
    regenerate(settings, NOW)
    return settings


def test_suggest_finds_the_known_boilerplate_ranked_with_its_share(rules_settings: Settings) -> None:
    found = suggestions(rules_settings, SOURCE, NOW, min_share=0.2)
    assert [(s.key, s.articles, s.where) for s in found] == [  # article 7 is all lead: no copyright line
        ("drop_paragraphs", 29, "trailing"), ("drop_paragraphs", 20, "trailing"),
        ("drop_selectors", 20, "class")]
    copyright_, promo_text, promo = found
    assert copyright_.pattern == paragraph_pattern("© 2001年示例新闻版权所有，未经授权不得转载。")
    assert promo_text.example == promo.example == "订阅我们的每日新闻通讯"
    assert promo.pattern == ".promo-box" and promo.share == 0.5


def test_suggested_rules_pasted_into_the_config_remove_the_boilerplate(rules_settings: Settings) -> None:
    found = suggestions(rules_settings, SOURCE, NOW, min_share=0.2)
    rules = replace(RULES, drop_paragraphs=(*RULES.drop_paragraphs, found[0].pattern),
                    drop_selectors=(*RULES.drop_selectors, found[2].pattern))
    source = replace(SOURCE, rules=rules)
    tightened = replace(rules_settings, sources=(*rules_settings.sources[:-1], source))
    regenerate(tightened, NOW)
    assert suggestions(tightened, source, NOW, min_share=0.2) == []
    reports = {r.pattern: r for r in rule_reports(tightened, source, NOW, [])[0]}
    assert (reports[found[0].pattern].articles, reports[".promo-box"].articles) == (29, 20)


def test_rule_test_counts_samples_and_flags(rules_settings: Settings) -> None:
    reports, cached = rule_reports(rules_settings, SOURCE, NOW, [])
    assert cached, "the cache answers: no seed is cleaned again"
    lead, nothing = reports  # selectors are reported before paragraphs
    assert (nothing.articles, nothing.flags) == (0, ("matches nothing",))
    assert (lead.articles, lead.most, lead.flags) == (1, 1, ("removes most of 1 article",))
    assert lead.samples[0].startswith("很长的导语。很长的导语。")
    candidates, cached = rule_reports(rules_settings, SOURCE, NOW, [("drop_selectors", ".promo-box")])
    assert not cached and {r.pattern: r.articles for r in candidates}[".promo-box"] == 20


def test_the_commands_print_toml_and_json(rules_settings: Settings, tmp_path: Path) -> None:
    config = tmp_path / "feedsvc.toml"
    config.write_text('[sources.ex]\nname = "Example News"\nhosts = ["news.example.org"]\n'
                      '[sources.ex.clean]\ndrop_paragraphs = ["^这条规则什么也不匹配$"]\n'
                      'drop_selectors = [".lead-only"]\n', encoding="utf-8")
    where = ["--config", str(config), "--seeds", str(rules_settings.seeds_dir), "--state",
             str(rules_settings.state_dir)]
    invoke(["regenerate", *where, "--output", str(rules_settings.output_dir)], env={})
    result = invoke(["rules", "suggest", "--source", "ex", "--min-share", "0.2", *where], env={})
    assert result.exit_code == 0, result.output
    assert "# ex: the lists of [sources.ex.clean], today's rules and then the suggestions" in result.output
    assert "drop_selectors = [\n    '.lead-only',  # today's\n    '.promo-box'," in result.output  # a whole list
    assert "'.promo-box',  # 50.0% of articles (20), class: 订阅我们的每日新闻通讯" in result.output
    result = invoke(["rules", "test", "--json", *where], env={})
    report = json.loads(result.output)["ex"]
    assert report["from_cache"] and [r["flags"] for r in report["rules"]] == [["removes most of 1 article"],
                                                                                ["matches nothing"]]
    result = invoke(["rules", "test", "--rule", "drop_selectors=[", "--source", "ex", *where],
                                env={})
    assert result.exit_code == 2 and "invalid rule" in result.output


def test_rules_cover_derived_sources_and_never_clean_the_archive_once_per_source(
        rules_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    derived = rules_settings.seeds_dir / "derived.txt"
    derived.write_text("<!--1700000000000-->\n[别处](https://other.example.net/a/1)\n------\n\n<p>别处的正文。</p>\n",
                       encoding="utf-8")
    regenerate(rules_settings, NOW)
    chosen = [s.slug for s in sources(rules_settings, None)]
    assert chosen == ["ex", "other-example-net"]  # configured first, then derived; none without stories
    cleaned: list[str] = []

    def process(job: object, data: bytes, path: str, *rest: object) -> object:
        cleaned.append(path)
        return _no_outcome()

    monkeypatch.setattr(commands, "process", process)
    for source in sources(rules_settings, None):
        rule_reports(rules_settings, source, NOW, [("drop_selectors", ".x")])
    assert sorted(cleaned) == sorted(p.name for p in rules_settings.seeds_dir.iterdir())  # each seed once
    empty = replace(rules_settings, state_dir=rules_settings.state_dir.parent / "empty")
    with pytest.raises(ConfigError, match="holds no stories: run `feedsvc regenerate` first"):
        sources(empty, None)


def _no_outcome() -> object:
    from feedsvc.ingest.work import Outcome

    return Outcome("", "", (), None, ())
