"""The seeds directory: which files are candidate seeds, and reading one safely. Touches the disk; nothing else."""

from __future__ import annotations

import errno
import os
import stat
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


@dataclass(frozen=True)
class ScanResult:
    files: tuple[SeedFile, ...]
    skipped: tuple[SeedProblem, ...]
    directories: tuple[tuple[str, int], ...] = ()
    """(relative path, mtime_ns) of every directory walked, taken before it was listed."""


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


def scan(seeds_dir: Path) -> ScanResult:
    """Every candidate seed below `seeds_dir` (recursively), sorted by path, and what was passed over and why.

    Symbolic links are followed only when they stay inside the directory; FIFOs, devices and sockets are never
    opened. Hidden files, editor and partial files are reported with their reason; hidden directories (`.git`)
    are not walked.
    """
    try:
        root = seeds_dir.resolve(strict=True)
        if not root.is_dir():
            raise SeedsUnavailableError(f"{seeds_dir}: seeds directory is not a directory")
    except (OSError, RuntimeError) as exc:
        raise SeedsUnavailableError(f"{seeds_dir}: seeds directory cannot be read: {exc}") from None
    files: list[SeedFile] = []
    skipped: list[SeedProblem] = []
    directories: list[tuple[str, int]] = []
    pending: list[tuple[Path, str, int]] = [(root, "", 0)]
    while pending:
        directory, prefix, depth = pending.pop()
        try:
            directories.append((prefix, os.stat(directory).st_mtime_ns))
            entries = list(os.scandir(directory))
        except OSError as exc:
            if depth == 0:
                raise SeedsUnavailableError(f"{seeds_dir}: seeds directory cannot be read: {exc}") from None
            skipped.append(SeedProblem(display_path(prefix.rstrip("/")), f"directory cannot be read: {exc.strerror}"))
            continue
        for entry in entries:
            relative = prefix + entry.name
            if entry.name.startswith(".") and entry.is_dir(follow_symlinks=False):
                continue  # .git and the like: not walked, not worth a line per file
            try:
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISLNK(info.st_mode):
                    target = Path(entry.path).resolve(strict=True)
                    if not target.is_relative_to(root):
                        skipped.append(SeedProblem(display_path(relative),
                                                   "symbolic link pointing outside the seeds directory (not followed)"))
                        continue
                    info = target.stat()
            except (OSError, RuntimeError) as exc:
                skipped.append(SeedProblem(display_path(relative), f"cannot be read: {exc}"))
                continue
            if stat.S_ISDIR(info.st_mode):
                if entry.is_symlink():
                    continue  # a linked directory inside the tree is walked through its real path already
                if depth < MAX_DEPTH:
                    pending.append((Path(entry.path), relative + "/", depth + 1))
                continue
            reason = _skip_reason(entry.name)
            if reason is None and not stat.S_ISREG(info.st_mode):
                reason = "not a regular file (FIFO, socket or device): never opened"
            if reason is None and info.st_size == 0:
                reason = "empty file"
            if reason:
                skipped.append(SeedProblem(display_path(relative), reason))
                continue
            files.append(SeedFile(relative, info.st_size, info.st_mtime_ns))
    files.sort(key=lambda f: f.path)
    skipped.sort(key=lambda p: p.path)
    return ScanResult(tuple(files), tuple(skipped), tuple(sorted(directories)))


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
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        after = os.fstat(fd)
    except OSError as exc:
        raise SeedReadError(f"cannot be read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns) or \
            (before.st_size, before.st_mtime_ns) != (seed.size, seed.mtime_ns):
        raise SeedReadError(CHANGED_WHILE_READ, transient=True)
    return b"".join(chunks)
