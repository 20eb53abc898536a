"""Getting staged files onto the disk: cheaply per file, durably once per run.

A run stages hundreds of files (thousands, cold) and renames them into place only once all of them are on the
disk. An `fsync` of each makes each durable, but each also commits the file system's journal: on the
development machine 100-150 µs of CPU time a file, whatever its size, with the commits of parallel writers
waiting for one another. So files are written without it (`written`), or, for a file to be dropped from the page
cache, written out with Linux's `sync_file_range`, which puts its data on the disk without a journal commit
(`written_out`); and before the renames one `syncfs` makes the whole run durable, data and metadata
(`DiskSync`). A run with a few files (or where there is no `syncfs`) fsyncs each of them then instead.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

_WAIT_BEFORE, _WRITE, _WAIT_AFTER = 1, 2, 4
"""`sync_file_range` flags: wait for writeback under way, start it, wait for it."""


def _libc_function(name: str, *argtypes: type) -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = getattr(ctypes.CDLL(None, use_errno=True), name)
    except (OSError, AttributeError):  # no C library to load, or one without `name`
        return None
    function.argtypes = list(argtypes)
    function.restype = ctypes.c_int
    return function  # type: ignore[no-any-return]


_SYNCFS = _libc_function("syncfs", ctypes.c_int)
_SYNC_FILE_RANGE = _libc_function("sync_file_range", ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong,
                                  ctypes.c_uint)


SYNCFS_FROM = 100
"""Files a run must make durable from which one `syncfs` does it (a cold run's thousands); fewer (an incremental
run's dozen) are fsynced one by one."""


def _checked(result: int) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))


def written_out(fd: int) -> None:
    """Put the data of the file `fd` on the disk now, so that its pages are clean and can be dropped from the page
    cache (durable only with its metadata, at `DiskSync.sync`)."""
    if _SYNC_FILE_RANGE is not None:
        _checked(_SYNC_FILE_RANGE(fd, 0, 0, _WAIT_BEFORE | _WRITE | _WAIT_AFTER))
    else:
        os.fsync(fd)


def _nearest_folder(path: Path) -> Path:
    """`path`, or its nearest ancestor that exists: a folder on the file system `path` is (or will be) on."""
    for candidate in (path, *path.parents):
        if candidate.is_dir():
            return candidate
    return Path(path.anchor or ".")


class DiskSync:
    """Made before a run writes its files, on the folder they go to; `sync` makes them durable. The file system
    is watched from the start: a write it failed to put on the disk meanwhile (by any process) fails `sync`."""

    def __init__(self, folder: Path) -> None:
        self._fd: int | None = None
        if _SYNCFS is not None:
            try:
                self._fd = os.open(_nearest_folder(folder), os.O_RDONLY)
            except OSError:  # unreadable: fsync each file instead
                self._fd = None

    def sync(self, files: Iterable[Path]) -> None:
        """Make `files` (written since this was made) durable, data and metadata: many at once with `syncfs`, a
        few (or where there is no `syncfs`) each with `fsync`. `syncfs` also waits for whatever else is being
        written to the file system (new seeds, other programs' files), which a few fsyncs need not. Raises
        OSError for a write that did not reach the disk."""
        files = list(files)
        if self._fd is not None and len(files) >= SYNCFS_FROM:
            _checked(_SYNCFS(self._fd))  # type: ignore[misc]  # set only where there is syncfs
            return
        for path in files:
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
