"""Keeping the images (`image_prefetch`): after a regeneration, the daemon fetches into the image cache the images
of what it published, so the archive keeps them after their origins delete them.

Which images: the signed URLs in the feed files the regeneration wrote (the first time after the daemon starts,
or after the image policy changed, in every feed file published), read in a thread of their own, so a
regeneration never waits for it. The fetches go through the proxy (`ImageProxy.ensure`: one fetch per image
however many ask, failures remembered), a few at a time (`CONCURRENCY`), beside the readers' own requests.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import re
import threading
from collections.abc import Iterable
from pathlib import Path

from feedsvc.images.fetch import FetchError
from feedsvc.images.proxy import ImageProxy
from feedsvc.images.signing import PREFIX, origin_of

log = logging.getLogger(__name__)
CONCURRENCY = 4
_VARIANT_DIRS = ("zh-hans/", "zh-hant/")
"""The Chinese copies: the same images as the originals."""


def signed_urls_pattern(prefix: str) -> re.Pattern[str]:
    """What every image URL under `prefix` (`base_url`) looks like: (signature, encoded origin)."""
    return re.compile(re.escape(prefix + PREFIX) + r"([A-Za-z0-9_-]{20,})/([A-Za-z0-9_-]+)")


class Prefetcher:
    """Fetches the images of published files in the background; `published` is called by the regeneration's
    thread, the fetches run on the daemon's event loop."""

    def __init__(self, proxy: ImageProxy, loop: asyncio.AbstractEventLoop, output_dir: Path, prefix: str,
                 extension: str) -> None:
        self.proxy, self.loop, self.output_dir, self.extension = proxy, loop, output_dir, extension
        self.signed = signed_urls_pattern(prefix)
        self._jobs: queue.Queue[list[str] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    def published(self, written: Iterable[str], *, everything: bool = False) -> None:
        """Queue the images of the files `written` (relative paths), or of every published feed file."""
        if everything:
            names = sorted(str(p.relative_to(self.output_dir)) for p in self.output_dir.rglob("*" + self.extension))
        else:
            names = list(written)
        names = [n for n in names if n.endswith(self.extension) and not n.startswith(_VARIANT_DIRS)]
        if not names or self._stopped.is_set():
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="image-prefetch", daemon=True)
            self._thread.start()
        self._jobs.put(names)

    def stop(self) -> None:
        self._stopped.set()
        self._jobs.put(None)

    def _work(self) -> None:
        while (names := self._jobs.get()) is not None:
            origins: dict[str, None] = {}
            for name in names:
                try:
                    text = (self.output_dir / name).read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    continue  # replaced or removed since: the next regeneration's files say what is published
                for match in self.signed.finditer(text):
                    origin = origin_of(self.proxy.key, match.group(1), match.group(2))
                    if origin is not None:
                        origins[origin] = None
            if self._stopped.is_set():
                return
            try:
                asyncio.run_coroutine_threadsafe(self.fetch_all(list(origins)), self.loop).result()
            except (RuntimeError, asyncio.CancelledError, TimeoutError):  # the loop is stopping
                return

    async def fetch_all(self, origins: list[str]) -> int:
        """Fetch the images of `origins` not cached yet, `CONCURRENCY` at a time; returns how many were fetched."""
        todo = iter([o for o in origins if not self.proxy.cached(o)])
        fetched = 0

        async def worker() -> None:
            nonlocal fetched
            for origin in todo:
                if self._stopped.is_set():
                    return
                try:
                    await self.proxy.ensure(origin)
                    fetched += 1
                except FetchError:
                    pass  # counted and remembered by the proxy
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        if fetched:
            log.info("prefetched %d image%s", fetched, "" if fetched == 1 else "s")
        return fetched
