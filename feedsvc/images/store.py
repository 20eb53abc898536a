"""The image proxy's cache on disk, in the state directory: each image stored once by the SHA-256 of its bytes
(`images/blobs/ab/abcd…`), an index (`images/index.sqlite`) from each origin URL to its image and type, and the
whole kept under `image_cache_mb`, the least recently used images removed first.

The index is read into memory when the daemon starts, so a cached image costs a dictionary lookup and a file
read; when each image was last used is written back in batches (`FLUSH_SECONDS`), so the order survives a
restart to within that. A blob is written to a temporary name and renamed, so a crash never leaves half an image
under a real name; a blob that went missing is a miss, fetched again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

FLUSH_SECONDS = 60.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS blobs (sha TEXT PRIMARY KEY, size INTEGER NOT NULL, used REAL NOT NULL);
CREATE TABLE IF NOT EXISTS urls (url TEXT PRIMARY KEY, sha TEXT NOT NULL, type TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS urls_by_sha ON urls (sha);
"""


def url_key(origin: str) -> str:
    return hashlib.sha256(origin.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Stored:
    """A cached image: its content hash (the ETag), type and size."""

    sha: str
    content_type: str
    size: int

    @property
    def etag(self) -> str:
        return f'"{self.sha[:40]}"'


class ImageStore:
    """The cache; used from one thread (the daemon's event loop)."""

    def __init__(self, directory: Path, capacity_bytes: int) -> None:
        self.directory = directory
        self.capacity = capacity_bytes
        self.blobs_dir = directory / "blobs"
        self.blobs_dir.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(directory / "index.sqlite", isolation_level=None, check_same_thread=False)
        self._db.executescript(_SCHEMA)
        self._urls: dict[str, tuple[str, str]] = {
            url: (sha, kind) for url, sha, kind in self._db.execute("SELECT url, sha, type FROM urls")}
        self._by_sha: dict[str, set[str]] = {}
        for url, (sha, _) in self._urls.items():
            self._by_sha.setdefault(sha, set()).add(url)
        self._sizes: OrderedDict[str, int] = OrderedDict(
            (sha, size) for sha, size in self._db.execute("SELECT sha, size FROM blobs ORDER BY used, sha"))
        self.total = sum(self._sizes.values())
        self._used: dict[str, float] = {}
        self._flushed = time.monotonic()
        self.evicted = 0

    def path(self, sha: str) -> Path:
        return self.blobs_dir / sha[:2] / sha

    def get(self, origin: str) -> Stored | None:
        """The cached image of `origin` (marked as just used), or None."""
        found = self._urls.get(url_key(origin))
        if found is None:
            return None
        sha, kind = found
        size = self._sizes.get(sha)
        if size is None:
            return None
        self._sizes.move_to_end(sha)
        self._used[sha] = time.time()
        if time.monotonic() - self._flushed > FLUSH_SECONDS:
            self.flush()
        return Stored(sha, kind, size)

    def has(self, origin: str) -> bool:
        """Whether `origin` is cached (without marking it used)."""
        found = self._urls.get(url_key(origin))
        return found is not None and found[0] in self._sizes

    def read(self, stored: Stored) -> bytes | None:
        """The bytes of a cached image; None (and forgotten) when its file is gone."""
        try:
            return self.path(stored.sha).read_bytes()
        except OSError:
            self._forget_blob(stored.sha)
            return None

    def put(self, origin: str, body: bytes, content_type: str) -> Stored:
        """Store `body` as the image of `origin`, then evict the least recently used images beyond the cap."""
        sha = hashlib.sha256(body).hexdigest()
        path = self.path(sha)
        if sha not in self._sizes or not path.exists():
            path.parent.mkdir(exist_ok=True)
            temporary = path.with_name(f".{sha}.{os.getpid()}.tmp")
            try:
                temporary.write_bytes(body)
                os.replace(temporary, path)
            finally:
                temporary.unlink(missing_ok=True)
            if sha not in self._sizes:
                self.total += len(body)
            self._sizes[sha] = len(body)
        self._sizes.move_to_end(sha)
        now = time.time()
        key = url_key(origin)
        previous = self._urls.get(key)
        if previous is not None and previous[0] != sha:
            self._by_sha.get(previous[0], set()).discard(key)
        self._urls[key] = (sha, content_type)
        self._by_sha.setdefault(sha, set()).add(key)
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO blobs VALUES (?, ?, ?)", (sha, len(body), now))
            self._db.execute("INSERT OR REPLACE INTO urls VALUES (?, ?, ?)", (key, sha, content_type))
        self._evict(keep=sha)
        return Stored(sha, content_type, len(body))

    def _evict(self, keep: str) -> None:
        while self.total > self.capacity and len(self._sizes) > 1:
            sha = next(iter(self._sizes))
            if sha == keep:
                self._sizes.move_to_end(sha)
                continue
            self._forget_blob(sha)
            self.evicted += 1

    def _forget_blob(self, sha: str) -> None:
        size = self._sizes.pop(sha, None)
        if size is not None:
            self.total -= size
        self._used.pop(sha, None)
        for key in self._by_sha.pop(sha, ()):
            self._urls.pop(key, None)
        with self._db:
            self._db.execute("DELETE FROM urls WHERE sha = ?", (sha,))
            self._db.execute("DELETE FROM blobs WHERE sha = ?", (sha,))
        with contextlib.suppress(OSError):
            self.path(sha).unlink()

    def flush(self) -> None:
        """Write when each image was last used."""
        if self._used:
            with self._db:
                self._db.executemany("UPDATE blobs SET used = ? WHERE sha = ?",
                                     [(used, sha) for sha, used in self._used.items()])
            self._used.clear()
        self._flushed = time.monotonic()

    def close(self) -> None:
        self.flush()
        self._db.close()
