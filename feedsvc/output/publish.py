"""Writing the published files: all or nothing, atomic per file, unchanged files left alone, `.gz` siblings (but
for the archive, see `precompressed`).

Files are staged as they are rendered (`Staging.add`): each changed file is written at once to a temporary file
beside its target and its gzip sibling is made on another thread (zlib lets go of the GIL, so compressing overlaps
the rendering of the next document), so no run holds its output in memory. Only when every file is staged and on
the disk (`flush.make_durable`) are they renamed into place (`Staging.commit`): a failure or a kill at any point leaves
every previous file as it was, and a reader never sees a partial file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from feedsvc.errors import OutputError
from feedsvc.output.compress import gzipped
from feedsvc.output.listing import archive_document, precompressed, with_sibling
from feedsvc.system import flush
from feedsvc.system.flush import written_out


@dataclass(frozen=True)
class PublishResult:
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]



def _done(staged: Staged) -> Future[Staged]:
    future: Future[Staged] = Future()
    future.set_result(staged)
    return future


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


def _drop_cached(fd: int) -> None:
    """Let the kernel drop the (written out, so clean) pages of the file `fd` from its page cache."""
    if hasattr(os, "posix_fadvise"):  # not on macOS or Windows
        with contextlib.suppress(OSError):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)


def _write_temporary(target: Path, data: bytes, *, cached: bool = True) -> Path:
    """`data` in a new temporary file beside `target` (durable once `flush.make_durable` returns); written out and left
    out of the page cache unless `cached`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp",
                                     delete=False) as handle:
        try:
            handle.write(data)
            handle.flush()
            if not cached:
                written_out(handle.fileno())
                _drop_cached(handle.fileno())
        except BaseException:
            handle.close()
            os.unlink(handle.name)
            raise
    os.chmod(handle.name, 0o644)
    return Path(handle.name)


Staged = tuple[str, Path | None, Path | None]
"""(name, temporary plain file, temporary .gz sibling): both None when the published file holds these bytes."""


def stage_file(output_dir: Path, name: str, data: bytes) -> Staged:
    """Write `data` and its gzip sibling to temporary files beside the target `name` (in this thread or process),
    unless the published file already holds these bytes. `Staging.adopt` takes the result.

    Archive documents are written past the page cache (dropped once written out, as `dd oflag=nocache` does): a cold
    run writes gigabytes of them that readers fetch once, and keeping them would push the seeds, the cache and the
    subscription documents out of memory, and make the kernel find fresh memory for each page written."""
    target = output_dir / name
    packed = target.with_name(target.name + ".gz") if precompressed(name) else None
    if _same(target, data) and (packed is None or packed.is_file()):  # the .gz was made from these same bytes
        return name, None, None
    plain = _write_temporary(target, data, cached=not archive_document(name))
    try:
        return name, plain, _write_temporary(packed, gzipped(data)) if packed else None
    except BaseException:
        plain.unlink()
        raise


def discard_staged(staged: Iterable[Staged]) -> None:
    """Remove the temporary files of files staged but not to be published."""
    for _, *temporaries in staged:
        for temporary in temporaries:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    temporary.unlink()


def cannot_write(output_dir: Path, failure: BaseException) -> OutputError:
    """What a run that could not write its files says (nothing was published)."""
    reason = failure.strerror if isinstance(failure, OSError) and failure.strerror else failure
    return OutputError(f"{output_dir}: cannot write the feeds ({reason}); the previous files are left as they were")


_IN_FLIGHT = 16
"""Staged writes that may wait for a thread at once."""


def sweep_leftovers(output_dir: Path) -> None:
    """Remove every temporary file a killed run left anywhere below `output_dir` (callers hold the lock)."""
    for leftover in output_dir.rglob(".*.tmp"):
        with contextlib.suppress(OSError):
            leftover.unlink()


class Staging:
    """The files of one run, staged until `commit` renames them all into place (or `discard` drops them)."""

    def __init__(self, output_dir: Path, *, dry_run: bool = False) -> None:
        self.output_dir = output_dir
        self.dry_run = dry_run
        self.names: list[str] = []
        """Every file added or kept (without the .gz siblings): what is published after `commit`."""
        self._unchanged: list[str] = []
        self._pending: list[Future[Staged]] = []
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

    def prepare(self, folders: Iterable[str]) -> None:
        """Clear the temporary files a killed run left in `folders` (before anything is staged there)."""
        for folder in folders:
            self._clean_leftovers(self.output_dir / folder)

    def add(self, name: str, data: bytes) -> None:
        """Stage `data` as the file `name` (relative to the output directory) and its gzip sibling, unless the
        published file already holds these bytes."""
        self.names.append(name)
        if self.dry_run:
            return
        self._clean_leftovers((self.output_dir / name).parent)
        if len(self._pending) >= _IN_FLIGHT:  # never let rendering run far ahead of the writers: bounded memory
            self._pending[-_IN_FLIGHT].exception()
        self._pending.append(self._pool.submit(stage_file, self.output_dir, name, data))

    def adopt(self, staged: Staged) -> None:
        """Take a file staged elsewhere (`stage_file` in a worker process)."""
        self.names.append(staged[0])
        self._pending.append(_done(staged))

    def keep(self, names: Iterable[str]) -> None:
        """Files known to be current: left as they are, with their siblings."""
        for name in names:
            self.names.append(name)
            self._unchanged += with_sibling(name)

    def discard(self) -> None:
        """Drop whatever was staged (nothing published changes)."""
        self._pool.shutdown(wait=True)
        discard_staged(future.result() for future in self._pending if future.exception() is None)
        self._pending.clear()


    def commit(self, prune: tuple[str, ...] = (), previous: Iterable[str] | None = None) -> PublishResult:
        """Rename every staged file into place, plain files before their siblings (a sibling older than its plain
        file is never served as its compressed form, see feedsvc.serve.web). `prune` lists folders (relative) whose
        files, at any depth, that were not added or kept are removed, with the folders left empty; when the files
        the previous run published are known (`previous`), only those that are gone are looked at."""
        self._pool.shutdown(wait=True)
        failed = next((f.exception() for f in self._pending if f.exception() is not None), None)
        if failed is not None:
            self.discard()
            raise cannot_write(self.output_dir, failed)
        if self.dry_run:
            return PublishResult((), (), ())
        return self._publish(prune, previous)

    def _publish(self, prune: tuple[str, ...], previous: Iterable[str] | None) -> PublishResult:
        renames: list[tuple[Path, str]] = []
        for name, plain, packed in (f.result() for f in self._pending):
            if plain is None:
                self._unchanged += with_sibling(name)
                continue
            renames.append((plain, name))
            if packed is not None:
                renames.append((packed, name + ".gz"))
        renames.sort(key=lambda item: item[1].endswith(".gz"))
        if renames:
            try:
                flush.make_durable(temporary for temporary, _ in renames)
            except OSError as exc:
                self.discard()
                raise cannot_write(self.output_dir, exc) from None
        for _, name in renames:  # a sibling left by a version that precompressed it would be served stale
            if not precompressed(name):
                with contextlib.suppress(OSError):
                    (self.output_dir / f"{name}.gz").unlink()
        for done, (temporary, name) in enumerate(renames):
            try:
                os.replace(temporary, self.output_dir / name)
            except OSError as exc:  # a folder in the way, a read-only file system: say which, leave no litter
                for leftover, _ in renames[done:]:
                    with contextlib.suppress(OSError):
                        leftover.unlink()
                raise OutputError(f"{self.output_dir / name}: cannot be published ({exc.strerror or exc}); "
                                  f"{done} of {len(renames)} files were replaced") from None
        for directory in {(self.output_dir / name).parent for _, name in renames}:
            _fsync_dir(directory)
        removed = self._prune(prune) if previous is None else self._remove_gone(prune, previous)
        return PublishResult(tuple(name for _, name in renames), tuple(self._unchanged), tuple(removed))

    def _remove_gone(self, prune: tuple[str, ...], previous: Iterable[str]) -> list[str]:
        current = set(self.names)
        removed: list[str] = []
        for name in sorted(set(previous) - current):
            if not name.startswith(tuple(f"{folder}/" for folder in prune)):
                continue
            for path in (name, *(with_sibling(name)[1:])):
                with contextlib.suppress(OSError):
                    (self.output_dir / path).unlink()
                    removed.append(path)
            with contextlib.suppress(OSError):  # the folders it leaves empty
                for parent in (self.output_dir / name).parents:
                    if parent == self.output_dir:
                        break
                    parent.rmdir()
        return removed

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
