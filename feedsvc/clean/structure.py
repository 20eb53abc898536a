"""Removals that do not depend on media: active content, the feedx promo footer, the lead date line, source rules."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml import etree

from feedsvc.clean.selectors import css, xpath
from feedsvc.clean.tree import HtmlElement, Recorder, is_blank, unwrap, visible_text
from feedsvc.ingest.dates import parse_date
from feedsvc.model import CleanRules

# Removed with their content: their text is code, styling or form furniture, never article text.
ACTIVE = ("script", "style", "noscript", "template", "svg", "math", "object", "embed", "applet", "form", "button",
          "input", "select", "textarea", "link", "meta", "base", "frame", "frameset", "canvas", "map", "title",
          "param", "dialog", "portal", "xml")

FOOTER_MARK = "获取更多RSS"
_RFI_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}\s*-\s*\d{1,2}:\d{2}$")
_PARAGRAPHS = ("p", "div", "small", "li", "section", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "blockquote",
               "span", "em", "strong")


def remove_head(head: HtmlElement | None, record: Recorder) -> None:
    if head is not None and not is_blank(head.text_content()):
        record.note("head", head.text_content())


_ASKS_FOR_SCRIPTS = re.compile(r"javascript|\bjs\b", re.IGNORECASE)
"""What a `<noscript>` that only asks for scripts says ("Please enable JavaScript to view the comments")."""


def _links_only_here(noscript: HtmlElement, body: HtmlElement) -> bool:
    """Whether `noscript` links somewhere no other link of the article does (and is not a request to turn scripts
    on)."""
    inside = {a.get("href") for a in noscript.iter("a")} - {None, ""}
    if not inside or _ASKS_FOR_SCRIPTS.search(noscript.text_content()):
        return False
    elsewhere = {a.get("href") for a in body.iter("a") if noscript not in a.iterancestors()}
    return bool(inside - elsewhere)


def remove_active(body: HtmlElement, record: Recorder) -> None:
    """Active content goes with what it holds, but for a `<noscript>` that links where nothing else in the article
    does: that is what a reader without scripts is given (a feed reader runs none), such as the links to the
    documents an embedded viewer shows; it stays, unwrapped. Other `<noscript>`s repeat what scripts would show (an
    image already in the article) or ask for scripts, and go."""
    for noscript in list(body.iter("noscript")):
        if _links_only_here(noscript, body):
            unwrap(noscript)
    record.drop_all((e for e in body.iter(*ACTIVE)), "active content")
    for element in body.iter():  # namespaced leftovers such as <svg:rect> or <o:p> inside removed SVG are gone now
        if isinstance(element.tag, str) and element.tag.startswith(("svg:", "math:")):
            record.drop(element, "active content")


def _is_feedx_link(anchor: HtmlElement) -> bool:
    try:
        host = urlsplit((anchor.get("href") or "").strip()).hostname or ""
    except ValueError:
        return False
    return host.startswith("feedx.") or ".feedx." in host


def remove_footer(body: HtmlElement, record: Recorder) -> None:
    """Remove feedx's promo footer: the element holding `获取更多RSS` and a feedx link, and the `<br><hr>` before it."""
    for anchor in [a for a in body.iter("a") if _is_feedx_link(a)]:
        if anchor.getparent() is None:
            continue
        holder = next((e for e in anchor.iterancestors() if FOOTER_MARK in (e.text_content() or "")), None)
        if holder is None:
            continue
        if holder is body:
            _remove_loose_footer(body, anchor, record)
            continue
        previous = holder.getprevious()
        record.drop(holder, "feedx footer")
        while previous is not None and previous.tag in ("br", "hr") and is_blank(previous.tail):
            before = previous.getprevious()
            previous.drop_tree()
            previous = before


def _remove_loose_footer(body: HtmlElement, anchor: HtmlElement, record: Recorder) -> None:
    """A footer with no wrapper element: drop the marker text and the feedx links themselves."""
    for node in [body, *body.iter()]:
        for attr in ("text", "tail"):
            value = getattr(node, attr)
            if value and FOOTER_MARK in value:
                cut = value.index(FOOTER_MARK)
                record.note("feedx footer", value[cut:])
                setattr(node, attr, value[:cut])
    for link in [a for a in body.iter("a") if _is_feedx_link(a)]:
        record.drop(link, "feedx footer")


def _is_date_line(element: HtmlElement) -> bool:
    if element.tag != "div":
        return False
    children = list(element)
    if not children and element.text and _RFI_DATE.match(element.text.strip()):
        return True
    if len(children) != 1 or children[0].tag != "i" or not is_blank(element.text) or not is_blank(children[0].tail):
        return False
    italic = children[0]
    parts = [italic.text or ""] + [(br.tail or "") for br in italic if br.tag == "br"]
    if any(child.tag != "br" for child in italic):
        return False
    last = next((p for p in reversed(parts) if p.strip()), "")
    return not last or parse_date(last) is not None


def remove_lead_date(body: HtmlElement, record: Recorder) -> None:
    """Remove the leading `<div><i>author<br>date</i></div>` (or RFI's `<div>dd/mm/yyyy - hh:mm</div>`).

    Its date and author are in the entry's metadata already. Only the first element counts, looking through
    up to three wrappers (Format B wraps the body in a `<div>`).
    """
    node = body
    for _ in range(4):
        if not is_blank(node.text):
            return
        first = next(iter(node), None)
        if first is None:
            return
        if _is_date_line(first):
            record.drop(first, "lead date line")
            return
        if first.tag not in ("div", "section", "article", "p") or not len(first):
            return
        node = first


RULE_KIND = "rule"
"""Removals by a source rule are recorded as `rule <key> <pattern>` (what `feedsvc rules test` reports)."""


def rule_kind(key: str, pattern: str) -> str:
    return f"{RULE_KIND} {key} {pattern}"


def apply_rules(body: HtmlElement, rules: CleanRules, record: Recorder) -> None:
    """The source's own removals: selectors, XPath, paragraphs matching a pattern, text patterns; each removal is
    recorded with the rule that made it."""
    for selector in rules.drop_selectors:
        record.drop_all(css(selector)(body), rule_kind("drop_selectors", selector))
    for expression in rules.drop_xpaths:
        found = xpath(expression)(body)
        record.drop_all((e for e in found if isinstance(e, etree._Element)), rule_kind("drop_xpaths", expression))
    texts: list[tuple[HtmlElement, str]] | None = None
    for source in rules.drop_paragraphs:
        if texts is None:  # read once for every pattern, and again only after a removal changed them
            texts = [(e, visible_text(e)) for e in body.iter(*_PARAGRAPHS)]
        pattern = re.compile(source)
        matches = [e for e, text in texts if pattern.search(text)]
        if matches:
            record.drop_all(matches, rule_kind("drop_paragraphs", source))
            texts = None
    for source in rules.strip_text:
        pattern = re.compile(source)
        for node in [body, *body.iter()]:
            for attr in ("text", "tail"):
                value = getattr(node, attr)
                if value and pattern.search(value):
                    for hit in pattern.finditer(value):
                        record.note(rule_kind("strip_text", source), hit.group(0))
                    setattr(node, attr, pattern.sub("", value))


_MEDIA = ("img", "picture", "video", "audio", "iframe", "embed", "object", "a")
_SHORT, _SLACK = 4, 200
"""A body whose text is longer than this many times the title, plus this many characters (its whitespace), is
not compared with the title."""


def _short_text(body: HtmlElement, limit: int) -> str | None:
    """The text of `body` if it is at most `limit` characters long, else None, read only as far as the limit.
    Collapsing every article's whole text to compare it with its title cost 3 % of cleaning the real corpus;
    reading only a body without media (most have an image or a link, found at once), and only this far, 0.3 %."""
    pieces, size = [], 0
    for piece in body.itertext():
        size += len(piece)
        if size > limit:
            return None
        pieces.append(piece)
    return "".join(pieces)


def remove_repeated_title(body: HtmlElement, title: str, record: Recorder) -> None:
    """Drop a heading in the first few elements that only repeats the entry's title (BBC, Nei.st pages), or the
    whole body when it holds nothing but the title (BBC's video posts, CCTV's empty programme pages: the archive
    has no text of them); an article left without text is published as a link to the original."""
    wanted = " ".join(title.split()).casefold()
    if not wanted:
        return
    text = None if next(body.iter(*_MEDIA), None) is not None else _short_text(body, _SHORT * len(wanted) + _SLACK)
    if text is not None and "".join(text.split()).casefold() == wanted.replace(" ", ""):
        if not is_blank(body.text):
            record.note("repeated title", body.text or "")
        body.text = None
        for child in list(body):
            record.drop(child, "repeated title")
        return
    for count, heading in enumerate(body.iter("h1", "h2")):
        if count >= 3:
            return
        if visible_text(heading).casefold() == wanted:
            record.drop(heading, "repeated title")
            return
