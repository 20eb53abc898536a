"""Images, embeds and URLs (`clean.media`): lazy sources, placeholders and pixels, absolute links, links through
the image proxy, embeds as plain links, captions as figures."""

from __future__ import annotations

from collections.abc import Callable

import lxml.html
import pytest

from feedsvc.clean.media import ADDED_LABEL, captions_to_figures, embeds_to_links, fix_images, fix_links, page_of
from feedsvc.clean.tree import HtmlElement, Recorder, parse_body

BASE = "https://www.dw.com/zh/a-1"
PROXIED = "https://images.weserv.nl/?url=static.dw.com/image/1_303.jpg"


def _after(html: str, step: Callable[[HtmlElement, Recorder], None]) -> tuple[str, Recorder]:
    body, _ = parse_body(html)
    record = Recorder()
    step(body, record)
    return lxml.html.tostring(body, encoding="unicode").removeprefix("<body>").removesuffix("</body>"), record


def _images(html: str) -> tuple[str, list[str]]:
    kept, record = _after(html, lambda body, record: fix_images(body, BASE, record))
    return kept, [r.kind for r in record.removed]


@pytest.mark.parametrize(("img", "expected"), [
    ('<img src="data:image/gif;base64,R0lG" data-src="/i/1.jpg" alt="图" class="lazy" style="x">',
     '<img alt="图" src="https://www.dw.com/i/1.jpg">'),
    ('<img src="/blank.gif" data-original="//cdn.example/2.jpg">', '<img alt="" src="https://cdn.example/2.jpg">'),
    ('<img src="a.jpg" width="300px" height="auto">',
     '<img width="300px" alt="" src="https://www.dw.com/zh/a.jpg">'),
    (f'<img src="{PROXIED}">', f'<img alt="" src="{PROXIED}">'),  # the renderers' choice (image_mode)
])
def test_an_image_keeps_a_usable_absolute_source_and_its_description(img: str, expected: str) -> None:
    """...and one its seed gave no description gets an empty one (HTML requires it; a screen reader passes over
    the image rather than spelling out its address)."""
    assert _images(img) == (expected, [])


@pytest.mark.parametrize(("img", "kind"), [
    ('<img src="data:image/png;base64,iVBO">', "image without a usable source"),
    ("<img>", "image without a usable source"),
    ('<img src="mailto:a@b.example" width="1" height="1">', "image without a usable source"),
    ('<img src="https://t.example/p.gif" width="1" height="1">', "tracking pixel"),
])
def test_an_image_without_a_usable_source_and_a_tracking_pixel_go(img: str, kind: str) -> None:
    assert _images(f"<p>{img}文</p>") == ("<p>文</p>", [kind])


@pytest.mark.parametrize(("img", "text"), [
    ('<img src="https://s.w.org/images/core/emoji/13.0.1/72x72/1f64f.png" alt="🙏" class="wp-smiley" '
     'style="height: 1em; max-height: 1em;" />', "🙏"),
    ('<img src="https://img.t.sinajs.cn/t4/appstyle/expression/ext/normal/6c/2018new_xinsui_org.png" alt="[伤心]" />',
     "[伤心]"),
    ('<img class="emoji" alt="😒" src="/wp-content/emoji/1f612.png">', "😒"),
])
def test_an_emoji_or_emoticon_image_becomes_the_text_it_stands_for(img: str, text: str) -> None:
    kept, record = _after(f"<p>谢谢{img}，再见</p>", lambda body, record: fix_images(body, BASE, record))
    assert kept == f"<p>谢谢{text}，再见</p>"
    assert [r.kind for r in record.removed] == ["pictograph as text"] and record.added == [text]


@pytest.mark.parametrize("img", [
    '<img src="https://s.w.org/images/core/emoji/13.0.1/72x72/1f64f.png" class="wp-smiley">',  # nothing to say
    '<img src="https://img.example/emoji-chart.png" alt="A chart of the emoji most used in 2020, by country">',
    '<img class="photo" alt="🙏" src="https://img.example/prayer.jpg">',  # a photograph, whatever its alt
])
def test_other_images_stay_images(img: str) -> None:
    kept, _ = _after(f"<p>{img}</p>", lambda body, record: fix_images(body, BASE, record))
    assert kept.startswith("<p><img ")


def test_picture_sources_go_and_what_the_parser_put_inside_them_stays() -> None:
    picture = ('<p><picture><source srcset="m.jpg" media="(max-width: 767px)"><source srcset="p.jpg">'
               '<img src="p.jpg" alt="图"></picture></p><p>后</p>')
    assert _images(picture) == ('<p><picture><img alt="图" src="https://www.dw.com/zh/p.jpg"></picture></p><p>后</p>',
                                ["picture source", "picture source"])
    assert _images('<div><source src="v.mp4">正文<p>下一段</p></div>') == (
        "<div>正文<p>下一段</p></div>", ["picture source"])  # a stray one: the text after it stays


def test_links_are_made_absolute_unwrapped_from_the_proxy_or_dropped() -> None:
    html = f'<a href="/zh/b">b</a><a href="{PROXIED}">大图</a><a href="javascript:alert(1)">x</a><img src="{PROXIED}">'
    kept, _ = _after(html, lambda body, record: fix_links(body, BASE, unwrap=True))
    assert kept == ('<a href="https://www.dw.com/zh/b">b</a><a href="https://static.dw.com/image/1_303.jpg">大图</a>'
                    f'<a>x</a><img src="{PROXIED}">')
    kept, _ = _after(html, lambda body, record: fix_links(body, BASE, unwrap=False))
    assert f'<a href="{PROXIED}">' in kept.replace("&amp;", "&")


def test_a_link_glued_to_the_publishers_address_is_the_link_it_holds() -> None:
    """The Economist's podcast pages list where to listen with each platform's URL glued to its own address."""
    html = ('<p>Listen on: <a href="https://www.economist.comhttps://open.spotify.com/show/3a5n">Spotify</a> | '
            '<a href="https://www.economist.comhttps://itunes.apple.com/us/podcast/id3">Apple Podcasts</a></p>')
    kept, _ = _after(html, lambda body, record: fix_links(body, "https://www.economist.com/podcasts/x", unwrap=True))
    assert kept == ('<p>Listen on: <a href="https://open.spotify.com/show/3a5n">Spotify</a> | '
                    '<a href="https://itunes.apple.com/us/podcast/id3">Apple Podcasts</a></p>')


@pytest.mark.parametrize(("embed", "link"), [
    ('<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ?feature=oembed">回退</iframe>',
     '<p><a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ">YouTube video</a></p>'),
    ('<video poster="/p.jpg"><source src="/v.mp4"></video>',
     '<p><a href="https://www.dw.com/v.mp4"><img src="https://www.dw.com/p.jpg" alt="Video (www.dw.com)">Video '
     '(www.dw.com)</a></p>'),
    ('<audio src="https://media.example/a.mp3"></audio>',
     '<p><a href="https://media.example/a.mp3">Audio (media.example)</a></p>'),
])
def test_an_embed_becomes_a_plain_link_to_what_it_embeds(embed: str, link: str) -> None:
    kept, record = _after(embed + "尾", lambda body, record: embeds_to_links(body, BASE, True, record))
    assert kept == link + "尾"
    assert len(record.added) == 1 and ADDED_LABEL.match(record.added[0])


@pytest.mark.parametrize(("player", "page"), [
    ("https://www.youtube.com/embed/CvTAYZcNsFg?&&&enablejsapi=1", "https://www.youtube.com/watch?v=CvTAYZcNsFg"),
    ("https://www.youtube-nocookie.com/embed/T8G2M3nqbT4?list=PLNx&start=90",
     "https://www.youtube.com/watch?v=T8G2M3nqbT4&list=PLNx&t=90s"),
    ("https://www.youtube.com/embed/videoseries?list=PL%26x", "https://www.youtube.com/playlist?list=PL%26x"),
    ("https://www.facebook.com/plugins/video.php?href=https%3A%2F%2Fwww.facebook.com%2FRFAChinese%2Fvideos%2F31%2F"
     "&show_text=0&width=622", "https://www.facebook.com/RFAChinese/videos/31/"),
    ("https://player.vimeo.com/video/123456?h=9", "https://vimeo.com/123456"),
    ("https://chinadigitaltimes.net/chinese/2020/06/%e9%b1%bc/embed/#?secret=yV5PJWD9I0",
     "https://chinadigitaltimes.net/chinese/2020/06/%e9%b1%bc/"),
    # not a player this knows, or not a page it may send readers to: as it is
    ("https://www.facebook.com/plugins/post.php?href=https%3A%2F%2Fevil.example%2Fx",
     "https://www.facebook.com/plugins/post.php?href=https%3A%2F%2Fevil.example%2Fx"),
    ("https://www.youtube.com/embed/", "https://www.youtube.com/embed/"),
    ("https://embed.acast.com/show/episode", "https://embed.acast.com/show/episode"),
    ("https://example.org/embed/", "https://example.org/embed/"),
])
def test_a_player_is_linked_by_the_page_a_reader_opens(player: str, page: str) -> None:
    assert page_of(player) == page
    kept, _ = _after(f'<iframe src="{player.replace("&", "&amp;")}"></iframe>',
                     lambda body, record: embeds_to_links(body, BASE, True, record))
    assert kept.startswith(f'<p><a href="{page.replace("&", "&amp;")}">')


def test_a_wordpress_post_embed_goes_where_its_quoted_link_is_beside_it() -> None:
    post = "https://chinadigitaltimes.net/chinese/2020/06/p/"
    html = (f'<blockquote class="wp-embedded-content" data-secret="s1"><p><a href="{post}">健康码还健康吗</a></p>'
            f'</blockquote><p><iframe class="wp-embedded-content" sandbox="allow-scripts" title="《健康码还健康吗》" '
            f'src="{post}embed/#?secret=s1" data-secret="s1"></iframe></p>')
    kept, record = _after(html, lambda body, record: embeds_to_links(body, BASE, True, record))
    assert kept == (f'<blockquote class="wp-embedded-content" data-secret="s1"><p><a href="{post}">健康码还健康吗</a>'
                    "</p></blockquote><p></p>")
    assert [r.kind for r in record.removed] == ["WordPress post embed (its quoted link stays)"]
    alone, record = _after(html.split("</blockquote>")[1],
                           lambda body, record: embeds_to_links(body, BASE, True, record))
    assert alone == f'<p><p><a href="{post}">Embedded content (chinadigitaltimes.net)</a></p></p>'
    assert not record.removed


def test_an_embed_without_a_source_goes() -> None:
    kept, record = _after("<p>前</p><iframe></iframe>", lambda body, record: embeds_to_links(body, BASE, True, record))
    assert kept == "<p>前</p>" and [r.kind for r in record.removed] == ["embed without a usable source"]


@pytest.mark.parametrize(("html", "expected"), [
    ('<img src="a.jpg"><p class="picinfo">图说</p>', '<figure><img src="a.jpg"><figcaption>图说</figcaption></figure>'),
    ('<div class="wrap"><img src="a.jpg"></div><small>摄影</small>后',
     '<figure><div class="wrap"><img src="a.jpg"></div><figcaption>摄影</figcaption></figure>后'),
    ('<img src="a.jpg"><p>正文段落</p>', '<img src="a.jpg"><p>正文段落</p>'),  # not a caption
    ('<figure><img src="a.jpg"><small>c</small></figure>', '<figure><img src="a.jpg"><small>c</small></figure>'),
])
def test_an_image_followed_by_its_caption_becomes_a_figure(html: str, expected: str) -> None:
    assert _after(html, lambda body, record: captions_to_figures(body))[0] == expected


@pytest.mark.parametrize(("html", "expected"), [
    # CNA's photos: the caption repeats the text alternative word for word
    ('<img src="a.jpg" alt="寒流南下。（中央社檔案照片）"><p class="picinfo">寒流南下。 （中央社檔案照片）</p>',
     '<figure><img src="a.jpg" alt=""><figcaption>寒流南下。 （中央社檔案照片）</figcaption></figure>'),
    ('<figure><img src="a.jpg" alt="示威者"><figcaption>香港示威者，9月1日</figcaption></figure>',
     '<figure><img src="a.jpg" alt=""><figcaption>香港示威者，9月1日</figcaption></figure>'),  # it holds it
    # a text alternative that says more than the caption, or something else, stays
    ('<figure><img src="a.jpg" alt="机场集会的香港示威者"><figcaption>香港示威者</figcaption></figure>',
     '<figure><img src="a.jpg" alt="机场集会的香港示威者"><figcaption>香港示威者</figcaption></figure>'),
    ('<img src="a.jpg" alt="地图"><p class="picinfo">图说</p>',
     '<figure><img src="a.jpg" alt="地图"><figcaption>图说</figcaption></figure>'),
])
def test_a_text_alternative_its_caption_already_holds_is_emptied(html: str, expected: str) -> None:
    assert _after(html, lambda body, record: captions_to_figures(body))[0] == expected
