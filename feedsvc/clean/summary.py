"""The plain-text summary of an article."""

from __future__ import annotations

import re

_WIDE = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


def summarize(text: str, limit: int) -> str:
    """At most `limit` characters of `text` (whitespace already collapsed), cut at a word boundary, or at any
    character in CJK text, with an ellipsis when something was cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    boundary = cut.rfind(" ")
    if not _WIDE.search(cut[-20:]) and boundary > limit // 2:
        cut = cut[:boundary]
    return cut.rstrip(" ,.;:，。；：、") + "…"
