"""Triage: which seeds the cache already knows, which are new or changed and must be cleaned, and which must wait.

A seed whose size and mtime are as the last run saw them, and whose outcome is cached, is not read (nor is one that
filesystem events did not name, in the daemon). Any other is read and hashed, its bytes dropped at once (it is read
again where it is cleaned): its digest may name an outcome cached already (a copy, a seed moved or touched). When
no outcome is cached under the run's rules (a first run, or new rules) no digest can spare any work, so a new or
changed seed is not read here at all: it is read once, where it is cleaned, and hashed there (`Triage.unhashed`).
A seed that looks half written, or that changed while it was read, is deferred: the version published before stays
until it settles.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from feedsvc.errors import SeedReadError
from feedsvc.ingest.decode import looks_binary
from feedsvc.ingest.scan import ScanResult, read_seed
from feedsvc.model import KnownSeed, SeedFile, SeedProblem
from feedsvc.system.readahead import read_ahead

INCOMPLETE_GRACE_SECONDS = 30.0
NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"


@dataclass
class Triage:
    """What a run makes of the seeds it looked at. Filled by `triage`, amended by `defer` after cleaning. A seed
    not looked at (unchanged, or not named by events) keeps the version the last run published."""

    known: Mapping[str, KnownSeed]
    """What the last run published."""
    cached: Set[str]
    """Digests whose outcome under this run's fingerprint is cached."""
    found: int = 0
    """Seeds found."""
    read: dict[str, tuple[SeedFile, str]] = field(default_factory=dict)
    """path -> (seed, digest) of every seed read this run whose version is to be published."""
    status: dict[str, str] = field(default_factory=dict)
    """path -> NEW, CHANGED or UNCHANGED, for the seeds read."""
    gone: set[str] = field(default_factory=set)
    """Seeds published before and not any more (removed, or unreadable)."""
    todo: dict[str, SeedFile] = field(default_factory=dict)
    """digest -> a seed with that content, to be cleaned (identical copies are cleaned once)."""
    unhashed: dict[str, SeedFile] = field(default_factory=dict)
    """path -> a new or changed seed to be cleaned, not read yet: hashed where it is cleaned (`hashed`), or found
    unreadable there (`unreadable`, `defer`)."""
    skipped: list[SeedProblem] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)

    def defer(self, path: str, reason: str) -> None:
        """`path` cannot be read now (half written, or changed since it was hashed): report it, and keep the
        version published before, if there is one, until a later run reads it again."""
        self.skipped.append(SeedProblem(path, reason))
        self.deferred.append(path)
        self.read.pop(path, None)
        self.status.pop(path, None)
        previous = self.known.get(path)
        if previous is not None and previous.digest not in self.cached:
            self.gone.add(path)

    def hashed(self, path: str, digest: str) -> None:
        """The seed of `unhashed` at `path` was read and cleaned, its content hashed as `digest`."""
        self.read[path] = (self.unhashed[path], digest)
        self.status[path] = _status(self.known.get(path), digest)

    def unreadable(self, path: str, reason: str) -> None:
        """`path` cannot be read (and waiting will not help): report it, and unpublish the version published
        before, if there is one."""
        self.skipped.append(SeedProblem(path, reason))
        if path in self.known:
            self.gone.add(path)

    def retry(self) -> set[str]:
        """Seeds to read again next run, whatever events say: deferred, or unreadable this time."""
        return {*self.deferred, *(p.path for p in self.skipped)}


def triage(seeds_dir: Path, found: ScanResult, known: Mapping[str, KnownSeed], cached: Set[str], *,
           max_bytes: int, now: datetime, rehash: bool, only: Set[str] | None = None) -> Triage:
    """Sort the seeds of `found` (see the module's docstring): all of them, or `only` those paths (the others are
    as the last run published them)."""
    result = Triage(known, cached, len(found.files), skipped=list(found.skipped))
    if only is None:
        result.gone = {path for path in known if path not in found.files}
        # in path order, so that which of two identical copies is read first never depends on the file system
        candidates: Iterable[SeedFile] = [found.files[path] for path in sorted(found.files)]
    else:
        result.gone = {path for path in only if path in known and path not in found.files}
        candidates = [found.files[path] for path in sorted(only) if path in found.files]
    to_read: list[SeedFile] = []
    for seed in candidates:
        previous = known.get(seed.path)
        same = not rehash and previous is not None and previous.matches(seed)
        if same and previous is not None and previous.digest in cached:
            continue
        if not cached:  # nothing to find by digest: the seed is read once, where it is cleaned
            if same and previous is not None:  # new rules: known content, checked against its digest there
                result.read[seed.path] = (seed, previous.digest)
                result.status[seed.path] = UNCHANGED
                result.todo.setdefault(previous.digest, seed)
            else:
                result.unhashed[seed.path] = seed
            continue
        to_read.append(seed)
    ahead = read_ahead(to_read, lambda seed: seeds_dir / seed.path)  # a burst waits on the disk less
    with contextlib.closing(ahead):
        for seed in ahead:
            try:
                data = read_seed(seeds_dir, seed, max_bytes)
                check_complete(data, seed, now)
            except SeedReadError as exc:
                if exc.transient:
                    result.defer(seed.path, str(exc))
                else:
                    result.unreadable(seed.path, str(exc))
                continue
            digest = hashlib.sha256(data).hexdigest()
            del data  # read again where it is cleaned: holding every new seed's bytes would grow with N
            result.read[seed.path] = (seed, digest)
            result.status[seed.path] = _status(known.get(seed.path), digest)
            if digest not in cached:
                result.todo.setdefault(digest, seed)
    return result


def _status(previous: KnownSeed | None, digest: str) -> str:
    return NEW if previous is None else (CHANGED if previous.digest != digest else UNCHANGED)


def check_complete(data: bytes, seed: SeedFile, now: datetime) -> None:
    """Defer a seed that looks half-written: every seed file ends with a newline, so one that does not, and was
    modified moments ago, is most likely still being written. After the grace period it is read as it is. A binary
    file (NUL bytes) is no seed however complete: it is read at once, and the parser says so."""
    if data.endswith(b"\n") or looks_binary(data):
        return
    age = (now - seed.modified).total_seconds()
    if abs(age) < INCOMPLETE_GRACE_SECONDS:
        raise SeedReadError(f"does not end with a newline and changed {max(age, 0):.1f} s ago: probably still being "
                            "written; will be read again", transient=True)
