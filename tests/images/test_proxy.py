"""The image proxy (`images.proxy`, `images.fetch`, `images.store`) against origins started on loopback
addresses: what it fetches, what it refuses without connecting, what it keeps and how it answers."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from feedsvc.images.addresses import Address, refusal
from feedsvc.images.fetch import Fetcher
from feedsvc.images.proxy import IMMUTABLE, Answer, ImageProxy
from feedsvc.images.signing import signed_path
from feedsvc.images.store import ImageStore
from tests.origin import JPEG, PNG, Origin, serving

pytestmark = pytest.mark.timeout(60)
KEY = b"test-key-" * 8


@pytest.fixture
def origin() -> Iterator[Origin]:
    with serving() as running:
        yield running


def _proxy(tmp_path: Path, *, private: bool = True, judge: Callable[[Address], str | None] = refusal,
           max_bytes: int = 10_000, timeout: float = 0.5, retry: float = 600.0, capacity: int = 10_000_000,
           referers: dict[str, str] | None = None, counts: list[str] | None = None) -> ImageProxy:
    fetcher = Fetcher(max_bytes=max_bytes, timeout=timeout, host_fetches=2, private=private, judge=judge,
                      referers=referers)
    return ImageProxy(KEY, ImageStore(tmp_path / "images", capacity), fetcher, retry,
                      counts.append if counts is not None else None)


def _run(proxy: ImageProxy, scenario: Callable[[ImageProxy], Awaitable[None]]) -> None:
    async def main() -> None:
        try:
            await scenario(proxy)
        finally:
            await proxy.fetcher.close()
            proxy.store.close()

    asyncio.run(main())


async def _get(proxy: ImageProxy, url: str, etag: str | None = None) -> Answer:
    _, signature, encoded = signed_path(KEY, url).split("/")
    return await proxy.answer(signature, encoded, etag)


def test_an_image_is_fetched_once_then_served_from_the_cache(tmp_path: Path, origin: Origin) -> None:
    counts: list[str] = []

    async def scenario(proxy: ImageProxy) -> None:
        first = await _get(proxy, origin.url("/a.png"))
        assert (first.status, first.body, first.headers["Content-Type"]) == (200, PNG, "image/png")
        assert first.headers["Cache-Control"] == IMMUTABLE and first.headers["ETag"].startswith('"')
        assert first.headers["X-Content-Type-Options"] == "nosniff"
        again = await _get(proxy, origin.url("/a.png"))
        assert (again.status, again.body, again.headers["ETag"]) == (200, PNG, first.headers["ETag"])
        assert origin.hits("/a.png") == 1
        revalidated = await _get(proxy, origin.url("/a.png"), first.headers["ETag"])
        assert (revalidated.status, revalidated.body) == (304, b"")
        assert origin.hits("/a.png") == 1
        crowd = await asyncio.gather(*(_get(proxy, origin.url("/a.jpg")) for _ in range(10)))
        assert {a.status for a in crowd} == {200} and origin.hits("/a.jpg") == 1  # one fetch for ten readers

    _run(_proxy(tmp_path, counts=counts), scenario)
    assert counts == ["fetched", "fetched"]


def test_the_cache_survives_a_restart(tmp_path: Path, origin: Origin) -> None:
    async def fetch(proxy: ImageProxy) -> None:
        assert (await _get(proxy, origin.url("/a.png"))).status == 200

    _run(_proxy(tmp_path), fetch)
    _run(_proxy(tmp_path), fetch)
    assert origin.hits("/a.png") == 1


def test_unsigned_and_tampered_urls_are_refused_without_a_fetch(tmp_path: Path, origin: Origin) -> None:
    async def scenario(proxy: ImageProxy) -> None:
        _, signature, encoded = signed_path(KEY, origin.url("/a.png")).split("/")
        _, _, other = signed_path(KEY, origin.url("/b.png")).split("/")
        _, forged, _ = signed_path(b"not the key" * 4, origin.url("/a.png")).split("/")
        for sig, enc in [(signature, other), (forged, encoded), ("", encoded), (signature, "x"),
                         (signature[:-2], encoded), (signature, encoded + "AA")]:
            assert (await proxy.answer(sig, enc)).status == 403

    _run(_proxy(tmp_path), scenario)
    assert origin.connections == 0


@pytest.mark.parametrize(("path", "status", "reason"), [
    ("/html.png", 502, "not an image"), ("/page", 502, "not an image"), ("/big.jpg", 502, "image_max_bytes"),
    ("/big-unannounced.jpg", 502, "image_max_bytes"), ("/slow.jpg", 504, "no answer within"),
    ("/missing.png", 404, "answered 404"), ("/loop", 502, "redirects")])
def test_what_is_not_an_image_in_time_and_size_is_refused(tmp_path: Path, origin: Origin, path: str,
                                                          status: int, reason: str,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", "feedsvc.images.proxy")

    async def scenario(proxy: ImageProxy) -> None:
        started = asyncio.get_running_loop().time()
        answer = await _get(proxy, origin.url(path))
        assert answer.status == status and b"<script" not in answer.body
        assert answer.headers["Content-Type"].startswith("text/plain")
        assert asyncio.get_running_loop().time() - started < 2.5
        assert not list((tmp_path / "images" / "blobs").rglob("*"))  # nothing stored

    _run(_proxy(tmp_path), scenario)
    assert reason in caplog.text


def test_a_failure_is_remembered_for_a_while(tmp_path: Path, origin: Origin) -> None:
    now = [1000.0]

    async def scenario(proxy: ImageProxy) -> None:
        proxy.clock = lambda: now[0]
        assert (await _get(proxy, origin.url("/missing.png"))).status == 404
        assert (await _get(proxy, origin.url("/missing.png"))).status == 404
        assert origin.hits("/missing.png") == 1
        now[0] += 601
        assert (await _get(proxy, origin.url("/missing.png"))).status == 404
        assert origin.hits("/missing.png") == 2

    _run(_proxy(tmp_path, retry=600), scenario)


def test_a_redirect_is_followed_and_the_image_type_comes_from_its_bytes(tmp_path: Path, origin: Origin) -> None:
    async def scenario(proxy: ImageProxy) -> None:
        followed = await _get(proxy, origin.url("/redirect"))
        assert (followed.status, followed.body) == (200, JPEG)
        labelled = await _get(proxy, origin.url("/labelled-png.jpg"))
        assert labelled.headers["Content-Type"] == "image/jpeg"

    _run(_proxy(tmp_path), scenario)


def test_no_cookie_and_no_referrer_are_sent_but_a_configured_referer_is(tmp_path: Path, origin: Origin) -> None:
    async def scenario(proxy: ImageProxy) -> None:
        for path in ("/a.png", "/b.png"):
            assert (await _get(proxy, origin.url(path))).status == 200
        proxy.fetcher.referers = {"127.0.0.1": "https://www.example.org/"}
        assert (await _get(proxy, origin.url("/referer.png"))).status == 200

    _run(_proxy(tmp_path), scenario)
    headers = dict(origin.requests)
    assert "cookie" not in headers["/b.png"] and "referer" not in headers["/b.png"]
    assert headers["/referer.png"]["referer"] == "https://www.example.org/"


SPELLINGS = ["127.0.0.1", "localhost", "LocalHost", "2130706433", "0x7f000001", "0x7f.1", "127.1", "0177.0.0.1",
             "017700000001", "127.0.0.1.", "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]",
             "[0:0:0:0:0:ffff:127.0.0.1]", "0.0.0.0", "0", "[::]"]


def test_by_default_every_spelling_of_a_private_address_is_refused_without_a_connection(
        tmp_path: Path, origin: Origin) -> None:
    counts: list[str] = []

    async def scenario(proxy: ImageProxy) -> None:
        for host in SPELLINGS:
            answer = await _get(proxy, f"http://{host}:{origin.port}/a.png")
            assert answer.status == 403, host

    _run(_proxy(tmp_path, private=False, counts=counts), scenario)
    assert origin.connections == 0 and origin.requests == []
    assert counts == ["refused"] * len(SPELLINGS)


def test_a_redirect_to_a_private_address_is_refused_without_a_connection(tmp_path: Path, origin: Origin) -> None:
    """127.0.0.1 stands for the public internet here (the judge lets it alone through); the redirect leads to
    another loopback address, where a second origin listens and must never be reached."""

    def judge(address: Address) -> str | None:
        return None if address == ipaddress.ip_address("127.0.0.1") else refusal(address)

    with serving("127.0.0.2") as inside:
        async def scenario(proxy: ImageProxy) -> None:
            for target in (inside.url("/a.png"), f"http://2130706434:{inside.port}/a.png",
                           f"http://[::ffff:127.0.0.2]:{inside.port}/a.png", "file:///etc/passwd"):
                origin.redirect_to = target
                assert (await _get(proxy, origin.url(f"/redirect-away?{target}"))).status == 403, target

        origin.redirect_to = inside.url("/a.png")
        _run(_proxy(tmp_path, private=False, judge=judge, retry=0), scenario)
        assert inside.connections == 0
    assert origin.hits("/redirect-away") == 4  # each first hop was made


def test_the_cache_keeps_to_its_size_least_recently_used_first(tmp_path: Path, origin: Origin) -> None:
    async def scenario(proxy: ImageProxy) -> None:
        for path in ("/a.png", "/a.jpg"):
            assert (await _get(proxy, origin.url(path))).status == 200
        assert (await _get(proxy, origin.url("/a.png"))).status == 200  # used again: a.jpg is now the oldest
        size_before = proxy.store.total
        assert (await _get(proxy, origin.url("/redirect"))).status == 200  # the same bytes as a.jpg: stored once
        assert proxy.store.total == size_before
        proxy.store.capacity = len(PNG) + 10
        assert (await _get(proxy, origin.url("/c.png"))).status == 200  # same bytes as a.png: a.jpg goes
        assert proxy.store.total <= proxy.store.capacity and proxy.store.evicted == 1
        assert proxy.store.has(origin.url("/a.png")) and not proxy.store.has(origin.url("/a.jpg"))
        assert (await _get(proxy, origin.url("/a.jpg"))).status == 200
        assert origin.hits("/a.jpg") == 3  # itself, behind /redirect, and once more after it was evicted

    _run(_proxy(tmp_path), scenario)
    blobs = [p for p in (tmp_path / "images" / "blobs").rglob("*") if p.is_file()]
    assert all(not p.name.startswith(".") for p in blobs)


def test_an_image_file_gone_from_disk_is_fetched_again(tmp_path: Path, origin: Origin) -> None:
    async def scenario(proxy: ImageProxy) -> None:
        assert (await _get(proxy, origin.url("/a.png"))).status == 200
        for blob in (tmp_path / "images" / "blobs").rglob("*"):
            if blob.is_file():
                blob.unlink()
        answer = await _get(proxy, origin.url("/a.png"))
        assert (answer.status, answer.body) == (200, PNG)

    _run(_proxy(tmp_path), scenario)
    assert origin.hits("/a.png") == 2
