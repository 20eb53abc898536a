"""Writing the published files: all or nothing, atomic per file, unchanged files left alone, `.gz` siblings (but
for archive documents, see `precompressed`).

Files are staged as they are rendered (`Staging.add`): each changed file is written at once to a temporary file
beside its target and its gzip sibling is made on another thread (zlib lets go of the GIL, so compressing overlaps
the rendering of the next document), so no run holds its output in memory. Only when every file is staged and
fsynced are they renamed into place (`Staging.commit`): a failure or a kill at any point leaves every previous file
as it was, and a reader never sees a partial file.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import tempfile
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from feedsvc.errors import OutputError


@dataclass(frozen=True)
class PublishResult:
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]


def gzipped(data: bytes, level: int = 3) -> bytes:
    """Deterministic gzip: no name, no timestamp, so the same bytes always compress to the same bytes."""
    return gzip.compress(data, compresslevel=level, mtime=0)


GZIP_LEVEL = 3
"""Within 3 % of level 5's size at 1.6 times its speed: every run with new stories rewrites feeds in three
formats."""


def precompressed(name: str) -> bool:
    """Whether `name` gets a `.gz` sibling. Archive documents (`…archive/<feed>/<period>.<format>`) do not: they
    hold every story of a feed, are fetched once per reader, and would double the cost of writing them; the servers
    compress them when asked (feedsvc.web, and nginx's `gzip on` for /archive/)."""
    return not ("/archive/" in f"/{name}" and name.endswith((".atom", ".rss", ".json")))


def _same(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_temporary(target: Path, data: bytes) -> Path:
    """`data` in a new temporary file beside `target`, flushed and fsynced."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp",
                                     delete=False) as handle:
        try:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        except BaseException:
            handle.close()
            os.unlink(handle.name)
            raise
    os.chmod(handle.name, 0o644)
    return Path(handle.name)


_IN_FLIGHT = 16
"""Staged writes that may wait for a thread at once."""


class Staging:
    """The files of one run, staged until `commit` renames them all into place (or `discard` drops them)."""

    def __init__(self, output_dir: Path, *, dry_run: bool = False) -> None:
        self.output_dir = output_dir
        self.dry_run = dry_run
        self.names: list[str] = []
        """Every file added or kept (without the .gz siblings): what is published after `commit`."""
        self._unchanged: list[str] = []
        self._staged: list[tuple[Future[Path], Path, str]] = []
        self._pool = ThreadPoolExecutor(max(1, min(4, os.cpu_count() or 1)), thread_name_prefix="stage")
        self._cleaned: set[Path] = set()

    def _clean_leftovers(self, folder: Path) -> None:
        """Temporary files of a run killed before it could rename them (callers hold the lock)."""
        if folder in self._cleaned:
            return
        self._cleaned.add(folder)
        for leftover in folder.glob(".*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()

    def add(self, name: str, data: bytes) -> None:
        """Stage `data` as the file `name` (relative to the output directory) and its gzip sibling, unless the
        published file already holds these bytes."""
        self.names.append(name)
        if self.dry_run:
            return
        target = self.output_dir / name
        self._clean_leftovers(target.parent)
        packed = target.with_name(target.name + ".gz") if precompressed(name) else None
        if _same(target, data) and (packed is None or packed.is_file()):  # the .gz was made from these same bytes
            self._unchanged += [name, name + ".gz"] if packed else [name]
            return
        if len(self._staged) >= _IN_FLIGHT:  # never let rendering run far ahead of the writers: bounded memory
            self._staged[-_IN_FLIGHT][0].exception()
        self._staged.append((self._pool.submit(_write_temporary, target, data), target, name))
        if packed is not None:
            self._staged.append((self._pool.submit(lambda: _write_temporary(packed, gzipped(data, GZIP_LEVEL))),
                                 packed, name + ".gz"))

    def keep(self, names: Iterable[str]) -> None:
        """Files known to be current: left as they are, with their siblings."""
        for name in names:
            self.names.append(name)
            self._unchanged += [name, name + ".gz"] if precompressed(name) else [name]

    def discard(self) -> None:
        """Drop whatever was staged (nothing published changes)."""
        self._pool.shutdown(wait=True)
        for future, _, _ in self._staged:
            if future.exception() is None:
                with contextlib.suppress(OSError):
                    future.result().unlink()
        self._staged.clear()

    def commit(self, prune: tuple[str, ...] = ()) -> PublishResult:
        """Rename every staged file into place, plain files before their siblings (a sibling older than its plain
        file is never served as its compressed form, see feedsvc.web). `prune` lists folders (relative) whose
        files, at any depth, that were not added or kept are removed, with the folders left empty."""
        self._pool.shutdown(wait=True)
        failed = next((f.exception() for f, _, _ in self._staged if f.exception() is not None), None)
        if failed is not None:
            self.discard()
            reason = failed.strerror if isinstance(failed, OSError) and failed.strerror else failed
            raise OutputError(f"{self.output_dir}: cannot write the feeds ({reason}); "
                              "the previous files are left as they were")
        if self.dry_run:
            return PublishResult((), (), ())
        staged = [(f.result(), target, name) for f, target, name in self._staged]
        staged.sort(key=lambda item: item[2].endswith(".gz"))
        for temporary, target, _ in staged:
            os.replace(temporary, target)
        for directory in {target.parent for _, target, _ in staged}:
            _fsync_dir(directory)
        removed = self._prune(prune)
        return PublishResult(tuple(name for _, _, name in staged), tuple(self._unchanged), tuple(removed))

    def _prune(self, prune: tuple[str, ...]) -> list[str]:
        wanted = {n for name in self.names for n in (name, name + ".gz")}
        removed: list[str] = []
        for folder in prune:
            base = self.output_dir / folder
            if not base.is_dir():
                continue
            for path in sorted(base.rglob("*"), reverse=True):  # files before the folders that hold them
                name = str(path.relative_to(self.output_dir))
                if path.is_dir():
                    with contextlib.suppress(OSError):
                        path.rmdir()  # only when empty
                elif name not in wanted and not path.name.startswith("."):
                    with contextlib.suppress(OSError):
                        path.unlink()
                        removed.append(name)
            with contextlib.suppress(OSError):
                base.rmdir()  # only when nothing is left in it
        return removed


def publish(output_dir: Path, files: dict[str, bytes], *, prune: tuple[str, ...] = (),
            keep: tuple[str, ...] = ()) -> PublishResult:
    """Make `output_dir` hold `files` (relative path -> bytes), each with a `.gz` sibling, all or nothing (see
    `Staging`). `keep` lists files known to be current; `prune` folders to clear of files no longer published."""
    staging = Staging(output_dir)
    try:
        for name, data in sorted(files.items()):
            staging.add(name, data)
    except BaseException:
        staging.discard()
        raise
    staging.keep(keep)
    return staging.commit(prune)
