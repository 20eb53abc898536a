"""Rules suggested from what a source's articles repeat (`rules.suggest`). Pure."""

from __future__ import annotations

import re

from feedsvc.clean.blocks import Block
from feedsvc.rules.suggest import paragraph_pattern, suggest


def test_suggest_is_pure() -> None:
    articles = [[Block("p", "正文" + "经济政治社会文化科技"[n:]), Block("p", "完")] for n in range(10)]
    [found] = suggest(articles, min_share=0.5)
    assert (found.key, found.pattern) == ("drop_paragraphs", "^完$")
    assert suggest(articles, min_share=0.5) == [found] and suggest(articles[:1], min_share=0.5) == []


def test_paragraph_patterns_generalize_digits_and_escape_the_rest() -> None:
    pattern = paragraph_pattern("© 2020年(完) 第3版")
    assert pattern == r"^©\ \d+年\(完\)\ 第\d+版$"


def test_a_line_that_repeats_but_for_the_story_title_is_suggested_with_the_title_generalized() -> None:
    titles = [f"{'经济政治社会文化科技'[n:n + 4]}的新闻" for n in range(6)]
    articles = [[Block("p", "正文" + title[::-1]), Block("p", f"The post {title} appeared first on 中国数字时代.")]
                for title in titles]
    [found] = suggest(articles, min_share=0.5, titles=titles)
    assert found.pattern == r"^The\ post\ .+\ appeared\ first\ on\ 中国数字时代\.$"
    assert all(re.search(found.pattern, f"The post {t} appeared first on 中国数字时代.") for t in titles)
    assert paragraph_pattern("短标题出现", "短") == "^短标题出现$"  # titles under four characters are not looked for

