"""Which addresses the image proxy may fetch from (`images.addresses`): every non-public address refused, in every
spelling, before any lookup."""

from __future__ import annotations

import ipaddress

import pytest

from feedsvc.images.addresses import check_literal, literal, refusal, url_refusal


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


def test_an_address_carrying_an_ipv4_address_is_judged_by_it() -> None:
    assert refusal(ipaddress.ip_address("::ffff:192.168.0.1")) == "a private address (inside ::ffff:c0a8:1)"
    assert refusal(ipaddress.ip_address("::ffff:8.8.8.8")) is None  # a connection to it is one to 8.8.8.8
    nat64 = refusal(ipaddress.ip_address("64:ff9b::7f00:1"))
    assert nat64 is not None and nat64.startswith("a loopback address (inside")
    # on a host with IPv6 only, DNS64 gives every public site such an address: it reaches 8.8.8.8
    assert refusal(ipaddress.ip_address("64:ff9b::808:808")) is None
    local_use = refusal(ipaddress.ip_address("64:ff9b:1::808:808"))  # RFC 8215: a network's own translator
    assert local_use is not None
    assert refusal(ipaddress.ip_address("fe80::1%eth0")) == "a scoped (link-local) address"


def test_without_a_judge_only_the_url_itself_is_checked() -> None:
    assert check_literal("http://127.0.0.1/a.png", None) is None  # `image_private_networks`
    assert url_refusal("https://example.com:0/a.png") == "port 0"
    assert url_refusal("https://example.com/a.png") is None
