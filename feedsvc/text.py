"""Small text helpers shared by the parser, the cleaner and the renderers."""

from __future__ import annotations

import re

# XML 1.0 allows tab, LF, CR and U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF. Everything else (C0 controls,
# lone surrogates, U+FFFE/U+FFFF) makes a document ill-formed, and lxml/feedgen refuse it.
_XML_ILLEGAL = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Bidirectional overrides and isolates can disguise text; they have no place in titles and names.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def strip_xml_illegal(text: str) -> str:
    """`text` without the characters XML 1.0 forbids."""
    return _XML_ILLEGAL.sub("", text)


def collapse_space(text: str) -> str:
    """Runs of whitespace (NBSP and the ideographic space included) to one space, trimmed; bidi overrides dropped."""
    return " ".join(_BIDI_CONTROLS.sub("", text).split())
