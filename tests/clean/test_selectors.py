"""The sources' `drop_selectors` and `drop_xpaths` (`clean.selectors`): compiled once, and every invalid one
refused with its reason."""

from __future__ import annotations

import lxml.html
import pytest

from feedsvc.clean.selectors import check_selector, css, xpath


def test_selectors_select_and_are_compiled_once() -> None:
    root = lxml.html.fromstring('<div><p class="ad">a</p><p>b</p><a href="x">订阅我们</a></div>')
    assert [p.text for p in css("p.ad")(root)] == ["a"]
    assert [a.text for a in xpath("//a[contains(., '订阅')]")(root)] == ["订阅我们"]
    assert css("p.ad") is css("p.ad") and xpath("//a") is xpath("//a")


@pytest.mark.parametrize(("selector", "is_xpath"), [("div.a", False), ("a[href^='https://t.me']", False),
                                                    ("//div[@id='x']", True), ("//p[last()]", True)])
def test_valid_selectors_pass(selector: str, is_xpath: bool) -> None:
    assert check_selector(selector, is_xpath=is_xpath) is None


@pytest.mark.parametrize(("selector", "is_xpath", "reason"), [
    ("div[", False, "Expected"), ("p:nth-child(", False, ""), ("//div[", True, "Invalid"),
    ("//p[foo()]", False, ""), ("p:contains('x')", False, "use drop_xpaths")])
def test_invalid_selectors_say_why(selector: str, is_xpath: bool, reason: str) -> None:
    problem = check_selector(selector, is_xpath=is_xpath)
    assert problem and reason in problem
