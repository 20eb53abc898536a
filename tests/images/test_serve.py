"""End to end: `feedsvc serve` in `image_mode = "self"` publishes every image at its own signed URL and answers
it from origins started on 127.0.0.1 (private networks allowed for these tests only), keeps the images it
published (`image_prefetch`), and guards its connections."""

from __future__ import annotations

import base64
import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.daemon import Daemon, start, stop, wait_for
from tests.origin import JPEG, PNG, Origin, serving

pytestmark = pytest.mark.timeout(120)
BASE = "http://127.0.0.1:9/feeds/"
"""The published base URL: a sub-folder, as behind a reverse proxy that strips it (requests come to `/img/…`)."""


def _seed(number: int, body: str) -> str:
    return (f"<!--{1_700_000_000_000 + number * 1000}-->\n[图片稿件第{number}号](https://www.dw.com/zh/img/a-{number})\n"
            f"------\n\n{body}\n")


def _env(**extra: str) -> dict[str, str]:
    return {"FEEDSVC_IMAGE_MODE": "self", "FEEDSVC_IMAGE_PRIVATE_NETWORKS": "true", "FEEDSVC_BASE_URL": BASE,
            "FEEDSVC_CHINESE_VARIANTS": "zh-Hans,zh-Hant", "FEEDSVC_REQUEST_TIMEOUT_SECONDS": "1",
            "FEEDSVC_MAX_CONNECTIONS": "8", **extra}


def _write_seeds(seeds: Path, origin: Origin) -> None:
    seeds.mkdir(parents=True, exist_ok=True)
    (seeds / "1.txt").write_text(_seed(1, f'<p>第一段。</p><img src="{origin.url("/a.png")}"><p>图片说明</p>'),
                                 encoding="utf-8")
    (seeds / "2.txt").write_text(_seed(2, f'<p>第二篇。</p><p><img data-src="{origin.url("/a.jpg")}" '
                                          'src="data:image/gif;base64,R0lGOD"></p>'), encoding="utf-8")


@pytest.fixture(scope="module")
def origin() -> Iterator[Origin]:
    with serving() as running:
        yield running


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory, origin: Origin) -> Iterator[Daemon]:
    root = tmp_path_factory.mktemp("images")
    _write_seeds(root / "seeds", origin)
    running = start(root, env_extra=_env())
    yield running
    stop(running)


def _published(daemon: Daemon) -> dict[str, str]:
    public = daemon.root / "public"
    return {str(p.relative_to(public)): p.read_text(encoding="utf-8") for p in public.rglob("*")
            if p.is_file() and p.suffix in (".atom", ".rss", ".json", ".html")}


def _image_paths(text: str) -> set[str]:
    return set(re.findall(re.escape(BASE) + r"(img/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+)", text))


def test_every_image_of_every_format_and_variant_points_at_base_url(daemon: Daemon, origin: Origin) -> None:
    published = _published(daemon)
    with_images = {name for name, text in published.items() if _image_paths(text)}
    for name in ("all.atom", "all.rss", "all.json", "sources/dw.atom", "zh-hans/all.atom", "zh-hant/all.json"):
        assert name in with_images, name
        assert len(_image_paths(published[name])) == 2, name
    assert not [name for name, text in published.items() if f"127.0.0.1:{origin.port}" in text]
    for path in _image_paths(published["all.atom"]):  # each names its origin, signed once
        encoded = path.rsplit("/", 1)[1]
        assert base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode() in \
            (origin.url("/a.png"), origin.url("/a.jpg"))
    item = json.loads(published["all.json"])["items"][0]
    assert BASE + "img/" in item["content_html"]


def test_the_daemon_answers_an_image_from_the_origin_once_then_from_its_cache(daemon: Daemon,
                                                                              origin: Origin) -> None:
    paths = sorted(_image_paths(_published(daemon)["all.atom"]))
    bodies = set()
    for path in paths:
        status, headers, body = daemon.request("/" + path)
        assert status == 200 and headers["cache-control"] == "public, max-age=31536000, immutable"
        assert headers["content-type"] in ("image/png", "image/jpeg")
        bodies.add(body)
        again = daemon.request("/" + path)
        assert (again[0], again[2]) == (200, body)
        revalidated = daemon.request("/" + path, headers={"If-None-Match": headers["etag"]})
        assert (revalidated[0], revalidated[2]) == (304, b"")
    assert bodies == {PNG, JPEG}
    assert origin.hits("/a.png") == 1 and origin.hits("/a.jpg") == 1
    head = daemon.request("/" + paths[0], method="HEAD")
    assert head[0] == 200 and head[2] == b""
    metrics = daemon.request("/metrics")[2].decode()
    assert re.search(r'feedsvc_image_fetches_total\{result="fetched"\} 2\.0', metrics)
    cached = re.search(r"^feedsvc_image_cache_bytes (\S+)$", metrics, re.MULTILINE)
    assert cached is not None and float(cached.group(1)) == len(PNG) + len(JPEG)
    assert re.search(r'feedsvc_http_requests_total\{path="image",status="200"\}', metrics)


def test_urls_the_daemon_did_not_sign_get_403_and_no_fetch(daemon: Daemon, origin: Origin) -> None:
    path = sorted(_image_paths(_published(daemon)["all.atom"]))[0]
    _, signature, encoded = path.split("/")
    before = len(origin.requests)
    tampered = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for candidate in (f"/img/{tampered}/{encoded}", f"/img/x/{encoded}", f"/img/{signature}/aHR0cDovL2V2aWw"):
        assert daemon.request(candidate)[0] == 403
    assert daemon.request(f"/img/{signature}")[0] == 404
    assert len(origin.requests) == before


def test_a_connection_that_never_finishes_its_request_is_closed(daemon: Daemon) -> None:
    with socket.create_connection(("127.0.0.1", daemon.port), timeout=5) as sock:
        sock.sendall(b"GET /all.atom HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < 4:
            try:
                sock.sendall(b"X-Slow: 1\r\n")  # one header line at a time, never the blank line
            except OSError:
                closed = True
                break
            sock.settimeout(0.3)
            try:
                if sock.recv(1024) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
            except OSError:
                closed = True
                break
        assert closed and time.monotonic() - started < 3  # request_timeout_seconds = 1
    assert daemon.request("/all.atom")[0] == 200


def test_connections_beyond_the_cap_get_503(tmp_path: Path, origin: Origin) -> None:
    _write_seeds(tmp_path / "seeds", origin)
    running = start(tmp_path, env_extra=_env(FEEDSVC_MAX_CONNECTIONS="4", FEEDSVC_REQUEST_TIMEOUT_SECONDS="30"))
    held = [socket.create_connection(("127.0.0.1", running.port), timeout=5) for _ in range(4)]

    def refused() -> bool:
        """A whole request on a new connection: 200 until the server has taken the four held ones, then 503."""
        with socket.create_connection(("127.0.0.1", running.port), timeout=5) as probe:
            probe.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return probe.recv(1024).startswith(b"HTTP/1.1 503")

    try:
        wait_for(refused, 10, "a connection over the cap to be refused")
        assert running.process.poll() is None
    finally:
        for sock in held:
            sock.close()
        wait_for(lambda: running.request("/healthz")[0] == 200, 10, "the server to take connections again")
        assert stop(running) == 0


def test_prefetch_keeps_the_images_of_what_was_published(tmp_path: Path) -> None:
    with serving() as origin:
        _write_seeds(tmp_path / "seeds", origin)
        running = start(tmp_path, env_extra=_env(FEEDSVC_IMAGE_PREFETCH="true"))
        try:
            wait_for(lambda: origin.hits("/a.png") == 1 and origin.hits("/a.jpg") == 1, 20, "the prefetch")
            (tmp_path / "seeds" / "3.txt").write_text(
                _seed(3, f'<p>第三篇。</p><img src="{origin.url("/b.png")}">'), encoding="utf-8")
            wait_for(lambda: origin.hits("/b.png") == 1, 20, "the new story's image")
            path = sorted(_image_paths((tmp_path / "public" / "all.atom").read_text(encoding="utf-8")))[0]
            assert running.request("/" + path)[0] == 200
            assert origin.hits("/a.png") == 1 and origin.hits("/a.jpg") == 1  # readers get the kept copies
        finally:
            assert stop(running) == 0
        assert "prefetched" in running.log_text()
