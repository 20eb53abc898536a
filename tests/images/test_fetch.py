"""Fetching an image (`images.fetch`): what is taken for an image is told by its first bytes, never by the
origin's `Content-Type` (the fetcher against real origins: `test_proxy.py`)."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from feedsvc.images.addresses import refusal
from feedsvc.images.fetch import CheckedResolver, RefusedAddressError, _referer, sniff


@pytest.mark.parametrize(("head", "kind"), [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"), (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
    (b"GIF89a\x01\x00", "image/gif"), (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
    (b"\x00\x00\x00\x1cftypavif\x00\x00", "image/avif"), (b"<!DOCTYPE html><html>", None),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>', None), (b"", None), (b"GIF8", None)])
def test_an_image_is_told_by_its_first_bytes(head: bytes, kind: str | None) -> None:
    assert sniff(head) == kind


def test_a_name_that_resolves_to_a_refused_address_is_refused_whole() -> None:
    async def resolve(judge: CheckedResolver) -> list[str]:
        return [found["host"] for found in await judge.resolve("localhost", 80)]

    with pytest.raises(RefusedAddressError, match=r"localhost resolves to \S+: a loopback address"):
        asyncio.run(resolve(CheckedResolver(refusal)))
    unjudged = asyncio.run(resolve(CheckedResolver(None)))  # `image_private_networks`
    assert any(ipaddress.ip_address(address).is_loopback for address in unjudged)
    seen: list[str] = []

    def judge(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
        seen.append(str(address))

    asyncio.run(resolve(CheckedResolver(judge)))
    assert seen and all(ipaddress.ip_address(address).is_loopback for address in seen)


def test_a_configured_referer_is_sent_to_its_host_and_its_subdomains_only() -> None:
    referers = {"dw.com": "https://www.dw.com/"}
    assert _referer(referers, "dw.com") == _referer(referers, "static.dw.com") == "https://www.dw.com/"
    assert _referer(referers, "notdw.com") is None and _referer(referers, "dw.com.evil.example") is None
