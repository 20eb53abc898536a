"""The small text helpers every stage shares (`feedsvc.text`)."""

from __future__ import annotations

import re

import pytest

from feedsvc import text
from feedsvc.text import (
    collapse_space,
    display,
    markup_safe,
    plain_text,
    readable,
    strip_xml_illegal,
    sub_tags,
    without_blocks,
    without_tags,
)


def _xml_char(code: int) -> bool:
    """XML 1.0's production `Char`, as the recommendation writes it."""
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


def test_strip_xml_illegal_removes_exactly_the_characters_xml_forbids() -> None:
    every = "".join(chr(code) for code in range(0x110000))
    assert strip_xml_illegal(every) == "".join(chr(code) for code in range(0x110000) if _xml_char(code))


@pytest.mark.parametrize(("text", "expected"), [
    ("Ã©tÃ©", "été"),  # UTF-8 read as ISO-8859-1, decoded again
    ("price \x80 5", "price € 5"),  # a C1 control: the Windows-1252 character meant
    ("a\x81b", "ab"),  # a C1 control Windows-1252 does not define
    ("lost\ufffd byte", "lost byte"),
    ("bell\x07 and \ud800 surrogate", "bell and  surrogate"),
    ("德国之声", "德国之声"),
])
def test_readable_repairs_what_it_can_and_drops_the_rest(text: str, expected: str) -> None:
    assert readable(text) == expected


def test_readable_reads_text_once_only_when_it_holds_nothing_to_change() -> None:
    every = [chr(code) for code in range(0x110000)]
    three_passes = [text.strip_xml_illegal(text._C1_OR_REPLACEMENT.sub(text._repaired, c)) for c in every]
    changed = {c for c, done in zip(every, three_passes, strict=True) if done != c}
    assert changed and all(text._UNREADABLE.search(c) for c in changed)
    assert all(text._UNREADABLE.search(c) for c in "\u0080\u00a9\u00bf"), "what follows a mangled lead byte"
    assert readable("特朗普·拜登") == "特朗普·拜登"  # looked at again, and left as it is


def test_collapse_space_and_display() -> None:
    assert collapse_space("  a\u3000\u00a0b\n\tc \u202eevil\u202c ") == "a b c evil"
    assert display(" Ã©tÃ©\x07  title ") == "été title"


def test_plain_text_and_markup_safe() -> None:
    assert plain_text("<p>a &amp; <b>b</b></p>\n<p>c</p>") == "a & b c"
    assert markup_safe("x < y and 3 > 2") == "x < y and 3 > 2"  # no tag an HTML parser would make
    assert markup_safe("see <script>alert(1)</script>") == "see &lt;script&gt;alert(1)&lt;/script&gt;"


_ACTIVE = ("script", "style", "noscript")


@pytest.mark.parametrize(("markup", "expected"), [
    ("前<script>x()</script>后", "前后"),
    ("前<SCRIPT type=a>x</Script >中<style>p{}</style>后", "前中后"),  # any case, attributes, space before `>`
    ("<script>a</style>b</script>后", "后"),  # to the first closing tag of its own name
    ("前<script>a</script>中<script>b", "前中<script>b"),  # never closed: stays
    ("<noscript>" * 3 + "<script>x</script>", "<noscript>" * 3),  # an unclosed one does not hide the next
    ("<scripts>x</scripts>", "<scripts>x</scripts>"),  # another name
])
def test_blocks_are_cut_to_their_closing_tag(markup: str, expected: str) -> None:
    assert without_blocks(markup, _ACTIVE) == expected


def test_blocks_are_cut_as_the_regular_expression_cuts_them() -> None:
    """What `<(a|b)\\b.*?</\\1\\s*>` replaces (which scans to the end for every unclosed opening tag)."""
    import random
    import re

    pattern = re.compile(r"<(script|style|noscript)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
    pieces = ["<script>", "</script>", "<SCRIPT a=1>", "</Script >", "<style>", "</style>", "<noscript>",
              "</noscript\n>", "<scripts>", "字", "<p>", "\n"]
    rng = random.Random(20261205)
    for _ in range(3000):
        markup = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert without_blocks(markup, _ACTIVE, " ") == pattern.sub(" ", markup), markup


def test_tags_are_replaced_as_the_expression_replaces_them() -> None:
    """`sub_tags` stops at the last `>` (no tag ends after it): what `pattern.sub` gives, on random markup."""
    import random
    import re

    patterns = [re.compile(r"<[^>]*>"), re.compile(r"</?(?:div|span)\b[^>]*>")]
    pieces = ["<", ">", "div", "span", " ", "字", "/", "<div", "</span>", "a='>'"]
    rng = random.Random(20261205)
    for _ in range(3000):
        markup = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        for pattern in patterns:
            assert sub_tags(pattern, " ", markup) == pattern.sub(" ", markup), markup


def test_what_follows_the_last_tag_is_left_as_it_is() -> None:
    assert sub_tags(re.compile(r"<[^>]*>"), "", "<b>粗</b>" + "<p a='" * 3) == "粗" + "<p a='" * 3


def test_without_tags_replaces_each_tag_and_leaves_the_text_and_its_references() -> None:
    assert without_tags("<p class='a'>美&amp;中</p><br/>x") == " 美&amp;中  x"
    assert without_tags("<p>一</p><p>二</p>", "") == "一二"
    assert without_tags("a < b <i>c") == "a  c"  # a tag runs from `<` to the first `>`
