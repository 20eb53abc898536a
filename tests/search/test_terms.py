"""A story's text and a reader's query as the search index sees them (`search.terms`): bigrams of Chinese runs,
either script folded to one, every term required, and a reason for a query that cannot be searched for."""

from __future__ import annotations

import pytest

from feedsvc.search.terms import MAX_QUERY, MAX_TERMS, QueryError, document_tokens, fold, match_expression


def test_folding_makes_either_script_and_any_case_one() -> None:
    assert fold("中國 BIDEN 臺灣") == fold("中国 biden 台湾") == "中国 biden 台湾"


@pytest.mark.parametrize(("query", "reason"), [
    ("", "no letters"), ("，。！ * ( \"", "no letters"), ("a" * (MAX_QUERY + 1), "longer than"),
    (" ".join(["词"] * (MAX_TERMS + 1)), "more than")])
def test_a_query_that_cannot_be_searched_for_says_why(query: str, reason: str) -> None:
    with pytest.raises(QueryError, match=reason):
        match_expression(query)


def test_operators_are_searched_as_words() -> None:
    assert match_expression('AND NEAR(a b) "x') == '"and" AND "near a" AND "b" AND "x"'


def test_the_index_holds_bigrams_and_each_run_s_last_character() -> None:
    assert document_tokens("中美核軍，Biden") == " 中美 美核 核军 军 ，biden"
    assert match_expression("核軍備") == '"核军 军备"'
    assert match_expression("中") == '"中"*'
    assert match_expression("G20峰会 trade") == '"g20 峰会" AND "trade"'


def test_the_shipped_fold_table_is_opencc_s() -> None:
    """`fold-chars.txt` is OpenCC's t2s on every single character that it turns into another single one."""
    import opencc

    from feedsvc.search.terms import _fold_table

    converter = opencc.OpenCC("t2s")
    ranges = [(0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00), (0x20000, 0x2A6E0)]
    expected = {}
    for low, high in ranges:
        for code in range(low, high):
            folded = converter.convert(chr(code))
            if folded != chr(code) and len(folded) == 1:
                expected[code] = folded
    assert _fold_table() == expected

