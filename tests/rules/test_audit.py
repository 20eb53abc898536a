"""What each cleaning rule of a source removes (`rules.audit`), from the removals the cleaner recorded. Pure."""

from __future__ import annotations

from feedsvc.clean.blocks import Block
from feedsvc.rules.audit import audit, generic_selector
from feedsvc.rules.suggest import suggest


def test_a_report_counts_the_articles_characters_and_samples_of_each_rule() -> None:
    kind = "rule drop_selectors .x"
    reports = audit([("drop_selectors", ".x"), ("drop_xpaths", "//aside")],
                    [(90, [(kind, 10, "abc")]), (10, [(kind, 30, "def")]), (50, [])])
    selector, xpath = reports
    assert (selector.articles, selector.total, selector.removed_chars, selector.most, selector.samples) == \
        (2, 3, 40, 1, ("abc", "def"))
    assert selector.flags == ("removes most of 1 article",) and xpath.flags == ("matches nothing",)


def test_generic_selectors_are_flagged_and_never_suggested() -> None:
    assert [generic_selector(s) for s in (".text", ".size-md", ".content", ".promo-box", ".SubscriptionInner")] == \
        [True, True, True, False, False]
    reports = audit([("drop_selectors", ".text")], [(90, [])])
    assert "generic selector: may match the articles' own text" in reports[0].flags
    raw = [[Block("div", "订阅", ("text",))] for _ in range(10)]
    cleaned = [[Block("p", f"正文{'甲乙丙丁戊己庚辛壬癸'[n]}"), Block("p", "订阅")] for n in range(10)]
    assert [s.key for s in suggest(cleaned, raw, min_share=0.5)] == ["drop_paragraphs"]

