"""Triage: which seeds the cache already knows, which are new or changed and must be cleaned, and which must wait.

A seed whose size and mtime are as the last run saw them, and whose outcome is cached, is not read. Any other is
read and hashed (its bytes are dropped at once: it is read again where it is cleaned). A seed that looks half
written, or that changed while it was read, is deferred: the version published before stays until it settles.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Set
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from feedsvc.cache import KnownSeed
from feedsvc.errors import SeedReadError
from feedsvc.model import SeedFile, SeedProblem
from feedsvc.scan import ScanResult, read_seed

INCOMPLETE_GRACE_SECONDS = 30.0
NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"


@dataclass
class Triage:
    """What a run makes of every seed it found. Filled by `triage`, amended by `defer` after cleaning."""

    found: ScanResult
    known: Mapping[str, KnownSeed]
    cached: Set[str]
    """Digests whose outcome under this run's fingerprint is cached."""
    digests: dict[str, str] = field(default_factory=dict)
    """path -> digest of the version to publish."""
    status: dict[str, str] = field(default_factory=dict)
    """path -> NEW, CHANGED or UNCHANGED."""
    todo: dict[str, SeedFile] = field(default_factory=dict)
    """digest -> a seed with that content, to be cleaned (identical copies are cleaned once)."""
    skipped: list[SeedProblem] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)

    def defer(self, path: str, reason: str) -> None:
        """`path` cannot be read now (half written, or changed since it was hashed): report it, and keep the
        version published before, if there is one, until the next run reads it again."""
        self.skipped.append(SeedProblem(path, reason))
        self.deferred.append(path)
        previous = self.known.get(path)
        if previous is not None and previous.digest in self.cached:
            self.digests[path], self.status[path] = previous.digest, UNCHANGED
        else:
            self.digests.pop(path, None)
            self.status.pop(path, None)

    def current(self) -> list[tuple[SeedFile, str]]:
        """(seed, digest) of every seed that is published. A deferred seed keeps the size and mtime of the version
        still published, so the next run reads it again."""
        waiting = set(self.deferred)
        return [(self._as_known(seed) if seed.path in waiting else seed, self.digests[seed.path])
                for seed in self.found.files if seed.path in self.digests]

    def _as_known(self, seed: SeedFile) -> SeedFile:
        previous = self.known[seed.path]
        return replace(seed, size=previous.size, mtime_ns=previous.mtime_ns)

    def count(self, kind: str, bad: Set[str]) -> int:
        return sum(1 for path, k in self.status.items() if k == kind and path not in bad)


def triage(seeds_dir: Path, found: ScanResult, known: Mapping[str, KnownSeed], cached: Set[str], *,
           max_bytes: int, now: datetime, rehash: bool) -> Triage:
    """Sort every seed of `found` (see the module's docstring)."""
    result = Triage(found, known, cached, skipped=list(found.skipped))
    for seed in found.files:
        previous = known.get(seed.path)
        if not rehash and previous is not None and previous.matches(seed) and previous.digest in cached:
            result.digests[seed.path], result.status[seed.path] = previous.digest, UNCHANGED
            continue
        try:
            data = read_seed(seeds_dir, seed, max_bytes)
            check_complete(data, seed, now)
        except SeedReadError as exc:
            if exc.transient:
                result.defer(seed.path, str(exc))
            else:
                result.skipped.append(SeedProblem(seed.path, str(exc)))
            continue
        digest = hashlib.sha256(data).hexdigest()
        del data  # read again where it is cleaned: holding every new seed's bytes would grow with N
        result.digests[seed.path] = digest
        result.status[seed.path] = NEW if previous is None else (CHANGED if previous.digest != digest else UNCHANGED)
        if digest not in cached:
            result.todo.setdefault(digest, seed)
    return result


def check_complete(data: bytes, seed: SeedFile, now: datetime) -> None:
    """Defer a seed that looks half-written: every seed file ends with a newline, so one that does not, and was
    modified moments ago, is most likely still being written. After the grace period it is read as it is."""
    if data.endswith(b"\n"):
        return
    age = (now - seed.modified).total_seconds()
    if abs(age) < INCOMPLETE_GRACE_SECONDS:
        raise SeedReadError(f"does not end with a newline and changed {max(age, 0):.1f} s ago: probably still being "
                            "written; will be read again", transient=True)
