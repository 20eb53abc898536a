"""The dialect of the sources' `drop_selectors` and `drop_xpaths`: compiling them, and saying why one is invalid.

A module of its own, with no other part of the cleaner: reading the configuration checks every selector, and a
run that finds nothing to clean (most runs of `feedsvc regenerate`) should not import the cleaner to do so.
"""

from __future__ import annotations

from functools import lru_cache

from lxml import etree
from lxml.cssselect import CSSSelector, SelectorError


@lru_cache(maxsize=512)
def css(selector: str) -> CSSSelector:
    return CSSSelector(selector)


@lru_cache(maxsize=512)
def xpath(expression: str) -> etree.XPath:
    return etree.XPath(expression)


def check_selector(selector: str, *, is_xpath: bool = False) -> str | None:
    """None when `selector` is a valid CSS selector (or, `is_xpath`, XPath expression), else the problem.

    cssselect's `:contains()` compiles to an XPath function lxml registers for its own use; in the cleaner's runs
    it failed every article of its source (`XPath function '{…}lower-case' not found`, the namespace garbled), so
    it is refused with the XPath that does the same."""
    try:
        compiled = xpath(selector) if is_xpath else css(selector)
    except (SelectorError, etree.XPathSyntaxError, etree.XPathError, ValueError) as exc:
        return str(exc) or type(exc).__name__
    if not is_xpath and "__lxml_internal_css:" in compiled.path:
        return ":contains() is not supported here; use drop_xpaths, e.g. \"//a[contains(., 'text')]\""
    return None
