"""serve.web, end to end: what `feedsvc serve` answers over HTTP (headers, media types, compression, conditional
requests, what it refuses) from a daemon on a free loopback port."""

from __future__ import annotations

import gzip
import json
import os
import re
import time
from pathlib import Path

import pytest

from tests.daemon import Daemon, wait_for

pytestmark = pytest.mark.timeout(120)


def test_feeds_are_served_with_the_right_headers(daemon: Daemon) -> None:
    status, headers, body = daemon.request("/all.atom")
    assert status == 200
    assert headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert re.fullmatch(r'"[0-9a-f]{32}"', headers["etag"])
    assert headers["last-modified"].endswith(" GMT")
    assert headers["cache-control"] == "public, max-age=60"
    assert headers["vary"] == "Accept-Encoding"
    assert body == (daemon.root / "public" / "all.atom").read_bytes()
    assert daemon.request("/feeds.opml")[1]["content-type"] == "text/x-opml; charset=utf-8"
    status, headers, body = daemon.request("/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8" and b"all.atom" in body
    status, headers, body = daemon.request("/sources/dw.atom", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 1000


def test_every_format_is_served_with_its_media_type(daemon: Daemon) -> None:
    for path, media_type in [("/all.rss", "application/rss+xml"), ("/all.json", "application/feed+json"),
                             ("/sources/dw.rss", "application/rss+xml"), ("/feeds-json.opml", "text/x-opml")]:
        status, headers, _ = daemon.request(path)
        assert (status, headers["content-type"]) == (200, f"{media_type}; charset=utf-8"), path
    _, headers, _ = daemon.request("/all.json")
    status, _, body = daemon.request("/all.json", headers={"If-None-Match": headers["etag"]})
    assert (status, body) == (304, b"")


@pytest.mark.parametrize("name", ["2024-05.atom", "2024-05.html", "index.html"])
def test_the_archives_files_are_compressed_on_request(tmp_path: Path, name: str) -> None:
    import asyncio

    from aiohttp.test_utils import make_mocked_request

    from feedsvc.output.listing import precompressed
    from feedsvc.serve.web import FileServer

    folder = tmp_path / "archive" / "all"
    folder.mkdir(parents=True)
    document = ("<feed>" + "<entry>正文</entry>" * 500 + "</feed>").encode()
    (folder / name).write_bytes(document)
    assert not precompressed(f"archive/all/{name}"), "published without a .gz sibling"
    server = FileServer(tmp_path, 60, lambda: (200, {}))

    def get(headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        request = make_mocked_request("GET", f"/archive/all/{name}", headers=headers)
        response = asyncio.run(server.handle(request))
        return response.status, dict(response.headers), bytes(response.body or b"")  # type: ignore[attr-defined]

    status, headers, body = get({"Accept-Encoding": "gzip"})
    assert (status, headers["Content-Encoding"]) == (200, "gzip") and gzip.decompress(body) == document
    again = get({"Accept-Encoding": "gzip", "If-None-Match": headers["ETag"]})
    assert again[0] == 304
    status, plain_headers, body = get({})
    assert body == document and "Content-Encoding" not in plain_headers and plain_headers["ETag"] != headers["ETag"]


def test_closed_archive_periods_are_immutable(tmp_path: Path) -> None:
    from feedsvc.serve.web import IMMUTABLE, FileServer

    server = FileServer(tmp_path, 60, lambda: (200, {}))
    folder = tmp_path / "zh-hant" / "archive" / "sources" / "dw"
    folder.mkdir(parents=True)
    for name in ("2024-04.atom", "2024-05.atom", "2024-05.rss", "2024-05.html", "index.html"):
        (folder / name).write_text("x")

    def control(name: str) -> str:
        return server.cache_control(f"zh-hant/archive/sources/dw/{name}", folder / name)

    assert control("2024-04.atom") == IMMUTABLE
    assert control("2024-05.atom") == control("2024-05.rss") == control("index.html") == "public, max-age=60"
    assert server.cache_control("all.atom", tmp_path / "all.atom") == "public, max-age=60"
    (folder / "2024-06-01.json").write_text("x")  # a new period opens: May is closed now
    os.utime(folder, ns=(1, folder.stat().st_mtime_ns + 1))
    assert control("2024-05.rss") == IMMUTABLE and control("2024-06-01.json") == "public, max-age=60"


def test_a_folder_is_served_by_its_index_page_and_named_without_its_slash_is_redirected(tmp_path: Path) -> None:
    import asyncio

    from aiohttp.test_utils import make_mocked_request

    from feedsvc.serve.web import FileServer, path_class

    server = FileServer(tmp_path, 60, lambda: (200, {}))
    (tmp_path / "zh-hant" / "archive" / "all").mkdir(parents=True)
    (tmp_path / "zh-hant" / "archive" / "all" / "index.html").write_text("<p>歷史</p>")
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "dw.atom").write_text("<feed/>")

    def get(path: str) -> tuple[int, dict[str, str], bytes]:
        response = asyncio.run(server.handle(make_mocked_request("GET", path)))
        return response.status, dict(response.headers), bytes(response.body or b"")  # type: ignore[attr-defined]

    status, headers, body = get("/zh-hant/archive/all/")
    assert (status, body) == (200, "<p>歷史</p>".encode()) and headers["Content-Type"].startswith("text/html")
    assert path_class("/zh-hant/archive/all/") == "page"
    status, headers, _ = get("/zh-hant/archive/all")
    assert (status, headers["Location"]) == (301, "all/")  # relative: right under any prefix a proxy adds
    (tmp_path / "http:").mkdir()
    (tmp_path / "http:" / "index.html").write_text("x")
    assert get("/http:")[1]["Location"] == "http%3A/"  # never read as a scheme
    for path in ("/sources/", "/sources", "/sources/dw.atom/", "/zh-hant//archive/all/", "/zh-hant/../zh-hant/",
                 "/zh-hant/archive/all/index.html/", "/nope", "/.hidden/"):
        assert get(path)[0] == 404, path  # no index: no listing, and nothing but a folder is redirected


def test_conditional_requests_get_304_with_an_empty_body(daemon: Daemon) -> None:
    _, headers, _ = daemon.request("/all.atom")
    status, again, body = daemon.request("/all.atom", headers={"If-None-Match": headers["etag"]})
    assert (status, body) == (304, b"")
    assert again["etag"] == headers["etag"]
    status, _, body = daemon.request("/all.atom", headers={"If-Modified-Since": headers["last-modified"]})
    assert (status, body) == (304, b"")
    assert daemon.request("/all.atom", headers={"If-None-Match": '"other"'})[0] == 200


def test_gzip_is_served_from_the_sibling(daemon: Daemon) -> None:
    plain = daemon.request("/all.atom")[2]
    status, headers, body = daemon.request("/all.atom", headers={"Accept-Encoding": "gzip, deflate"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == plain
    assert "content-encoding" not in daemon.request("/all.atom", headers={"Accept-Encoding": "gzip;q=0"})[1]


@pytest.mark.parametrize("path", [
    "/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/..%2f..%2f..%2fetc/passwd", "/sources/../../../etc/passwd", "/.%2e/.%2e/etc/passwd",
    "/%252e%252e/%252e%252e/etc/passwd", "/..\\..\\etc\\passwd", "/sources/%00.atom", "//etc/passwd",
    "/sources/", "/sources", "/.all.atom.tmp", "/var/cache.sqlite", "/../var/cache.sqlite", "/nope.atom",
])
def test_nothing_outside_public_is_served(daemon: Daemon, path: str) -> None:
    status, _, body = daemon.request(path)
    assert status in (400, 404), (path, status)
    assert b"root:" not in body and b"SQLite" not in body


def test_symlinks_pointing_out_are_not_followed(daemon: Daemon) -> None:
    secret = daemon.root / "secret.txt"
    secret.write_text("top secret")
    link = daemon.root / "public" / "leak.atom"
    link.symlink_to(secret)
    try:
        assert daemon.request("/leak.atom")[0] == 404
    finally:
        link.unlink()


def test_metrics(daemon: Daemon) -> None:
    daemon.request("/all.atom")
    status, headers, body = daemon.request("/metrics")
    text = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/plain; version=")
    assert 'feedsvc_regenerations_total{result="ok"}' in text
    assert 'feedsvc_http_requests_total{path="feed",status="200"}' in text
    assert 'feedsvc_feed_newest_entry_age_seconds{feed="all"}' in text
    assert "process_resident_memory_bytes" in text


def test_healthz(daemon: Daemon) -> None:
    status, headers, body = daemon.request("/healthz")
    assert status == 200 and headers["content-type"].startswith("application/json")
    health = json.loads(body)
    assert health["status"] == "ok" and health["entries"] >= 3 and health["last_error"] is None
    assert set(health["sources"]) >= {"dw", "voa", "rfa"}


def test_oversized_headers_are_refused_and_the_server_stays_up(daemon: Daemon) -> None:
    status, _, _ = daemon.request("/all.atom", headers={"X-Padding": "a" * 100_000})
    assert status in (400, 413, 431)
    assert daemon.request("/all.atom")[0] == 200


def test_slow_clients_do_not_block_others(daemon: Daemon) -> None:
    import socket

    slow = [socket.create_connection(("127.0.0.1", daemon.port), timeout=5) for _ in range(20)]
    try:
        for sock in slow:
            sock.sendall(b"GET /all.atom HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # and never finish
        started = time.monotonic()
        assert daemon.request("/all.atom")[0] == 200
        assert time.monotonic() - started < 2
    finally:
        for sock in slow:
            sock.close()


def test_search_is_served_with_its_opensearch_description(daemon: Daemon) -> None:
    wait_for(lambda: daemon.request("/search?q=%E6%A0%B8")[2].count(b'<li><a href="stories/') == 3, 20,
             "the index, built in the background after the first run")  # 核
    status, headers, body = daemon.request("/search?q=%E6%A0%B8")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert "search index built: 3 stories" in daemon.log_text()
    status, headers, body = daemon.request("/search.atom?q=Mallory")
    assert status == 200 and headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert b"<opensearch:totalResults>2</opensearch:totalResults>" in body
    assert daemon.request("/search.rss?q=%22")[0] == 400
    status, headers, body = daemon.request("/opensearch.xml")
    assert status == 200 and headers["content-type"] == "application/opensearchdescription+xml; charset=utf-8"
    assert b"search?q={searchTerms}" in body
