"""Which Chinese script a story is written in, judged from its text: the characters only Traditional Chinese uses
and those only Simplified Chinese uses (OpenCC's character tables, shipped in `script-chars.txt` so that judging
needs no OpenCC; `tests/ingest/test_script.py` checks that they still are OpenCC's); or English, for a story
of Latin letters without a Chinese character. Pure.

A source's own language is only a fallback: DW's Chinese service writes both scripts, and so do feeds that mix
sources; CDT, Reuters and Nei.st publish some stories in English.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

from feedsvc.text import HAN

HANT, HANS, ENGLISH = "zh-Hant", "zh-Hans", "en"
MIN_EVIDENCE = 4
"""Characters of one script or the other a text must hold to tell anything (a title of Latin letters, a short
caption)."""
DOMINANCE = 3
"""How many times more characters of one script than of the other make a text that script; else it is mixed."""


@functools.cache
def tables() -> dict[str, frozenset[str]]:
    """`zh-Hant` and `zh-Hans` to the characters that only that script uses."""
    text = resources.files("feedsvc.ingest").joinpath("script-chars.txt").read_text(encoding="utf-8")
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            tag, _, chars = line.partition(" ")
            found[tag] = frozenset(chars)
    return found


def script_of(text: str) -> str | None:
    """`zh-Hant` or `zh-Hans` when `text` is written in that script, None when it tells nothing (too few Chinese
    characters of either script, or as many of one as of the other)."""
    table = tables()
    hant_only, hans_only = table[HANT], table[HANS]
    hant = hans = 0
    for char in text:
        if char in hant_only:
            hant += 1
        elif char in hans_only:
            hans += 1
    if hant + hans < MIN_EVIDENCE:
        return None
    if hant >= DOMINANCE * hans:
        return HANT
    if hans >= DOMINANCE * hant:
        return HANS
    return None


MIN_LATIN_WORDS = 3
"""Words of Latin letters a text without Chinese characters must hold to be English (not a name, a code)."""


@functools.cache
def _han() -> re.Pattern[str]:
    """A Chinese character; compiled when first needed (2.8 ms, for the few texts whose script tells nothing)."""
    return re.compile(f"[{HAN}]")


def language_of(text: str) -> str | None:
    """`script_of(text)`, or `en` for a text of Latin letters with no Chinese character at all (the only other
    language these archives hold: English photo captions and wire stories among Chinese ones), None when it
    tells nothing."""
    script = script_of(text)
    if script is not None:
        return script
    if _han().search(text):
        return None
    words = sum(1 for word in text.split() if word.isascii() and sum(c.isalpha() for c in word) >= 2)
    return ENGLISH if words >= MIN_LATIN_WORDS else None
