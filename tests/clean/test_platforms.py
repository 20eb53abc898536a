"""clean.platforms: the blocks the publishing platforms add to every article, removed from every source's stories,
the article's own text, bylines and credits kept (seeds of the platforms' shapes, generated here)."""

from __future__ import annotations

import pytest

from feedsvc.clean.article import clean, visible_text_of
from feedsvc.clean.platforms import SELECTORS, named
from feedsvc.clean.tree import parse_body

ARTICLE = "<p>作者：王小明</p><p>这是文章的正文，讲述了一件事情。</p><p>（责编：李四）</p>"
KEPT = ("作者：王小明", "这是文章的正文", "责编：李四")

WIDGETS = {
    "wordpress sharing": '<div class="sharedaddy sd-sharing-enabled"><div class="robots-nocontent sd-block sd-social '
                         'sd-social-icon-text"><h3 class="sd-title">共享此文章：</h3><div class="sd-content"><ul>'
                         '<li><a class="share-facebook" href="https://x.example/?share=facebook">'
                         '<span>点击以在 Facebook 上共享（在新窗口中打开）</span></a></li></ul></div></div></div>',
    "wordpress sharing lines": "<h3>共享此文章：</h3><p>点击以在 Twitter 上共享（在新窗口中打开）</p>",
    "wordpress likes": '<div class="sharedaddy sd-block sd-like jetpack-likes-widget-wrapper"><h3>赞：</h3>'
                       '<div class="likes-widget-placeholder">赞 正在加载……</div></div><p>赞 正在加载……</p>',
    "wordpress related posts": '<div id="jp-relatedposts" class="jp-relatedposts"><h3 class="jp-relatedposts-headline">'
                               "<em>相关</em></h3></div><h3>您可能感兴趣的文章</h3><ul><li><a href=\"https://x.example/"
                               'a">另一篇文章</a></li><li><a href="https://x.example/b">第三篇</a></li></ul>',
    "wordpress tags": '<footer class="entry-footer"><span class="tags-links">标签：<a href="https://x.example/t/1" '
                      'rel="tag">人权</a>、<a href="https://x.example/t/2" rel="tag">中国</a></span></footer>',
    "wordpress comments": '<div id="comments" class="comments-area"><h2 class="comments-title">《文章》有3条评论</h2>'
                          '<ol class="comment-list"><li class="comment"><p>说得好！</p></li></ol>'
                          '<div id="respond" class="comment-respond"><h3>发表评论</h3></div></div>',
    "blogger": '<div class="post-footer"><div class="post-share-buttons"><a class="share-button">分享到 Twitter</a>'
               '</div><span class="post-labels">标签: 新闻</span></div>',
    "drupal": '<div class="field field--name-field-tags"><div class="field__item"><a href="/t/1">政治</a></div></div>'
              '<ul class="links inline"><li><a href="/node/1#comments">添加评论</a></li></ul>',
    "medium": '<p><a href="https://medium.com/p/123">Continue reading on Medium »</a></p>',
    "wechat": "<p>微信搜索「新闻快报」公众号</p><p>关注微信公众号：每日新闻</p>",
}


@pytest.mark.parametrize("platform", sorted(WIDGETS))
def test_each_platform_block_goes_and_the_article_stays(platform: str) -> None:
    html = ARTICLE + WIDGETS[platform]
    result = clean(html, "https://x.example/post/1")
    text = visible_text_of(result.html)
    for kept in KEPT:
        assert kept in text
    widget_text = visible_text_of(WIDGETS[platform])
    for word in ("共享", "赞", "评论", "标签", "相关", "Medium", "公众号", "另一篇", "分享", "政治", "人权"):
        if word in widget_text:
            assert word not in text, (platform, word, text)
    assert any(r.kind.startswith("platform ") for r in result.removed)


def test_an_article_that_only_mentions_these_words_is_left_alone() -> None:
    html = ("<p>本文讨论了微信公众号的审查，以及“分享此文章”按钮如何追踪读者。</p><h3>相关文章的争议</h3>"
            '<p class="share">分享一则故事：赞美与批评。</p>')
    result = clean(html, "https://x.example/post/2")
    assert visible_text_of(result.html) == visible_text_of(html)
    assert not result.removed


@pytest.mark.parametrize("selector", sorted(c.strip() for group in SELECTORS.values() for c in group.split(",")))
def test_every_selector_requires_the_name_that_lets_an_article_be_searched(selector: str) -> None:
    """The selectors run only on articles that carry a class or id one of them requires (`named`): each selector
    requires its name, so an element it matches always carries it. Shown on an element built to match it."""
    (name,) = named(selector)
    assert ":not" not in selector and ("." + name in selector or "#" + name in selector)
    tag = selector.split(".", maxsplit=1)[0].split("#", maxsplit=1)[0] or "div"
    classes = [part.split("#")[0] for part in selector.split(".")[1:]]
    ident = selector.split("#")[1].split(".", maxsplit=1)[0] if "#" in selector else ""
    element = f'<{tag} class="{" ".join(classes)}" id="{ident}"><li>更多内容</li></{tag}>'
    result = clean(ARTICLE + element, "https://x.example/post/3")
    assert any(r.kind.startswith("platform ") for r in result.removed), selector
    body, _ = parse_body(element)
    assert name in {*(body[0].get("class") or "").split(), body[0].get("id")}
