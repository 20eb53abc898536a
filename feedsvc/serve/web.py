"""Serving the published files over HTTP, and the image proxy's `/img/` URLs. Only this module imports aiohttp's
server (the image proxy's client is `images.fetch`).

Nothing is rendered per request: files are looked up, stat()ed and answered from a small in-memory cache keyed by
their stat, so a conditional request costs one stat. Nothing outside the output directory is ever served.

The server answers for the open internet: a connection that has not sent a whole request within
`request_timeout_seconds` of connecting or of its last response is closed (aiohttp's keep-alive timer, which it
arms when a connection opens, closes a connection whose request is still incomplete when it fires), and at most
`max_connections` are held at once: one more is answered `503` and closed at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from feedsvc.images.proxy import ImageProxy
from feedsvc.output.compress import gzipped
from feedsvc.serve.search import KINDS, SearchPages

log = logging.getLogger(__name__)

CONTENT_TYPES = {
    ".atom": "application/atom+xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".json": "application/feed+json; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
OPENSEARCH_TYPE = "application/opensearchdescription+xml; charset=utf-8"
ARCHIVE_DOCUMENT = re.compile(r"^(?:[a-z-]+/)?archive/.+/(\d{4}-\d{2}(?:-\d{2})?)\.(?:atom|rss|json)$")
"""An RFC 5005 archive document: `[variant/]archive/<feed>/<period>.<format>`."""
IMMUTABLE = "public, max-age=31536000, immutable"
_COMPRESS_FROM = 1024
"""A file published without a .gz sibling (the archive's documents and pages) and larger than this is gzipped on
request."""
HealthProvider = Callable[[], tuple[int, dict[str, object]]]
MetricsProvider = Callable[[], tuple[str, bytes]]
"""(content type, body) of the metrics exposition."""
Observer = Callable[[str, int], None]
"""Told every request's path class and status (the metrics' request counter)."""


def path_class(path: str) -> str:
    """What a request asked for, in a few words: `feed`, `archive`, `page`, `opml`, `health`, `metrics`, `other`."""
    if path in ("/healthz", "/metrics"):
        return path[1:].removesuffix("z")
    if path.startswith("/img/"):
        return "image"
    if path in KINDS:
        return "search"
    relative = path.lstrip("/")
    if ARCHIVE_DOCUMENT.match(relative):
        return "archive"
    extension = os.path.splitext(relative)[1]
    return {".atom": "feed", ".rss": "feed", ".json": "feed", ".html": "page", ".opml": "opml"}.get(
        extension, "page" if relative == "" or relative.endswith("/") else "other")


@dataclass(frozen=True)
class _Cached:
    key: tuple[int, int, int, int]
    body: bytes
    etag: str
    mtime: float


class FileServer:
    """Answers GET and HEAD for the files below `root`, with ETag, Last-Modified, gzip and 304 handling."""

    def __init__(self, root: Path, max_age: int, health: HealthProvider, metrics: MetricsProvider | None = None,
                 observe: Observer | None = None, images: ImageProxy | None = None,
                 search: SearchPages | None = None) -> None:
        self.root = root
        self.images = images
        self.search = search
        self.max_age = max_age
        self.health = health
        self.metrics = metrics
        self.observe = observe
        self._cache: dict[str, _Cached] = {}
        self._newest: dict[Path, tuple[int, str]] = {}

    def cache_control(self, relative: str, path: Path) -> str:
        """Archive documents older than their feed's newest archive period never change (their period's
        boundaries are fixed and the period is over): `immutable`. Everything else: a short max-age."""
        match = ARCHIVE_DOCUMENT.match(relative)
        if match and match.group(1) < self._newest_period(path.parent):
            return IMMUTABLE
        return f"public, max-age={self.max_age}"

    def _newest_period(self, directory: Path) -> str:
        """The newest period published in an archive directory (listed again only when the directory changes)."""
        try:
            mtime = directory.stat().st_mtime_ns
        except OSError:
            return ""
        known = self._newest.get(directory)
        if known is None or known[0] != mtime:
            with os.scandir(directory) as entries:
                names = [e.name.split(".", 1)[0] for e in entries if not e.name.startswith((".", "index."))]
            known = (mtime, max(names, default=""))
            self._newest[directory] = known
        return known[1]

    def _resolve(self, url_path: str) -> Path | None:
        """The file a URL path names (a folder's: its `index.html`, as a web server's index), or None when it is
        outside the root, hidden, a folder without its slash or missing."""
        if "\x00" in url_path or "\\" in url_path:
            return None
        relative = url_path.lstrip("/")
        if relative == "" or relative.endswith("/"):
            relative += "index.html"
        parts = relative.split("/")
        if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
            return None
        try:
            root = self.root.resolve(strict=True)
            target = (root / relative).resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not target.is_relative_to(root) or not target.is_file():
            return None
        return target

    def _load(self, path: Path) -> _Cached | None:
        try:
            info = path.stat()
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        key = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_dev)
        cached = self._cache.get(str(path))
        if cached is not None and cached.key == key:
            return cached
        try:
            body = path.read_bytes()
        except OSError:
            return None
        cached = _Cached(key, body, f'"{hashlib.sha256(body).hexdigest()[:32]}"', info.st_mtime)
        if len(self._cache) > 256:
            self._cache.clear()
        self._cache[str(path)] = cached
        return cached

    def _compressed(self, path: Path, plain: _Cached) -> _Cached:
        """The gzip form of a file published without a sibling, made once per version of the file."""
        key = f"{path}\x00gzip"
        cached = self._cache.get(key)
        if cached is None or cached.key != plain.key:
            body = gzipped(plain.body)
            cached = _Cached(plain.key, body, f'"{hashlib.sha256(body).hexdigest()[:32]}"', plain.mtime)
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[key] = cached
        return cached

    async def handle(self, request: web.Request) -> web.StreamResponse:
        response = await self._answer(request)
        if self.observe is not None:
            self.observe(path_class(request.path), response.status)
        return response

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        if request.path == "/metrics" and self.metrics is not None:
            kind, body = self.metrics()
            return web.Response(body=body, headers={"Content-Type": kind, "Cache-Control": "no-store"})
        if request.path.startswith("/img/") and self.images is not None:
            parts = request.path[len("/img/"):].split("/")
            if len(parts) != 2:
                return web.Response(status=404, text="404: not found\n", headers={"Cache-Control": "no-store"})
            answer = await self.images.answer(parts[0], parts[1], request.headers.get("If-None-Match"))
            return web.Response(status=answer.status, body=answer.body or None, headers=answer.headers)
        if request.path in KINDS:
            search = self.search
            if search is None:
                return web.Response(status=503, text="503: search is turned off here (search = false)\n",
                                    headers={"Cache-Control": "no-store"})
            params = {key: request.query.get(key, "") for key in ("q", "source", "page") if key in request.query}
            found = await asyncio.to_thread(search.answer, request.path, params)
            return web.Response(status=found.status, body=found.body, headers={
                "Content-Type": found.content_type, "Cache-Control": f"public, max-age={self.max_age}"
                if found.status == 200 else "no-store", "X-Content-Type-Options": "nosniff"})
        if request.path == "/healthz":
            status, payload = self.health()
            return web.json_response(payload, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False),
                                     headers={"Cache-Control": "no-store"})
        path = self._resolve(request.path)
        plain = self._load(path) if path else None
        if plain is None or path is None:
            if not request.path.endswith("/") and self._resolve(request.path + "/") is not None:
                # a folder with an index, named without its slash: where its page's relative links work. The
                # Location is relative (its own name and a slash), right behind a proxy that serves under a prefix;
                # quoted, it cannot name another scheme or host.
                folder = quote(request.path.rsplit("/", 1)[-1], safe="")
                return web.Response(status=301, headers={"Location": f"{folder}/", "Cache-Control": "no-store"})
            return web.Response(status=404, text="404: not found\n", headers={"Cache-Control": "no-store"})
        variant, encoding = plain, None
        if _accepts_gzip(request.headers.get("Accept-Encoding", "")):
            packed = self._load(path.with_name(path.name + ".gz"))
            if packed is not None and packed.mtime >= plain.mtime:
                variant, encoding = packed, "gzip"
            elif packed is None and len(plain.body) > _COMPRESS_FROM:  # the archive's files have no sibling
                variant, encoding = self._compressed(path, plain), "gzip"
        headers = {
            "ETag": variant.etag,
            "Last-Modified": formatdate(plain.mtime, usegmt=True),
            "Cache-Control": self.cache_control(request.path.lstrip("/"), path),
            "Vary": "Accept-Encoding",
            "Content-Type": OPENSEARCH_TYPE if path.name == "opensearch.xml" else
            CONTENT_TYPES.get(os.path.splitext(path.name)[1], "application/octet-stream"),
            "X-Content-Type-Options": "nosniff",
        }
        if encoding:
            headers["Content-Encoding"] = encoding
        if _not_modified(request, variant.etag, plain.mtime):
            return web.Response(status=304, headers={k: v for k, v in headers.items() if k != "Content-Type"})
        return web.Response(body=variant.body, headers=headers)


def _accepts_gzip(header: str) -> bool:
    for item in header.split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            q = params.strip()
            return not (q.startswith("q=") and q[2:].strip() in ("0", "0.0", "0.00", "0.000"))
    return False


def _not_modified(request: web.Request, etag: str, mtime: float) -> bool:
    match = request.headers.get("If-None-Match")
    if match is not None:
        tags = [t.strip().removeprefix("W/") for t in match.split(",")]
        return "*" in tags or etag in tags
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            return int(mtime) <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
    return False


def make_app(server: FileServer) -> web.Application:
    app = web.Application(client_max_size=1024)
    app.router.add_get("/{tail:.*}", server.handle, allow_head=True)  # HEAD gets the headers, never a body
    return app


_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n"
         b"Retry-After: 5\r\nConnection: close\r\n\r\n503: server is busy\n")


class _Busy(asyncio.Protocol):
    """A connection over `max_connections`: answered 503 and closed without reading it."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(_BUSY)
        transport.close()


class _CappedSite(web.TCPSite):
    """A TCP site that holds at most `limit` connections."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, limit: int) -> None:
        super().__init__(runner, host, port, backlog=256, reuse_address=True)
        self.limit = limit

    async def start(self) -> None:
        await web.BaseSite.start(self)
        server = self._runner.server
        assert server is not None
        limit = self.limit

        def protocol() -> asyncio.BaseProtocol:
            return _Busy() if len(server.connections) >= limit else server()

        self._server = await asyncio.get_running_loop().create_server(
            protocol, self._host, self._port, backlog=self._backlog, reuse_address=self._reuse_address)


class HttpService:
    """The HTTP server's life cycle inside the daemon's event loop."""

    def __init__(self, server: FileServer, host: str, port: int, *, request_timeout: float = 5.0,
                 max_connections: int = 1000) -> None:
        self.runner = web.AppRunner(make_app(server), access_log=None, handle_signals=False,
                                    keepalive_timeout=request_timeout, shutdown_timeout=2)
        self.host, self.port, self.max_connections = host, port, max_connections

    async def start(self) -> str:
        await self.runner.setup()
        site = _CappedSite(self.runner, self.host, self.port, self.max_connections)
        await site.start()
        addresses = self.runner.addresses
        port = addresses[0][1] if addresses else self.port
        return f"http://{self.host}:{port}/"

    async def stop(self) -> None:
        await self.runner.cleanup()
