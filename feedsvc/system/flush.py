"""Getting staged files onto the disk: every one durable before any is renamed into place.

A run stages its files and renames them into place only once all of them are on the disk (`make_durable`: an
`fsync` each). An archive document, written past the page cache so that a cold run's gigabytes do not evict the
seeds, is written out as it is staged with Linux's `sync_file_range`, which puts its data on the disk without a
journal commit (`written_out`), so that its pages can be dropped at once.

Many files at once (`SYNCFS_FROM`: a cold run's story pages, one a story) are made durable by one `syncfs` of
their file system instead: the fsyncs, one after the other in the process that publishes, cost 0.35 ms a file on
the development machine, 3.5 s of a 10,000-seed cold run's 54 s (see docs/performance.md). (Before story pages,
a cold run staged 1,462 files and one `syncfs` saved 0.13 s of 15 s: it was removed then, and came back with
them.) `syncfs` also waits for whatever else is being written to that file system; it reports a write that did not
reach the disk as an error (Linux 5.8 and later), as `fsync` does.
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


_SYNC_FILE_RANGE = _libc_function("sync_file_range", ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong,
                                  ctypes.c_uint)


def _checked(result: int) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))


def written_out(fd: int) -> None:
    """Put the data of the file `fd` on the disk now, so that its pages are clean and can be dropped from the page
    cache (durable only with its metadata, at `make_durable`)."""
    if _SYNC_FILE_RANGE is not None:
        _checked(_SYNC_FILE_RANGE(fd, 0, 0, _WAIT_BEFORE | _WRITE | _WAIT_AFTER))
    else:
        os.fsync(fd)


_SYNCFS = _libc_function("syncfs", ctypes.c_int)
SYNCFS_FROM = 500
"""Files from which one `syncfs` makes them durable; fewer (an incremental run's few dozen) are fsynced each."""


def make_durable(files: Iterable[Path]) -> None:
    """Make `files` durable, data and metadata: each with `fsync`, or, for `SYNCFS_FROM` or more on Linux, all
    with one `syncfs` of their file system. Raises OSError for a write that did not reach the disk."""
    files = list(files)
    if _SYNCFS is not None and len(files) >= SYNCFS_FROM:
        fd = os.open(files[0].parent, os.O_RDONLY)
        try:
            _checked(_SYNCFS(fd))
        finally:
            os.close(fd)
        if all(f.stat().st_dev == os.stat(files[0].parent).st_dev for f in files):
            return
    for path in files:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
