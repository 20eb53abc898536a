"""Keeping the images of what was published (`images.prefetch`): the signed URLs of the files written are read
and their images fetched into the cache once, the Chinese copies' and strangers' URLs aside."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from feedsvc.images.fetch import Fetcher
from feedsvc.images.prefetch import Prefetcher, signed_urls_pattern
from feedsvc.images.proxy import ImageProxy
from feedsvc.images.signing import signed_path
from feedsvc.images.store import ImageStore
from tests.daemon import wait_for
from tests.origin import Origin, serving

pytestmark = pytest.mark.timeout(60)
KEY = b"prefetch-key-" * 5
PREFIX = "https://feeds.example.org/"


@pytest.fixture
def origin() -> Iterator[Origin]:
    with serving() as running:
        yield running


def _image(origin: str, key: bytes = KEY) -> str:
    return f'<img src="{PREFIX}{signed_path(key, origin)}">'


def test_the_pattern_finds_every_signed_url_under_base_url_and_nothing_else() -> None:
    text = _image("https://a.example/1.png") + _image("https://a.example/2.png") + \
        f'<img src="https://elsewhere.example/{signed_path(KEY, "https://a.example/3.png")}">'
    assert len(signed_urls_pattern(PREFIX).findall(text)) == 2


def test_the_images_of_the_files_written_are_fetched_once(tmp_path: Path, origin: Origin) -> None:
    output = tmp_path / "public"
    (output / "zh-hans").mkdir(parents=True)
    (output / "all.atom").write_text(_image(origin.url("/a.png")) + _image(origin.url("/a.jpg")) +
                                     _image(origin.url("/b.png"), b"a stranger's key" * 4), encoding="utf-8")
    (output / "zh-hans" / "all.atom").write_text(_image(origin.url("/c.png")), encoding="utf-8")
    (output / "all.json").write_text(_image(origin.url("/c.png")), encoding="utf-8")  # another extension
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    store = ImageStore(tmp_path / "images", 10_000_000)
    fetcher = Fetcher(max_bytes=100_000, timeout=5, host_fetches=2, private=True)
    prefetcher = Prefetcher(ImageProxy(KEY, store, fetcher, 600), loop, output, PREFIX, ".atom")
    try:
        prefetcher.published(["all.atom", "zh-hans/all.atom", "all.json"])
        wait_for(lambda: store.has(origin.url("/a.png")) and store.has(origin.url("/a.jpg")), 20, "the prefetch")
        prefetcher.published([], everything=True)  # every published .atom file: nothing new to fetch
        prefetcher.stop()
        assert prefetcher._thread is not None
        prefetcher._thread.join(20)
        assert origin.hits("/a.png") == origin.hits("/a.jpg") == 1
        assert origin.hits("/b.png") == origin.hits("/c.png") == 0
    finally:
        asyncio.run_coroutine_threadsafe(fetcher.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        store.close()
