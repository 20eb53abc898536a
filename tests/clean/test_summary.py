"""clean.summary: a summary at most `limit` characters long, cut at a word in Latin text and anywhere in Chinese,
with an ellipsis only when something was cut."""

from __future__ import annotations

import pytest

from feedsvc.clean.summary import summarize


def test_short_text_is_kept_whole() -> None:
    assert summarize("德国之声报道。", 10) == "德国之声报道。"
    assert summarize("x" * 10, 10) == "x" * 10


def test_chinese_is_cut_at_any_character_without_trailing_punctuation() -> None:
    text = "德国之声报道，中国的新闻很多。" * 5
    summary = summarize(text, 16)
    assert summary == "德国之声报道，中国的新闻很多…" and len(summary) <= 16


def test_latin_text_is_cut_at_a_word() -> None:
    summary = summarize("The quick brown fox jumps over the lazy dog, again and again.", 30)
    assert summary == "The quick brown fox jumps…" and len(summary) <= 30


def test_a_word_longer_than_half_the_limit_is_cut_inside() -> None:
    summary = summarize("a " + "x" * 40, 20)
    assert summary == "a " + "x" * 17 + "…" and len(summary) == 20


@pytest.mark.parametrize("limit", [5, 17, 64, 200])
def test_never_longer_than_the_limit(limit: int) -> None:
    for text in ("中文 English 混合的文字，" * 30, "word " * 100, "字" * 300):
        assert len(summarize(text, limit)) <= limit
