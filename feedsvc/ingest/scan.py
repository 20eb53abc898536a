"""The seeds directory: which files are candidate seeds, and reading one safely. Touches the disk; nothing else."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from feedsvc.errors import SeedReadError, SeedsUnavailableError
from feedsvc.model import SeedFile, SeedProblem

_EDITOR_SUFFIXES = ("~", ".swp", ".swo", ".swx", ".tmp", ".part", ".partial", ".crdownload", ".bak", ".orig")
MAX_DEPTH = 32
CHANGED_WHILE_READ = "changed while being read (still being written?); will be read again"


def display_path(path: str) -> str:
    """A path safe to print on one line: control characters escaped, undecodable bytes shown as escapes."""
    text = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii") for ch in text)


def seed_mark(seed: SeedFile) -> int:
    """A 64-bit hash of a seed's path, size and mtime. The XOR of every seed's mark (`ScanResult.summary`) tells
    whether a seed set changed, and is kept up to date one seed at a time (`SeedTree`)."""
    text = f"{seed.path}\x00{seed.size}\x00{seed.mtime_ns}".encode("utf-8", "surrogateescape")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


@dataclass(frozen=True)
class ScanResult:
    files: Mapping[str, SeedFile]
    """Path -> seed, for every candidate seed, in the order found (not sorted: a run that finds every seed as
    the last one left it never needs them in order)."""
    skipped: tuple[SeedProblem, ...]
    directories: tuple[tuple[str, int], ...] = ()
    """(relative path, mtime_ns) of every directory walked, taken before it was listed."""
    summary: int = 0
    """The XOR of every seed's `seed_mark`."""
    changed: frozenset[str] | None = None
    """The paths that may differ from the last completed run (filesystem events named them, `SeedTree`); None:
    any may."""
    newest: int = 0
    """The newest mtime_ns of any seed (0: none, or not taken)."""


def _skip_reason(name: str) -> str | None:
    if name.startswith("."):
        return "hidden file"
    if name.endswith(_EDITOR_SUFFIXES) or name.startswith(".#") or (name.startswith("#") and name.endswith("#")):
        return "editor or partial file"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "file name is not valid UTF-8 (rename the file)"
    return None


def _root(seeds_dir: Path) -> Path:
    try:
        root = seeds_dir.resolve(strict=True)
        if not root.is_dir():
            raise SeedsUnavailableError(f"{seeds_dir}: seeds directory is not a directory")
    except (OSError, RuntimeError) as exc:
        raise SeedsUnavailableError(f"{seeds_dir}: seeds directory cannot be read: {exc}") from None
    return root


_DIRECTORY = "directory"


def _examine(root: Path, path: str, name: str, relative: str, info: os.stat_result,
             ) -> SeedFile | SeedProblem | str | None:
    """What the entry at `path` (named `name`; `info`: its lstat) is: a seed, a problem, `_DIRECTORY` (to walk),
    or None (a linked directory inside the tree, walked through its real path already). A path is made a `Path`
    only for a symbolic link: 100,000 of them would cost a second."""
    try:
        if stat.S_ISLNK(info.st_mode):
            target = Path(path).resolve(strict=True)
            if not target.is_relative_to(root):
                return SeedProblem(display_path(relative),
                                   "symbolic link pointing outside the seeds directory (not followed)")
            if target.is_dir():
                return None
            info = target.stat()
    except (OSError, RuntimeError) as exc:
        return SeedProblem(display_path(relative), f"cannot be read: {exc}")
    if stat.S_ISDIR(info.st_mode):
        return _DIRECTORY
    reason = _skip_reason(name)
    if reason is None and not stat.S_ISREG(info.st_mode):
        reason = "not a regular file (FIFO, socket or device): never opened"
    if reason is None and info.st_size == 0:
        reason = "empty file"
    if reason:
        return SeedProblem(display_path(relative), reason)
    return SeedFile(relative, info.st_size, info.st_mtime_ns)


class _Walked:
    """What a walk found: seeds by path (in the order found), problems by path, every directory walked, and
    the seeds' summary and newest mtime, taken as each seed is found (a second pass over 100,000 seeds costs
    more than the first: they no longer fit in the processor's caches)."""

    def __init__(self) -> None:
        self.files: dict[str, SeedFile] = {}
        self.skipped: dict[str, SeedProblem] = {}
        self.directories: list[tuple[str, int]] = []
        self.summary = 0
        self.newest = 0


def _walk(root: Path, start: Path, prefix: str, depth: int, walked: _Walked) -> None:
    """Every entry below `start` (`prefix`: its relative path with a trailing `/`, or empty for the root)."""
    pending: list[tuple[Path, str, int]] = [(start, prefix, depth)]
    skipped, files, summary, newest = walked.skipped, walked.files, walked.summary, walked.newest
    blake2b, from_bytes, is_regular = hashlib.blake2b, int.from_bytes, stat.S_ISREG
    while pending:
        directory, prefix, depth = pending.pop()
        try:
            walked.directories.append((prefix, os.stat(directory).st_mtime_ns))
            entries = list(os.scandir(directory))
        except OSError as exc:
            if directory == root:
                raise SeedsUnavailableError(f"{directory}: seeds directory cannot be read: {exc}") from None
            relative = display_path(prefix.rstrip("/"))
            skipped[relative] = SeedProblem(relative, f"directory cannot be read: {exc.strerror}")
            continue
        for entry in entries:
            name = entry.name
            relative = prefix + name
            if name.startswith(".") and entry.is_dir(follow_symlinks=False):
                continue  # .git and the like: not walked, not worth a line per file
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError as exc:
                skipped[relative] = SeedProblem(display_path(relative), f"cannot be read: {exc}")
                continue
            if is_regular(info.st_mode) and info.st_size and name[0] not in ".#" and name.isascii() and \
                    not name.endswith(_EDITOR_SUFFIXES):  # the common case, made short (else `_examine` says)
                size, mtime = info.st_size, info.st_mtime_ns
            else:
                found = _examine(root, entry.path, name, relative, info)
                if found is _DIRECTORY:
                    if depth < MAX_DEPTH:
                        pending.append((Path(entry.path), relative + "/", depth + 1))
                    continue
                if isinstance(found, SeedProblem):
                    skipped[found.path] = found
                if not isinstance(found, SeedFile):
                    continue
                size, mtime = found.size, found.mtime_ns
            files[relative] = SeedFile(relative, size, mtime)
            # `seed_mark`, written out (a call per seed cost 5 ms of a 0.21 s warm command at 10,000 seeds);
            # tests/ingest/test_scan.py holds the summary equal to the XOR of `seed_mark`
            summary ^= from_bytes(blake2b(f"{relative}\x00{size}\x00{mtime}".encode("utf-8", "surrogateescape"),
                                          digest_size=8).digest(), "big")
            newest = max(newest, mtime)
    walked.summary, walked.newest = summary, newest


def scan(seeds_dir: Path) -> ScanResult:
    """Every candidate seed below `seeds_dir` (recursively), by path, and what was passed over and why.

    Symbolic links are followed only when they stay inside the directory; FIFOs, devices and sockets are never
    opened. Hidden files, editor and partial files are reported with their reason; hidden directories (`.git`)
    are not walked.
    """
    root = _root(seeds_dir)
    walked = _Walked()
    _walk(root, root, "", 0, walked)
    return ScanResult(walked.files, tuple(sorted(walked.skipped.values(), key=lambda p: p.path)),
                      tuple(sorted(walked.directories)), walked.summary, newest=walked.newest)


class SeedTree:
    """The seeds directory as last seen, brought up to date one path at a time: what filesystem events name is
    stat-ed again (a directory is walked), nothing else. `refresh` gives the same result a full `scan` would,
    provided the events named every path that changed."""

    def __init__(self, seeds_dir: Path) -> None:
        self.seeds_dir = seeds_dir
        found = scan(seeds_dir)
        self._root = _root(seeds_dir)
        self._files = dict(found.files)
        self._skipped = {p.path: p for p in found.skipped}
        self._summary = found.summary
        self._directories = {path.rstrip("/") for path, _ in found.directories}
        self.full = found

    def refresh(self, paths: Iterable[str]) -> ScanResult:
        """The seeds now, after looking again at `paths` (relative to the seeds directory)."""
        changed: set[str] = set()
        for relative in sorted(set(paths)):
            if not relative or any(part.startswith(".") for part in relative.split("/")[:-1]) or \
                    relative.count("/") > MAX_DEPTH:
                continue  # the root itself, or inside a hidden directory: never a seed
            changed |= self._forget(relative)
            path = self._root / relative
            try:
                info = os.lstat(path)
            except OSError:
                continue  # gone
            found = _examine(self._root, str(path), path.name, relative, info)
            if found is _DIRECTORY:
                if not path.name.startswith("."):
                    walked = _Walked()
                    _walk(self._root, path, relative + "/", relative.count("/") + 1, walked)
                    self._directories.update(path.rstrip("/") for path, _ in walked.directories)
                    for seed in walked.files.values():
                        self._add(seed)
                    self._skipped.update(walked.skipped)
                    changed |= walked.files.keys()
            elif isinstance(found, SeedFile):
                self._add(found)
                changed.add(relative)
            elif isinstance(found, SeedProblem):
                self._skipped[found.path] = found
        return ScanResult(self._files, tuple(sorted(self._skipped.values(), key=lambda p: p.path)), (),
                          self._summary, frozenset(changed))

    def _add(self, seed: SeedFile) -> None:
        self._files[seed.path] = seed
        self._summary ^= seed_mark(seed)

    def _forget(self, relative: str) -> set[str]:
        """Drop what was known at `relative` and, if it was a directory, below it; returns the seeds dropped."""
        gone = set()
        seed = self._files.pop(relative, None)
        if seed is not None:
            self._summary ^= seed_mark(seed)
            gone.add(relative)
        self._skipped.pop(relative, None)
        if relative in self._directories:  # a directory gone, moved or replaced: everything below it
            below = relative + "/"
            self._directories = {d for d in self._directories if d != relative and not d.startswith(below)}
            for path in [p for p in self._files if p.startswith(below)]:
                self._summary ^= seed_mark(self._files.pop(path))
                gone.add(path)
            for path in [p for p in self._skipped if p.startswith(below)]:
                del self._skipped[path]
        return gone


def directories_unchanged(seeds_dir: Path, directories: tuple[tuple[str, int], ...]) -> bool:
    """Whether every directory of an earlier scan still has its mtime: then no file was created, removed or
    renamed in any of them since (a file rewritten in place goes unnoticed: only a full scan sees that)."""
    if not directories:
        return False
    try:
        root = seeds_dir.resolve(strict=True)
        return all(os.stat(root / path).st_mtime_ns == mtime for path, mtime in directories)
    except (OSError, RuntimeError):
        return False



_READ_MORE = 1 << 16
"""Bytes asked for by each read after the first, of a file that grew while it was read (or of a FIFO). Never a
large buffer for a small file: each read allocates what it asks for, and 100,000 seeds read into 1 MiB buffers
cost seconds of page faults."""


def read_seed(seeds_dir: Path, seed: SeedFile, limit: int) -> bytes:
    """The bytes of one seed (at most `limit` + 1 of them), refusing anything that is not a stable regular file."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(seeds_dir / seed.path, flags)
    except OSError as exc:
        raise SeedReadError(f"cannot be read: {exc.strerror or exc}",
                            transient=exc.errno == errno.ENOENT) from None
    try:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            raise SeedReadError("not a regular file (FIFO, socket or device): never read")
        chunks: list[bytes] = []
        remaining = limit + 1
        wanted = before.st_size + 1  # the whole file and its end in one read, into a buffer of its own size
        while remaining > 0:
            chunk = os.read(fd, min(remaining, wanted))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
            wanted = _READ_MORE
        after = os.fstat(fd)
    except OSError as exc:
        raise SeedReadError(f"cannot be read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns) or \
            (before.st_size, before.st_mtime_ns) != (seed.size, seed.mtime_ns):
        raise SeedReadError(CHANGED_WHILE_READ, transient=True)
    return b"".join(chunks)
