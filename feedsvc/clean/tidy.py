"""Structure to the allowlist: wrappers unwrapped or made paragraphs, a box that splits a sentence moved after it,
text loose at the article's top level made paragraphs, empty paragraphs dropped, `<br>` runs collapsed.

After this pass every element is one the sanitizer allows, so the sanitizer removes nothing structural and a second
cleaning finds nothing left to change.
"""

from __future__ import annotations

import re

import lxml.html

from feedsvc.clean.tree import HtmlElement, is_blank, text_of, unwrap, unwrap_all

ALLOWED_TAGS = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "q", "cite",
    "figure", "figcaption", "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "pre", "code",
    "em", "strong", "b", "i", "u", "s", "del", "ins", "mark", "small", "sub", "sup", "br", "hr", "a", "img",
})
BLOCKS = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "li", "blockquote", "figure", "table", "pre", "hr",
    "div", "section", "article", "header", "footer", "main", "aside", "nav", "center", "address", "details",
})
_WRAPPERS = frozenset({"div", "section", "article", "header", "footer", "main", "aside", "nav", "center",
                       "address", "details", "summary", "hgroup", "fieldset", "legend"})
_BLOCK_PARENTS = frozenset({"body", "blockquote", "li", "td", "th", "dd", "figure", *_WRAPPERS})
_INLINE_HOLDERS = ("p", "pre", "a", "em", "strong", "b", "i", "u", "s", "small", "sub", "sup", "code", "q", "cite",
                   "mark", "del", "ins", "h1", "h2", "h3", "h4", "h5", "h6", "caption", "figcaption", "dt")
_DROP_IF_EMPTY = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "figcaption", "em", "strong", "b",
                  "i", "u", "s", "small", "sub", "sup", "q", "cite", "mark", "del", "ins", "ul", "ol", "dl", "dt",
                  "dd", "pre", "code", "figure", "table", "thead", "tbody", "tfoot", "tr", "caption")


_TABLE_PARTS = ("tr", "td", "th", "thead", "tbody", "tfoot", "caption")
_TABLE_CHILDREN = {"table": ("caption", "thead", "tbody", "tfoot", "tr"), "thead": ("tr",), "tbody": ("tr",),
                   "tfoot": ("tr",), "tr": ("td", "th")}


def _well_formed_table(table: HtmlElement) -> bool:
    """Whether every piece of the table sits where a browser keeps it; text or elements between rows and cells
    would be moved out ("foster-parented"), differently by every parser, so such a table is dissolved instead."""
    for element in [table, *table.iter("thead", "tbody", "tfoot", "tr")]:
        if not is_blank(element.text):
            return False
        for child in element:
            if child.tag not in _TABLE_CHILDREN[element.tag] or not is_blank(child.tail):
                return False
    return True


_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# A start tag of one of these closes an open one of its family (unless a list or a table intervenes).
_FAMILIES = {"li": ("li",), "dt": ("dt", "dd"), "dd": ("dt", "dd"), "a": ("a",), **dict.fromkeys(_HEADINGS, _HEADINGS)}
_FAMILY_BARRIERS = {"li": ("ul", "ol", "table"), "dt": ("dl", "table"), "dd": ("dl", "table"), "a": ("table",),
                    **dict.fromkeys(_HEADINGS, ("table",))}


def _unnest(body: HtmlElement) -> None:
    """Unwrap an element nested in one of its family (`li` in `li`, `a` in `a`, heading in heading): a browser
    would close the outer one first, so the same markup must not mean something else here."""
    for element in reversed(list(body.iter(*_FAMILIES))):
        for ancestor in element.iterancestors():
            if ancestor.tag in _FAMILY_BARRIERS[element.tag]:
                break
            if ancestor.tag in _FAMILIES[element.tag]:
                unwrap(element)
                break


def _fix_lists(body: HtmlElement) -> None:
    """Everything directly inside a list becomes a list item (parsers disagree on what to do with the rest)."""
    for listing in body.iter("ul", "ol", "dl"):
        item_tags = ("dt", "dd") if listing.tag == "dl" else ("li",)
        if not is_blank(listing.text):
            item = lxml.html.Element(item_tags[-1])
            item.text, listing.text = listing.text, None
            listing.insert(0, item)
        for child in list(listing):
            current = child
            if child.tag not in item_tags:
                current = lxml.html.Element(item_tags[-1])
                listing.replace(child, current)
                current.append(child)
                current.tail, child.tail = child.tail, None
            if not is_blank(current.tail):
                item = lxml.html.Element(item_tags[-1])
                item.text, current.tail = current.tail, None
                current.addnext(item)


_STRAY_ITEMS = ((("li",), "ul", ("ul", "ol")), (("dt", "dd"), "dl", ("dl",)))


def _wrap_stray_items(body: HtmlElement) -> None:
    """List items outside any list (CCTV's programme lists; a `<menu>` the allowlist unwrapped) go into one, each
    run of them (only whitespace between) into its own `<ul>` or `<dl>`: HTML has no item without a list, and a
    reader's sanitizer may drop or flatten one."""
    for tags, wrapper, lists in _STRAY_ITEMS:
        for item in list(body.iter(*tags)):
            if item.getparent() is None or any(a.tag in lists for a in item.iterancestors()):
                continue
            listing = lxml.html.Element(wrapper)
            item.addprevious(listing)
            run: HtmlElement | None = item
            while run is not None and run.tag in tags:
                following, ends = run.getnext(), not is_blank(run.tail)
                listing.append(run)
                if ends:
                    break
                run = following
            last = listing[-1]
            listing.tail, last.tail = last.tail, None


def _is_block(element: HtmlElement) -> bool:
    return isinstance(element.tag, str) and element.tag in BLOCKS


def _has_block_child(element: HtmlElement) -> bool:
    return any(_is_block(c) for c in element)


_ASCII_SPACE = " \t\n\r\f"
_CONTINUES = tuple("，、；：,;:）)」』》〉")
"""What a text may start with only to go on with the sentence before it."""


def _move_interruptions(wrapper: HtmlElement) -> None:
    """Blocks that stand between the two halves of a sentence (CNA's glossary box, `.dictionary-box`, sits right
    after the word it explains: "…發布低溫特報<box>…</box>，明天寒流南下…") move, in their order, after the wrapper
    that holds the sentence, which can then become one paragraph. Halves: inline text before the blocks, and text
    after them that starts with a mark no sentence starts with (`，`, `、`, `；`, a closing bracket). One pass over
    the wrapper's children: a hostile seed of many such runs costs what its length costs."""
    children = list(wrapper)
    moved: list[HtmlElement] = []
    previous: HtmlElement | None = None  # the last child that stays; None: the wrapper's own text comes before
    joined: list[str] = []  # the second halves joined to `previous`, set once (appending each: quadratic)

    def join() -> None:
        if joined:
            if previous is None:
                wrapper.text = (wrapper.text or "") + "".join(joined)
            else:
                previous.tail = (previous.tail or "") + "".join(joined)
            joined.clear()

    start = 0
    while start < len(children):
        if not _is_block(children[start]):
            join()
            previous = children[start]
            start += 1
            continue
        end = start  # the run of blocks, nothing but whitespace between them
        while end + 1 < len(children) and _is_block(children[end + 1]) and is_blank(children[end].tail):
            end += 1
        before = wrapper.text if previous is None else previous.tail or text_of(previous)
        rest = children[end].tail or ""
        if ((previous is None or not _is_block(previous)) and (joined or not is_blank(before))
                and rest.lstrip().startswith(_CONTINUES)):
            joined.append(rest)
            for block in children[start:end + 1]:
                block.tail = None
                wrapper.remove(block)
                moved.append(block)
        else:
            join()
            previous = children[end]
        start = end + 1
    join()
    if moved:
        moved[-1].tail, wrapper.tail = wrapper.tail, None
        anchor = wrapper
        for block in moved:
            anchor.addnext(block)
            anchor = block


def _wraps(element: HtmlElement, parent: HtmlElement) -> bool:
    return isinstance(element.tag, str) and element.tag in _WRAPPERS and parent.tag in _BLOCK_PARENTS


def _allowed(element: HtmlElement) -> bool:
    return isinstance(element.tag, str) and element.tag in ALLOWED_TAGS


def _paragraph_to_be(element: HtmlElement, parent: HtmlElement) -> bool:
    """Whether `element` (outside the allowlist) is a wrapper of inline content with text: a paragraph."""
    return _wraps(element, parent) and not _has_block_child(element) and not is_blank(text_of(element))


def _to_paragraph(element: HtmlElement) -> None:
    element.tag = "p"
    element.attrib.clear()


def to_allowlist(body: HtmlElement) -> None:
    """Unwrap every element outside the allowlist; a wrapper holding only inline content becomes a paragraph (once
    the blocks that split one of its sentences are moved after it); text loose at the top level becomes
    paragraphs."""
    # Elements without children are decided by what they are alone, whatever is done around them: unwrapped all
    # at once (`unwrap_all`: linear, where one by one costs the square of their number).
    leaves: list[HtmlElement] = []
    for leaf in body.iter():
        if len(leaf) == 0 and leaf is not body and not _allowed(leaf):
            if _paragraph_to_be(leaf, leaf.getparent()):
                _to_paragraph(leaf)
            else:
                leaves.append(leaf)
    unwrap_all(leaves)
    for element in reversed(list(body.iter())):
        parent = element.getparent()
        if element is body or parent is None or _allowed(element):
            continue
        if _wraps(element, parent) and _has_block_child(element):
            _move_interruptions(element)
        if _paragraph_to_be(element, parent):
            _to_paragraph(element)
        else:
            unwrap(element)
    unwrap_all([anchor for anchor in body.iter("a") if not anchor.get("href")])
    # A browser closes a paragraph where a block starts, leaving empty paragraphs behind; unwrap such
    # paragraphs here so the published markup means the same to every parser (and cleaning twice changes nothing).
    for table in reversed(list(body.iter("table"))):
        if not _well_formed_table(table):
            unwrap_all([*table.iter(*_TABLE_PARTS), table])
    # Table parts outside a table are dropped by browsers (their content stays).
    unwrap_all([part for part in body.iter(*_TABLE_PARTS) if not any(a.tag == "table" for a in part.iterancestors())])
    _wrap_stray_items(body)
    _fix_lists(body)  # first: wrapping stray list content in items can nest one item in another
    _unnest(body)
    # Inline elements around blocks are split differently by different parsers: unwrap them too.
    for element in reversed(list(body.iter(*_INLINE_HOLDERS))):
        if any(isinstance(d.tag, str) and d.tag in BLOCKS for d in element.iterdescendants()):
            unwrap(element)
    _paragraphs_of_loose_text(body)


def _paragraphs_of_loose_text(body: HtmlElement) -> None:
    """Each run of inline content at the top level that holds text (a seed's bare text, what is left of a wrapper
    that also held blocks) becomes a paragraph, as the rest of the article is: the page's and a reader's styles
    space paragraphs, not loose text. A run of images alone stays as it is."""
    runs: list[tuple[HtmlElement | None, list[HtmlElement]]] = []  # (the block before it, its elements)
    previous: HtmlElement | None = None
    current: list[HtmlElement] = []
    for child in body:
        if _is_block(child):
            runs.append((previous, current))
            previous, current = child, []
        else:
            current.append(child)
    runs.append((previous, current))
    for before, elements in runs:
        leading = body.text if before is None else before.tail
        if is_blank(leading) and all(is_blank(e.tail) and is_blank(text_of(e)) for e in elements):
            continue
        paragraph = lxml.html.Element("p")
        paragraph.text = (leading or "").lstrip(_ASCII_SPACE) or None  # the line break that ended the block before
        if before is None:
            body.text = None
            body.insert(0, paragraph)
        else:
            before.tail = None
            before.addnext(paragraph)
        for element in elements:
            paragraph.append(element)
        if elements:
            elements[-1].tail = (elements[-1].tail or "").rstrip(_ASCII_SPACE) or None
        elif paragraph.text:
            paragraph.text = paragraph.text.rstrip(_ASCII_SPACE)


def _only_breaks(element: HtmlElement) -> bool:
    return is_blank(element.text) and all(c.tag == "br" and is_blank(c.tail) for c in element)


def unlink_empty(body: HtmlElement) -> None:
    """Links with nothing to show or to click (no text, no image: what a related-story widget or a card drawn by a
    style sheet leaves once its content is gone) lose their tag; whitespace or line breaks they held stay."""
    for link in reversed(list(body.iter("a"))):
        if _only_breaks(link) and link.getparent() is not None:
            unwrap(link)


def drop_empty(body: HtmlElement) -> None:
    """Drop paragraphs and inline wrappers with no text and no image (deepest first, so emptiness propagates)."""
    for element in reversed(list(body.iter(*_DROP_IF_EMPTY))):
        # Cheapest test first: most elements hold text of their own, or children that are not line breaks
        if not _only_breaks(element) or element.getparent() is None:
            continue
        if len(element) == 0 or (is_blank(element.text_content()) and element.find(".//img") is None):
            element.drop_tree()


def collapse_breaks(body: HtmlElement) -> None:
    """At most two `<br>` in a row; none at the start or end of a block."""
    for br in reversed(list(body.iter("br"))):  # last first, so trimming a trailing run sees the whole run
        parent = br.getparent()
        if parent is None:
            continue
        previous = br.getprevious()
        at_start = previous is None and is_blank(parent.text)
        run = 0
        walker = previous
        while walker is not None and walker.tag == "br" and is_blank(walker.tail):
            run += 1
            walker = walker.getprevious()
        if walker is None and is_blank(parent.text):
            at_start = True
        following = br.getnext()
        at_end = is_blank(br.tail) and following is None
        if at_start or at_end or run >= 2 or (following is not None and following.tag in BLOCKS
                                               and is_blank(br.tail)):
            unwrap(br)  # the tail text stays


_SPACES = re.compile(f"[{_ASCII_SPACE}]+")


def normalize_space(body: HtmlElement) -> None:
    """Collapse runs of ASCII whitespace (outside `<pre>`) and drop whitespace-only text between blocks.

    Browsers render both the same way; the published HTML gets smaller and diffs become readable.
    """
    preformatted = {e for pre in body.iter("pre") for e in pre.iter()}
    for pre in body.iter("pre"):  # a browser drops the newline that opens a <pre>; libxml2 keeps it
        if pre.text:
            pre.text = pre.text.lstrip("\r\n") or None
    for element in body.iter():
        if preformatted and element in preformatted:
            continue
        text = element.text
        if text:
            text = element.text = _SPACES.sub(" ", text)
            if text == " " and (element is body or element.tag in BLOCKS or element.tag == "figure"):
                element.text = None
        tail = element.tail
        if tail and element is not body:
            parent = element.getparent()
            if parent is None or (preformatted and parent in preformatted):
                continue
            tail = element.tail = _SPACES.sub(" ", tail)
            if tail == " " and (element.tag in BLOCKS or element.tag in ("figure", "figcaption")):
                element.tail = None
