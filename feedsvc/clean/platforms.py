"""What the publishing platforms add to every article, whatever the site: the sharing, like, related-posts, tag and
comment blocks of WordPress (Jetpack and the common plugins), Blogger and Drupal, Medium's closing link, WeChat's
account promotions. Removed from every story, each removal recorded as `platform <what>` (`feedsvc rules test`
lists them). Selectors name the platforms' own class names and ids, never generic ones (`.text`, `.share`) that
an article's own markup could carry; a paragraph is removed only when its whole text is the platform's line.
"""

from __future__ import annotations

import functools
import re

from lxml import etree
from lxml.cssselect import CSSSelector

from feedsvc.clean.tree import HtmlElement, Recorder, visible_text

PLATFORM_KIND = "platform"
SELECTORS: dict[str, str] = {
    "wordpress sharing": ".sharedaddy, .sd-sharing-enabled, .sd-block.sd-social, .sharing-hidden, "
                         ".addtoany_share_save_container, .a2a_kit, .heateor_sss_sharing_container",
    "wordpress likes": ".jetpack-likes-widget-wrapper, .sd-like, .wpl-likebox, #likes-other-gravatars",
    "wordpress related posts": "#jp-relatedposts, .jp-relatedposts, .wp-block-jetpack-related-posts, "
                               ".yarpp-related, .crp_related, .related-posts, .wp_rp_wrap",
    "wordpress tags": ".post-tags, .tags-links, .entry-tags, .wp-block-post-terms",
    "wordpress comments": "#comments, .comments-area, #respond, .comment-respond, ol.comment-list, ol.commentlist",
    "blogger": ".post-share-buttons, .post-footer, .blog-pager, .comment-footer",
    "drupal": ".field--name-field-tags, .node__links, ul.links.inline",
}
PARAGRAPHS: dict[str, str] = {
    "wordpress sharing": r"^(?:共享此文章|分享此文章|分享到|Share this)[：:]?$"
                         r"|^点击以在 ?\S{1,20} ?上共享（在新窗口中打开）$",
    "wordpress likes": r"^(?:赞|喜欢|Like) ?(?:正在加载……|Loading\.\.\.)$",
    "wordpress related posts": r"^(?:您可能感兴趣的文章|相关文章|相關文章|Related(?: posts)?)[：:]?$",
    "medium": r"^Continue reading on .{1,80}»$",
    "wechat": r"^(?:(?:微信搜索|微信搜尋)\S{0,30}(?:公众号|公眾號)|(?:关注|關注|搜索|搜尋)微信(?:公众号|公眾號)"
              r"|长按二维码关注|長按二維碼關注)\S{0,30}$",
}
_PARAGRAPH_TAGS = ("p", "div", "small", "li", "section", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "span")


_NAME = re.compile(r"[.#]([\w-]+)")


def named(selectors: str) -> set[str]:
    """The class or id that each selector of a group (`a, b`) requires, one a selector (its first): an element
    matches a selector only if it carries that name."""
    return {match.group(1) for compound in selectors.split(",") if (match := _NAME.search(compound))}


_NAMES = frozenset(name for selectors in SELECTORS.values() for name in named(selectors))
_CLASSES_AND_IDS = etree.XPath("descendant-or-self::*/@class | descendant-or-self::*/@id", smart_strings=False)


def _may_match(body: HtmlElement) -> bool:
    """Whether some element of `body` carries a class or id that a platform selector requires. Most articles carry
    none: reading their attributes once costs 0.02 ms, the selectors' seven passes over the tree 0.5 ms (of the
    6 ms it takes to clean a heavy article, cProfile over 600 of them)."""
    return not _NAMES.isdisjoint(name for value in _CLASSES_AND_IDS(body) for name in str(value).split())


@functools.cache
def _selector(selector: str) -> CSSSelector:
    return CSSSelector(selector)


@functools.cache
def _pattern(source: str) -> re.Pattern[str]:
    return re.compile(source, re.IGNORECASE)


def remove_platform_widgets(body: HtmlElement, record: Recorder) -> None:
    """Remove the platforms' blocks and lines from `body`."""
    if _may_match(body):
        for what, selector in SELECTORS.items():
            record.drop_all(_selector(selector)(body), f"{PLATFORM_KIND} {what}")
    texts: list[tuple[HtmlElement, str]] | None = None
    for what, source in PARAGRAPHS.items():
        if texts is None:  # read once for every pattern, and again only after a removal changed them (a fifth of
            # the cleaner's time went to reading every paragraph's text once a pattern)
            texts = [(e, visible_text(e)) for e in body.iter(*_PARAGRAPH_TAGS) if len(e) <= 3]
        pattern = _pattern(source)
        matches = [e for e, text in texts if pattern.search(text)]
        if what == "wordpress related posts":  # the heading, and the list of links it introduces
            matches += [e.getnext() for e in matches if e.getnext() is not None and e.getnext().tag in ("ul", "ol")]
        if matches:
            record.drop_all(matches, f"{PLATFORM_KIND} {what}")
            texts = None
