"""Reading seeds ahead of the processes that clean them.

A worker reads its seed, then spends milliseconds cleaning it; on a first run over an archive on disk, each read
waits for the disk, one file at a time per worker. `read_ahead` asks the kernel for the next few hundred seeds
(`posix_fadvise(POSIX_FADV_WILLNEED)`, which queues the reads and returns) from a thread of its own, so the disk
works while the workers clean and their reads find the bytes in memory. It only ever advises: a seed that vanished
or cannot be opened is the worker's to report, and where the call does not exist nothing is read ahead.
"""

from __future__ import annotations

import os
import queue
import stat
import threading
from collections.abc import Callable, Generator, Iterable, Sized
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
WINDOW = 256
"""Seeds asked for ahead of the one being handed out: a few megabytes, enough to keep the disk's queue full."""
_POLL_SECONDS = 0.1


class _End:
    """The filler's last word: the items are exhausted, or iterating them raised `error`."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


def advise(path: Path) -> bool:
    """Ask the kernel to start reading the regular file at `path` into memory; never waits for its content and
    never raises. Whether it was asked."""
    if not hasattr(os, "posix_fadvise"):
        return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def read_ahead(items: Iterable[T], path_of: Callable[[T], Path], window: int = WINDOW) -> Generator[T, None, None]:
    """`items`, in their order, each one's file asked for (`advise`) up to `window` items before it is handed
    out. An error raised by `items` is raised here, where it would have been; a caller that stops early stops
    the reading too. One item or none (a daemon's run, mostly) starts no thread: there is nothing to read ahead of."""
    if isinstance(items, Sized) and len(items) < 2:
        yield from items
        return
    handed: queue.Queue[T | _End] = queue.Queue(window)
    stop = threading.Event()

    def put(item: T | _End) -> bool:
        while not stop.is_set():
            try:
                handed.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def fill() -> None:
        try:
            for item in items:
                advise(path_of(item))
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put(_End(exc))
            return
        put(_End())

    filler = threading.Thread(target=fill, name="read-ahead", daemon=True)
    filler.start()
    try:
        while True:
            item = handed.get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item
    finally:
        stop.set()
        filler.join()
