"""The last line of defence (`clean.sanitize`): bleach's allowlist over the cleaner's tree gives what `bleach.clean`
gives over the same markup, with every link made safe to open."""

from __future__ import annotations

import subprocess
import sys

import pytest
from lxml import etree

from feedsvc.clean.sanitize import sanitize, sanitize_markup, tokens
from feedsvc.clean.tree import parse_body


@pytest.mark.parametrize("html", [
    "<p>一 &amp; 二 &lt;三&gt;</p>",
    '<p><a href="https://a.example/?x=1&amp;y=2" title="t" onclick="x()">链</a></p>',
    '<p><a href="javascript:alert(1)">坏</a><a href="mailto:a@b.example">信</a></p>',
    '<p><span style="color:red">去标签</span>留字</p>',
    '<table><tbody><tr><td colspan="2" style="x">格</td></tr></tbody></table><img src="https://i.example/a.jpg" '
    'alt="图" id="x">',
    '<ol start="3"><li>三</li></ol><hr><br><pre>  code\n  block</pre>',
])
def test_the_tree_gives_what_bleach_gives_the_markup(html: str) -> None:
    body, _ = parse_body(html)
    assert sanitize(body) == sanitize_markup(html)


def test_disallowed_tags_go_and_their_text_stays() -> None:
    body, _ = parse_body('<p><font color="red">红</font><span>字</span></p>')
    assert sanitize(body) == "<p>红字</p>"


def test_disallowed_attributes_and_schemes_go_and_links_open_safely() -> None:
    body, _ = parse_body('<a href="javascript:alert(1)" target="_blank">x</a><img src="vbscript:x" onerror="y">')
    assert sanitize(body) == '<a rel="noopener noreferrer">x</a><img>'


def test_comments_are_skipped_and_their_tails_kept() -> None:
    body, _ = parse_body("<p>x</p>")
    paragraph = body[0]
    paragraph.append(paragraph.makeelement("br"))
    comment = etree.Comment(" note ")
    comment.tail = "后"
    paragraph.append(comment)
    assert [t.get("data") for t in tokens(body) if t["type"] == "Characters"] == ["x", "后"]
    assert sanitize(body) == "<p>x<br>后</p>"


def test_cleaning_makes_no_html5lib_parser() -> None:
    """Cleaning feeds the tree it holds to bleach's filter: bleach's own cleaner (an html5lib parser, and its tree
    builder to import) is made only for `sanitize_markup`."""
    script = (
        "import sys\n"
        "from feedsvc.clean.sanitize import sanitize\n"
        "from feedsvc.clean.tree import parse_body\n"
        "assert sanitize(parse_body('<p>一<b>二</b></p>')[0]) == '<p>一<b>二</b></p>'\n"
        "print('builder' if 'bleach._vendor.html5lib.treebuilders.etree' in sys.modules else 'none')\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "none", result.stdout + result.stderr
