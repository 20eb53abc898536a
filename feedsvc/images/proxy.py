"""The image proxy's answer to `GET /img/<signature>/<origin>`: the image from the cache, fetched from its
origin on the first request (one fetch however many readers ask at once), or why not.

A URL feedsvc did not sign gets 403 and causes no fetch. A cached image is answered with its type, a strong ETag
(its content hash), `304 Not Modified` to a matching `If-None-Match` and a year's immutable `Cache-Control`: the
URL names one origin URL, and what was fetched for it is kept. A failed fetch is remembered for
`image_retry_minutes` and answered from memory, so a dead origin is not asked again by every reader.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from feedsvc.images.fetch import Fetcher, FetchError
from feedsvc.images.signing import origin_of
from feedsvc.images.store import ImageStore, Stored, url_key

log = logging.getLogger(__name__)
IMMUTABLE = "public, max-age=31536000, immutable"
_FAILURES_KEPT = 10_000
_SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox",
                 "Referrer-Policy": "no-referrer"}
"""On every answer: an image is never sniffed as something else, and nothing in it could run as this host."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


def _error(status: int, text: str, retry_seconds: float = 0) -> Answer:
    control = f"public, max-age={int(retry_seconds)}" if retry_seconds >= 1 else "no-store"
    return Answer(status, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": control, **_SAFE_HEADERS},
                  f"{status}: {text}\n".encode())


def _matches(header: str | None, etag: str) -> bool:
    if header is None:
        return False
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or etag in tags


class ImageProxy:
    """Signed image URLs to images, through the cache; used from the daemon's event loop."""

    def __init__(self, key: bytes, store: ImageStore, fetcher: Fetcher, retry_seconds: float,
                 count: Callable[[str], None] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.key, self.store, self.fetcher, self.retry_seconds = key, store, fetcher, retry_seconds
        self.count = count or (lambda result: None)
        self.clock = clock
        self._pending: dict[str, asyncio.Future[Stored]] = {}
        self._failures: OrderedDict[str, tuple[float, FetchError]] = OrderedDict()

    async def answer(self, signature: str, encoded: str, if_none_match: str | None = None) -> Answer:
        origin = origin_of(self.key, signature, encoded)
        if origin is None:
            return _error(403, "not an image URL this server made")
        for _ in range(2):  # a blob gone from disk since it was looked up is fetched again, once
            try:
                stored = await self.ensure(origin)
            except FetchError as exc:
                return _error(exc.status, "the image could not be fetched" if not exc.refused else
                              "the image's address is not one this server fetches from", self.retry_seconds)
            headers = {"ETag": stored.etag, "Cache-Control": IMMUTABLE, **_SAFE_HEADERS}
            if _matches(if_none_match, stored.etag):
                return Answer(304, headers)
            body = self.store.read(stored)
            if body is not None:
                return Answer(200, {**headers, "Content-Type": stored.content_type}, body)
        return _error(502, "the image could not be stored")

    async def ensure(self, origin: str) -> Stored:
        """The cached image of `origin`, fetched now if it is not cached (FetchError when that fails, or failed
        less than `retry_seconds` ago)."""
        stored = self.store.get(origin)
        if stored is not None:
            return stored
        key = url_key(origin)
        failed = self._failures.get(key)
        if failed is not None:
            if failed[0] > self.clock():
                raise failed[1]
            del self._failures[key]
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = asyncio.ensure_future(self._fetch(origin, key))
            pending.add_done_callback(lambda _: self._pending.pop(key, None))
        return await asyncio.shield(pending)

    def cached(self, origin: str) -> bool:
        """Whether `origin` is cached or failed recently (nothing to prefetch)."""
        key = url_key(origin)
        failed = self._failures.get(key)
        return self.store.has(origin) or (failed is not None and failed[0] > self.clock())

    async def _fetch(self, origin: str, key: str) -> Stored:
        try:
            fetched = await self.fetcher.fetch(origin)
        except FetchError as exc:
            self.count("refused" if exc.refused else "failed")
            (log.warning if exc.refused else log.info)("image %s: %s", "refused" if exc.refused else "not fetched",
                                                      exc.reason)
            if self.retry_seconds > 0:
                self._failures[key] = (self.clock() + self.retry_seconds, exc)
                while len(self._failures) > _FAILURES_KEPT:
                    self._failures.popitem(last=False)
            raise
        self.count("fetched")
        return self.store.put(origin, fetched.body, fetched.content_type)
