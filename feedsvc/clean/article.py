"""An article's HTML to clean HTML, its summary and the marks of its edge blocks: the cleaner's passes, in order.

The order matters (see the package's docstring). bleach (with its html5lib) is imported by the first article
cleaned, not with this module: a command that finds nothing to clean would spend 0.07-0.08 s importing it.
"""

from __future__ import annotations

import re

from feedsvc.clean.edges import edges
from feedsvc.clean.media import captions_to_figures, embeds_to_links, fix_images, fix_links
from feedsvc.clean.platforms import remove_platform_widgets
from feedsvc.clean.structure import (
    apply_rules,
    remove_active,
    remove_footer,
    remove_head,
    remove_lead_date,
    remove_repeated_title,
)
from feedsvc.clean.summary import prose, summarize
from feedsvc.clean.tidy import collapse_breaks, drop_empty, normalize_space, to_allowlist, unlink_empty
from feedsvc.clean.tree import Recorder, is_blank, parse_body, visible_text
from feedsvc.model import Cleaned, CleanRules
from feedsvc.text import readable

NO_RULES = CleanRules()


def _prepare(html: str) -> str:
    """Input as the parser may see it: `text.readable` (no characters XML forbids, no C1 controls or U+FFFD), no
    U+FEFF (a parser drops a leading one as a byte-order mark, so keeping others would make cleaning depend on
    where they stand)."""
    return readable(html).replace("\ufeff", "")


def clean(html: str, base_url: str, rules: CleanRules = NO_RULES, summary_chars: int = 300,
          title: str = "") -> Cleaned:
    """Clean one article's HTML; `base_url` (the article's link) makes relative URLs absolute, and a heading
    that only repeats `title` is dropped."""
    text = _prepare(html)
    if is_blank(text):
        return Cleaned("", "")
    record = Recorder()
    body, head = parse_body(text)
    remove_head(head, record)
    remove_active(body, record)
    remove_footer(body, record)
    remove_platform_widgets(body, record)
    remove_lead_date(body, record)
    remove_repeated_title(body, title, record)
    apply_rules(body, rules, record)
    embeds_to_links(body, base_url, rules.unwrap_image_proxy, record)
    fix_images(body, base_url, record)
    fix_links(body, base_url, rules.unwrap_image_proxy)
    captions_to_figures(body)
    to_allowlist(body)
    unlink_empty(body)
    drop_empty(body)
    collapse_breaks(body)
    normalize_space(body)
    summary = summarize(prose(body), summary_chars)
    from feedsvc.clean.sanitize import sanitize  # bleach, imported by the first article cleaned (see above)

    cleaned = readable(sanitize(body)).strip()
    marks = edges(cleaned.encode(), [re.compile(p) for p in rules.keep_paragraphs])
    return Cleaned(cleaned, summary, tuple(record.removed), " ".join(record.added), marks)


def visible_text_of(html: str) -> str:
    """The visible text of `html` as the cleaner's parser reads it, whitespace collapsed."""
    body, head = parse_body(_prepare(html))
    head_text = visible_text(head) if head is not None else ""
    return f"{head_text} {visible_text(body)}".strip()
