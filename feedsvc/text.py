"""Small text helpers shared by the parser, the cleaner and the renderers."""

from __future__ import annotations

import functools
import html
import re

# XML 1.0 allows tab, LF, CR and U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF. Everything else (C0 controls,
# lone surrogates, U+FFFE/U+FFFF) makes a document ill-formed, and lxml/feedgen refuse it. Written as the set of
# those characters rather than the complement of the allowed ones: the same characters (a test compares every code
# point), compiled in 0.5 ms instead of 6.6 ms, which every command paid when it imported this module.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Bidirectional overrides and isolates can disguise text; they have no place in titles and names.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef\U00030000-\U0003134f"
"""Chinese characters, as a regular expression's character ranges: the unified ideographs, their extensions and
the compatibility ones (what the search index cuts into bigrams, what tells a story is not English)."""


def strip_xml_illegal(text: str) -> str:
    """`text` without the characters XML 1.0 forbids."""
    return _XML_ILLEGAL.sub("", text)


def collapse_space(text: str) -> str:
    """Runs of whitespace (NBSP and the ideographic space included) to one space, trimmed; bidi overrides dropped."""
    return " ".join(_BIDI_CONTROLS.sub("", text).split())


# C1 controls (U+0080-U+009F) in text are the bytes of a Windows-1252 character read as ISO-8859-1: give back the
# character meant where Windows-1252 defines one, drop the rest. U+FFFD marks bytes lost to a decoding error
# upstream; nothing can be recovered from it, and readers show it as a glitch.
_C1_OR_REPLACEMENT = re.compile("[\u0080-\u009f\ufffd]")


def _repaired(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\ufffd":
        return ""
    try:
        return bytes([ord(char)]).decode("cp1252")
    except UnicodeDecodeError:
        return ""


def _unmangled(text: str) -> str:
    """UTF-8 that was decoded as ISO-8859-1 (`Ã©tÃ©` for `été`), decoded again; any other text as it is."""
    if not re.search("[\u00c2-\u00f4][\u0080-\u00bf]", text):
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


_UNREADABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\u0080-\u00bf\ud800-\udfff\ufffd\ufffe\uffff]")
"""Every character `readable` could change, or that mangled UTF-8 holds (its continuation bytes, U+0080-U+00BF):
most text has none, and is read once instead of three times (a whole article, twice as it is cleaned)."""


def readable(text: str) -> str:
    """`text` fit to publish: mangled UTF-8 decoded again, C1 controls repaired or dropped, U+FFFD dropped, and
    no character XML 1.0 forbids."""
    if not _UNREADABLE.search(text):
        return text
    return strip_xml_illegal(_C1_OR_REPLACEMENT.sub(_repaired, _unmangled(text)))


@functools.lru_cache(maxsize=16384)
def display(text: str) -> str:
    """A title, name or category as the renderers show it: `readable`, whitespace collapsed. Remembered: each is
    shown in every format, and a source's name in every entry of the unified feed."""
    return collapse_space(readable(text))


_TAG_LIKE = re.compile(r"<[A-Za-z/!?]")


_TAG = re.compile(r"<[^>]*>")


def sub_tags(pattern: re.Pattern[str], replacement: str, markup: str) -> str:
    """`pattern.sub(replacement, markup)` for a pattern of a tag that ends at its first `>` (`<[^>]*>` and the
    like), applied only as far as the last `>`: no tag ends after it, so the result is the same, but a run of
    `<` with no `>` after them costs one pass instead of a scan to the end from each (0.25 MB of unclosed
    `<p a='` took 3.4 s, 1 MB 54 s)."""
    end = markup.rfind(">") + 1
    return pattern.sub(replacement, markup[:end]) + markup[end:]


def without_tags(markup: str, replacement: str = " ") -> str:
    """`markup` with every tag (from `<` to the first `>`) replaced by `replacement`: its text, references left
    as they are."""
    return sub_tags(_TAG, replacement, markup)


def plain_text(markup: str) -> str:
    """The text of HTML: tags dropped, character references resolved, whitespace collapsed."""
    return " ".join(html.unescape(without_tags(markup)).split())


def html_text(text: str) -> str:
    """Plain `text` as HTML that shows it: for a field that readers read as HTML (RSS's `description`)."""
    return html.escape(text, quote=False)


def markup_safe(text: str) -> str:
    """Plain `text` for a field that some readers show as text and others as HTML (an RSS title, `dc:creator`):
    as it is, unless it holds what an HTML parser would take for a tag, comment or declaration; then escaped as
    HTML, so that no reader makes an element of it."""
    return html_text(text) if _TAG_LIKE.search(text) else text


@functools.cache
def _block_patterns(names: tuple[str, ...]) -> tuple[re.Pattern[str], dict[str, re.Pattern[str]]]:
    opener = re.compile(rf"<({'|'.join(names)})\b", re.IGNORECASE)
    return opener, {name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in names}


def without_blocks(markup: str, names: tuple[str, ...], replacement: str = "") -> str:
    """`markup` with every `<name …>…</name>` of `names` (each to the first closing tag of its name) replaced by
    `replacement`; an opening tag never closed stays. What `re.sub(r"<(a|b)\\b.*?</\\1\\s*>", …)` does, in one
    pass: the expression scans to the end for each opening tag without a closing one (quadratic: 200 KB of
    `<noscript>` took 9 s), where a name found unclosed once is never looked for again."""
    opener, closers = _block_patterns(names)
    pieces: list[str] = []
    done = 0
    unclosed: set[str] = set()
    for found in opener.finditer(markup):
        name = found.group(1).lower()
        if found.start() < done or name in unclosed:
            continue
        closing = closers[name].search(markup, found.end())
        if closing is None:
            unclosed.add(name)
            continue
        pieces += [markup[done:found.start()], replacement]
        done = closing.end()
    pieces.append(markup[done:])
    return "".join(pieces)
