"""Rules learned from the archive (`clean.edges`, `stories.boilerplate`): a block repeated at the ends of many of
one source's stories is cut without a configured rule, the same whatever order the seeds come in; attribution and
vetoed blocks stay; `rules test` lists what was learned."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from feedsvc.clean.edges import edges, key_of
from feedsvc.ingest.scan import scan
from feedsvc.model import CleanRules, Source, Story, Version
from feedsvc.pipeline import RunOptions, regenerate
from feedsvc.rules.commands import learned_blocks
from feedsvc.settings import Settings
from feedsvc.state.index import Memory
from feedsvc.stories.boilerplate import Boilerplate, Learning, cut_article, keys_of, trim_summary
from tests.command import invoke
from tests.conftest import NOW, published

PROMO = "订阅我们的电子报，每天{n}点送达最新消息！"
BYLINE = "本报记者 张三"
HOST = "news.example.org"


_WORDS = "经济政治社会文化科技体育健康教育环境交通能源农业金融外交军事法律"


def _seed(number: int, *, promo: bool) -> str:
    words = "".join(_WORDS[(number * k) % len(_WORDS)] for k in range(1, 9))  # each story's own words
    body = (f"<p>第一段正文：{words}。</p><h2>小标题</h2>"
            f"<p>第二段正文，{words[::-1]}，内容各不相同。</p><p>{BYLINE}</p>")
    if promo:
        body += f"<p>{PROMO.format(n=number % 7 + 1)}</p>"
    return (f"<!--{1_700_000_000_000 + number * 3_600_000}-->\n[第{number}号稿件](https://{HOST}/a/{number})\n"
            f"------\n\n{body}\n")


def _write(seeds: Path, numbers: list[int]) -> None:
    for number in numbers:
        (seeds / f"{number:03d}.txt").write_text(_seed(number, promo=number % 5 != 0), encoding="utf-8")


def _text(output: Path) -> str:
    return (output / "all.atom").read_text(encoding="utf-8")


@pytest.fixture
def learning_settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(base_url="https://f.example/", max_entries=50)


# --- learning, pure ---------------------------------------------------------------------------------------------

def _story(n: int, slug: str, *keys: bytes) -> Story:
    version = Version(f"d{n}", 0, f"k{n}", f"id{n}", slug, n, n, b"".join(keys))
    return Story(version, version, (version.digest,))


def test_a_block_is_learned_at_the_threshold_and_forgotten_below_it() -> None:
    promo = key_of("订阅")
    learner = Boilerplate(Learning(share=0.5, min_stories=2))
    stories = [_story(n, "s", promo if n < 3 else key_of("别的" + "甲乙丙"[n - 3])) for n in range(6)]
    for story in stories[:5]:
        learner.count(story, 1)
    assert learner.relearn(["s"]) == {"s"} and learner.rules["s"] == {promo}  # 3 of 5 >= ceil(2.5)
    assert learner.cut(stories[0]).cut == promo and learner.cut(stories[4]) is stories[4]
    learner.count(stories[5], 1)  # 3 of 6 is still half
    assert learner.relearn(["s"]) == set()
    learner.count(stories[0], -1)  # 2 of 5 < 3
    assert learner.relearn(["s"]) == {"s"} and "s" not in learner.rules
    assert Boilerplate(Learning(enabled=False)).cut(stories[0]).cut == b""


def test_what_is_learned_does_not_depend_on_the_order() -> None:
    keys = [key_of(f"块{n % 4}") for n in range(40)]
    stories = [_story(n, f"s{n % 3}", keys[n], keys[(n * 7) % 40]) for n in range(40)]
    results = []
    for seed in range(5):
        order = stories[:]
        random.Random(seed).shuffle(order)
        learner = Boilerplate(Learning(share=0.2, min_stories=3))
        for story in order:
            learner.count(story, 1)
            learner.relearn([story.newest.source_slug])
        results.append(learner.rules)
    assert all(result == results[0] for result in results) and results[0]


def test_the_cut_takes_the_marked_blocks_and_never_the_whole_article() -> None:
    article = "<p>正文</p><p>订阅</p>".encode()
    marks = edges(article)
    keys = b"".join(key for key, _, _ in marks)
    spans = [[start, end] for _, start, end in marks]
    promo = key_of("订阅")
    assert cut_article(article, keys, spans, promo) == ("<p>正文</p>".encode(), ["<p>订阅</p>".encode()])
    everything = b"".join(keys_of(keys))
    assert cut_article(article, keys, spans, everything) == (article, [])
    assert trim_summary("订阅 正文", ["<p>订阅</p>".encode()]) == "正文"


# --- in the feeds -----------------------------------------------------------------------------------------------

def test_a_planted_block_is_cut_without_a_rule_and_the_article_stays(learning_settings: Settings) -> None:
    _write(learning_settings.seeds_dir, list(range(20)))
    regenerate(learning_settings, NOW)
    feed = _text(learning_settings.output_dir)
    assert "订阅我们的电子报" not in feed and "点送达最新消息" not in feed
    for kept in (BYLINE, "第一段正文", "第二段正文", "小标题"):
        assert feed.count(kept) == 40, kept  # each story's content and summary
    page = next((learning_settings.output_dir / "stories").rglob("*.html")).read_text(encoding="utf-8")
    assert "订阅我们的电子报" not in page and BYLINE in page
    off = replace(learning_settings, learned_rules=False, output_dir=learning_settings.output_dir.parent / "off")
    regenerate(off, NOW)
    assert _text(off.output_dir).count("订阅我们的电子报") == 32  # content and summary of 16


def test_too_few_stories_teach_nothing(learning_settings: Settings) -> None:
    _write(learning_settings.seeds_dir, [1, 2, 3, 4])  # 4 stories: under learned_rules_min_stories
    regenerate(learning_settings, NOW)
    assert _text(learning_settings.output_dir).count("订阅我们的电子报") == 8  # content and summary


def test_seeds_arriving_one_by_one_in_any_order_publish_what_a_cold_run_does(learning_settings: Settings,
                                                                             tmp_path: Path) -> None:
    """The daemon's way, seed after seed in a shuffled order (the threshold is crossed, then held, along the
    way), ends byte-identical to one run over all the seeds; the learned block is cut from the stories that came
    before it was learned too."""
    numbers = list(range(24))
    random.Random(7).shuffle(numbers)
    memory = Memory()
    for count, number in enumerate(numbers, 1):
        _write(learning_settings.seeds_dir, [number])
        regenerate(learning_settings, NOW, RunOptions(found=scan(learning_settings.seeds_dir), memory=memory))
        if count == 4:  # too few stories to learn from: every promotion still there (content and summary)
            promotions = sum(1 for n in numbers[:4] if n % 5)
            assert _text(learning_settings.output_dir).count("订阅我们的电子报") == 2 * promotions > 0
    assert "订阅我们的电子报" not in _text(learning_settings.output_dir)
    cold = replace(learning_settings, output_dir=tmp_path / "cold", state_dir=tmp_path / "cold-state")
    regenerate(cold, NOW)
    assert published(learning_settings.output_dir) == published(cold.output_dir)


def test_a_veto_keeps_the_block(learning_settings: Settings) -> None:
    source = Source("ex", "Example", (HOST,), rules=CleanRules(keep_paragraphs=("^订阅我们的电子报",)))
    vetoed = replace(learning_settings, sources=(*learning_settings.sources, source))
    _write(vetoed.seeds_dir, list(range(20)))
    regenerate(vetoed, NOW)
    assert _text(vetoed.output_dir).count("订阅我们的电子报") == 32  # content and summary of 16


def test_rules_test_lists_what_a_derived_source_learned(learning_settings: Settings) -> None:
    _write(learning_settings.seeds_dir, list(range(20)))
    regenerate(learning_settings, NOW)
    slug = "news-example-org"
    [block] = learned_blocks(learning_settings, [Source(slug, slug)])[slug]
    assert block.text.startswith("订阅我们的电子报") and (block.articles, block.total) == (16, 20)
    where = ["--seeds", str(learning_settings.seeds_dir), "--state", str(learning_settings.state_dir)]
    result = invoke(["rules", "test", "--source", slug, *where], env={})
    assert result.exit_code == 0, result.output
    assert "learned: 16 articles (80.0%): 订阅我们的电子报" in result.output
    result = invoke(["rules", "test", "--json", *where], env={})
    assert json.loads(result.output)[slug]["learned"][0]["articles"] == 16
    result = invoke(["rules", "suggest", "--source", "no-such-source", *where], env={})
    assert result.exit_code == 2 and "no such source" in result.output
