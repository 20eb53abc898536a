"""What readers are sent for each image (`images.policy`), feedsvc's signed image URLs (`images.signing`), the
addresses the proxy refuses (`images.addresses`), the image formats it accepts (`images.fetch.sniff`) and the
signing key (`images.key`)."""

from __future__ import annotations

import ipaddress
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedsvc.errors import OutputError
from feedsvc.images.addresses import check_literal, literal, refusal
from feedsvc.images.fetch import sniff
from feedsvc.images.key import KEY_FILE, proxy_key
from feedsvc.images.policy import ImagePolicy, image_policy, srcset_candidates
from feedsvc.images.signing import origin_of, signed_path
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


def test_a_signed_path_names_its_origin_and_nothing_else() -> None:
    path = signed_path(KEY, ORIGIN)
    _, signature, encoded = path.split("/")
    assert origin_of(KEY, signature, encoded) == ORIGIN
    assert origin_of(b"another key" * 4, signature, encoded) is None
    other = signed_path(KEY, "https://evil.example/x.jpg").split("/")[2]
    assert origin_of(KEY, signature, other) is None  # a signature is for one URL
    assert origin_of(KEY, signature[:-1] + ("A" if signature[-1] != "A" else "B"), encoded) is None
    for bad_signature, bad_encoded in [("", encoded), (signature, ""), (signature, "not base64!"),
                                       ("é" * 43, encoded), (signature, encoded + "%2F"), (signature, "_" * 9000)]:
        assert origin_of(KEY, bad_signature, bad_encoded) is None


@given(st.text(min_size=1, max_size=300))
def test_any_url_survives_signing(url: str) -> None:
    _, signature, encoded = signed_path(KEY, url).split("/")
    assert origin_of(KEY, signature, encoded) == url


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.255.0.9", "::1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "fe80::1",
    "fc00::1", "fd12::1", "224.0.0.1", "ff02::1", "0.0.0.0", "::", "100.64.0.1", "192.0.2.1", "198.18.0.1",
    "240.0.0.1", "255.255.255.255", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:a00:1::1",
    "2001:0:4136:e378:8000:63bf:f5ff:fffe"])
def test_every_non_public_address_is_refused(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "0x7f000001", "0x7f.1", "127.1", "0177.0.0.1",
                                  "017700000001", "127.0.0.1.", "[::1]", "[::ffff:127.0.0.1]",
                                  "[0:0:0:0:0:ffff:7f00:1]", "0", "0.0.0.0"])
def test_every_spelling_of_a_loopback_literal_is_refused_before_any_lookup(host: str) -> None:
    assert literal(host.strip("[]")) is not None
    assert check_literal(f"http://{host}:8080/a.png", refusal) is not None


@pytest.mark.parametrize(("url", "reason"), [
    ("ftp://example.com/a.png", "scheme"), ("file:///etc/passwd", "scheme"), ("gopher://x/", "scheme"),
    ("http://user:pw@example.com/a.png", "credentials"), ("http:///a.png", "no host"),
    ("http://example.com:99999/", "not a valid URL")])
def test_urls_the_proxy_never_fetches(url: str, reason: str) -> None:
    problem = check_literal(url, None)
    assert problem is not None and reason in problem


def test_names_are_left_to_the_resolver() -> None:
    assert literal("example.com") is None and literal("1.2.3.4.5") is None
    assert check_literal("https://example.com/a.png", refusal) is None


@pytest.mark.parametrize(("head", "kind"), [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"), (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
    (b"GIF89a\x01\x00", "image/gif"), (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
    (b"\x00\x00\x00\x1cftypavif\x00\x00", "image/avif"), (b"<!DOCTYPE html><html>", None),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>', None), (b"", None), (b"GIF8", None)])
def test_an_image_is_told_by_its_first_bytes(head: bytes, kind: str | None) -> None:
    assert sniff(head) == kind


def test_the_key_is_made_once_and_kept(tmp_path: Path) -> None:
    state = tmp_path / "var"
    assert proxy_key("configured-key-123456", state) == b"configured-key-123456"
    assert not (state / KEY_FILE).exists()
    made = proxy_key("", state)
    assert len(made) == 64 and proxy_key("", state) == made
    assert stat.S_IMODE((state / KEY_FILE).stat().st_mode) == 0o600
    assert [p.name for p in state.iterdir()] == [KEY_FILE]  # no temporary file left


def test_a_check_never_writes_a_key(tmp_path: Path) -> None:
    ephemeral = proxy_key("", tmp_path / "var", create=False)
    assert len(ephemeral) == 64 and not (tmp_path / "var").exists()


def test_a_damaged_key_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_text("short\n")
    with pytest.raises(OutputError, match=f"{KEY_FILE}: not an image proxy key"):
        proxy_key("", tmp_path)
