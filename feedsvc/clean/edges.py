"""Where a cleaned article begins and ends, block by block: the candidates for the boilerplate an archive teaches
(`stories.boilerplate`). Pure.

The article is read as the cleaner wrote it, with a tag scanner rather than a parser, so that each block's
offsets are those of the stored bytes and a block can later be cut out of them without parsing or serializing
the article again. The cleaner's output is balanced markup whose attribute values are quoted, which is all the
scanner relies on. A block is a top-level element (a paragraph, a list, a quote, a figure…) or a run of top-level
text and inline markup up to a line break.

Of the first and last `EDGE` blocks, those that could be boilerplate become marks: headings, long blocks,
blocks without text, the links the cleaner wrote in place of embeds, attribution (bylines, credits, agency tags)
and what the source's `keep_paragraphs` names never do. A mark's key is a hash of its text with digit runs
generalized, so the "2021年1月21日" and "2020年6月3日" versions of one promotion share it.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Sequence

from feedsvc.clean.media import ADDED_LABEL
from feedsvc.model import MARK_BYTES

EDGE = 3
"""Blocks looked at, at each end of an article."""
MAX_TEXT = 300
"""Longer blocks are the article's own text."""
Edge = tuple[bytes, int, int]
"""A mark: its key and the block's byte offsets in the cleaned article."""

_TAG = re.compile(rb"<(/?)([A-Za-z][A-Za-z0-9]*)\b(?:\"[^\"]*\"|'[^']*'|[^'\">])*>")
_VOID = frozenset({b"br", b"img", b"hr", b"wbr", b"source", b"col", b"area", b"input", b"embed", b"track"})
_BLOCK = frozenset({b"p", b"ul", b"ol", b"li", b"dl", b"blockquote", b"figure", b"table", b"pre", b"hr", b"div",
                    b"section", b"aside", b"details", b"figcaption", b"h1", b"h2", b"h3", b"h4", b"h5", b"h6"})
_HEADINGS = frozenset({b"h1", b"h2", b"h3", b"h4", b"h5", b"h6"})
_DIGITS = re.compile(r"\d+")
_ATTRIBUTION = re.compile(
    r"记者|記者|编辑|編輯|责编|責編|编译|編譯|翻译|翻譯|译者|譯者|撰稿|作者|摄影|攝影|图片|圖片|图源|圖源|供图|供圖"
    r"|特约|特約|报道|報導|报导|中文网|中文網|通讯社|通訊社|新闻社|新聞社|^[（(][^（）()]{1,16}[)）]$|^文[/／:：]"
    r"|\b(?:by|photo|photos|credit|credits|reporting|editing|translated|translation|source|via)\b",
    re.IGNORECASE)
ATTRIBUTION_CHARS = 80
"""Attribution is short: a longer block that names a source or an editor is a promotion, and may be learned."""


def blocks_of(article: bytes) -> list[tuple[int, int, bytes]]:
    """(start, end, tag) of each block of `article` in order; tag is b"" for a run of text and inline markup."""
    found: list[tuple[int, int, bytes]] = []
    depth = 0
    block: tuple[int, bytes] | None = None
    run: int | None = None
    last = 0
    for match in _TAG.finditer(article):
        closing, name = match.group(1) == b"/", match.group(2).lower()
        if depth == 0 and run is None and article[last:match.start()].strip():
            run = last + len(article[last:match.start()]) - len(article[last:match.start()].lstrip())
        last = match.end()
        if depth == 0:
            if closing:
                continue  # a stray end tag
            if name in _BLOCK:
                if run is not None:
                    found.append((run, match.start(), b""))
                    run = None
                if name in _VOID:
                    found.append((match.start(), match.end(), name))
                else:
                    block, depth = (match.start(), name), 1
            elif name == b"br":
                if run is not None:
                    found.append((run, match.end(), b""))
                    run = None
            else:
                run = match.start() if run is None else run
                if name not in _VOID:
                    depth = 1
            continue
        if name in _VOID:
            continue
        depth += -1 if closing else 1
        if depth == 0 and block is not None:
            found.append((block[0], match.end(), block[1]))
            block = None
    if depth == 0 and run is None and article[last:].strip():
        run = last + len(article[last:]) - len(article[last:].lstrip())
    if run is not None:
        found.append((run, len(article.rstrip()), b""))
    return found  # an element left open to the end is no block: never cut


def text_of(markup: bytes) -> str:
    """The visible text of a block, whitespace collapsed."""
    return " ".join(html.unescape(_TAG.sub(b"", markup).decode("utf-8", "replace")).split())


def key_of(text: str) -> bytes:
    """A block's key: its text with digit runs generalized, hashed."""
    return hashlib.blake2b(_DIGITS.sub("0", text).encode(), digest_size=MARK_BYTES).digest()


def is_attribution(text: str) -> bool:
    """A byline, a credit or an agency tag: never learned as boilerplate."""
    return len(text) <= ATTRIBUTION_CHARS and _ATTRIBUTION.search(text) is not None


def edges(article: bytes, keep: Sequence[re.Pattern[str]] = ()) -> tuple[Edge, ...]:
    """The marks of `article`: candidates among its first and last `EDGE` blocks, in order."""
    found = blocks_of(article)
    if len(found) < 2:
        return ()  # an article of one block is never boilerplate of itself
    chosen = sorted({*range(min(EDGE, len(found))), *range(max(0, len(found) - EDGE), len(found))})
    marks: list[Edge] = []
    for index in chosen:
        start, end, tag = found[index]
        if tag in _HEADINGS:
            continue
        text = text_of(article[start:end])
        if not text or len(text) > MAX_TEXT or is_attribution(text) or ADDED_LABEL.match(text) or \
                any(p.search(text) for p in keep):
            continue
        marks.append((key_of(text), start, end))
    return tuple(marks)
