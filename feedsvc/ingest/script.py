"""Which Chinese script a story is written in, judged from its text: the characters only Traditional Chinese uses
and those only Simplified Chinese uses (OpenCC's character tables, shipped in `script-chars.txt` so that judging
needs no OpenCC; `tests/ingest/test_script.py` checks that they still are OpenCC's). Pure.

A source's own language is only a fallback: DW's Chinese service writes both scripts, and so do feeds that mix
sources.
"""

from __future__ import annotations

import functools
from importlib import resources

HANT, HANS = "zh-Hant", "zh-Hans"
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
