"""What readers are sent for each image (`images.policy`): each mode's URL, in `src` and `srcset`, escaped as the
attribute was, and the policy the settings choose."""

from __future__ import annotations

import pytest

from feedsvc.images.policy import ImagePolicy, image_policy, srcset_candidates
from feedsvc.images.signing import origin_of
from feedsvc.settings import Settings

KEY = b"k" * 64
PROXIED = "https://images.weserv.nl/?url=static.dw.com/image/1_303.jpg"
ORIGIN = "https://static.dw.com/image/1_303.jpg"


def _img(src: str) -> bytes:
    return f'<p>前</p><figure><img src="{src}" alt="图"><figcaption>说明</figcaption></figure>'.encode()


@pytest.mark.parametrize(("policy", "expected"), [
    (ImagePolicy(), ORIGIN),
    (ImagePolicy("keep"), PROXIED),
    (ImagePolicy("template", template="https://img.example.org/?url={url}"),
     "https://img.example.org/?url=https%3A%2F%2Fstatic.dw.com%2Fimage%2F1_303.jpg"),
    (ImagePolicy(proxied=frozenset({"dw"})), PROXIED),  # the source keeps the proxy
    (ImagePolicy(proxied=frozenset({"*"})), PROXIED),
])
def test_each_mode_publishes_its_url(policy: ImagePolicy, expected: str) -> None:
    assert policy.rewrite(_img(PROXIED), "dw") == _img(expected.replace("&", "&amp;"))


def test_self_mode_signs_the_origin_url_under_base_url() -> None:
    policy = ImagePolicy("self", prefix="https://feeds.example.org/", key=KEY)
    html = policy.rewrite(_img(PROXIED), "dw").decode()
    url = html.split('src="', 1)[1].split('"', 1)[0]
    assert url.startswith("https://feeds.example.org/img/")
    signature, encoded = url.removeprefix("https://feeds.example.org/img/").split("/")
    assert origin_of(KEY, signature, encoded) == ORIGIN


def test_rewriting_keeps_everything_else_and_returns_the_same_object_when_nothing_changes() -> None:
    html = _img(ORIGIN)
    assert ImagePolicy().rewrite(html, "dw") is html
    no_images = b"<p>text with img in it: &lt;img src=x&gt;</p>"
    assert ImagePolicy("self", prefix="https://x.example/", key=KEY).rewrite(no_images, "dw") is no_images
    both = b'<p><a href="https://a.example/?q=1&amp;r=2">link</a><img alt="src=&quot;x&quot;" src="' + \
        PROXIED.encode() + b'" width="10"></p>'
    assert ImagePolicy().rewrite(both, "dw") == both.replace(PROXIED.encode(), ORIGIN.encode())


def test_escaped_attribute_values_are_read_and_written_escaped() -> None:
    seed = "https://images.weserv.nl/?url=cdn.example/a.jpg%3Fw%3D1%26h%3D2"
    html = f'<img src="{seed}">'.encode()
    published = ImagePolicy().rewrite(html, "x").decode()
    assert published == '<img src="https://cdn.example/a.jpg?w=1&amp;h=2">'
    template = ImagePolicy("template", template="https://t.example/i?u={url}&w=600")
    assert template.rewrite(b'<img src="https://cdn.example/a.jpg?w=1&amp;h=2">', "x") == \
        b'<img src="https://t.example/i?u=https%3A%2F%2Fcdn.example%2Fa.jpg%3Fw%3D1%26h%3D2&amp;w=600">'


def test_srcset_candidates_are_each_rewritten() -> None:
    assert srcset_candidates("a.jpg 1x, https://x/c_fill,w_3.jpg 300w,b.jpg") == [
        ("a.jpg", "1x"), ("https://x/c_fill,w_3.jpg", "300w"), ("b.jpg", "")]
    html = b'<img src="https://images.weserv.nl/?url=a.example/1.jpg" srcset="https://images.weserv.nl/?url=' \
        b'a.example/1.jpg 1x, https://images.weserv.nl/?url=a.example/2.jpg 2x">'
    assert ImagePolicy().rewrite(html, "x") == \
        b'<img src="https://a.example/1.jpg" srcset="https://a.example/1.jpg 1x, https://a.example/2.jpg 2x">'


def test_unwrapped_urls_are_valid_uris() -> None:
    html = '<img src="https://images.weserv.nl/?url=cdn.example/%E5%9B%BE%20片.jpg">'.encode()
    assert ImagePolicy().rewrite(html, "x") == b'<img src="https://cdn.example/%E5%9B%BE%20%E7%89%87.jpg">'


def test_the_settings_choose_the_policy(base_settings: Settings) -> None:
    from dataclasses import replace

    assert image_policy(base_settings) == ImagePolicy()
    keeps = replace(base_settings, unwrap_image_proxy=False)
    assert image_policy(keeps).proxied == frozenset({"*"})
    own = image_policy(replace(base_settings, image_mode="self", base_url="https://f.example/sub"), KEY)
    assert (own.mode, own.prefix, own.key) == ("self", "https://f.example/sub/", KEY)
    assert own.identity != image_policy(replace(base_settings, image_mode="self"), b"j" * 64).identity
    assert KEY.decode() not in repr(own.identity)
