"""How processes manage memory: worker processes keep the memory they free; a one-shot run's process leaves
collecting reference cycles until the run is over, and what it leaves to the interpreter's exit; the daemon keeps
what its runs built out of collections.

A cold run's workers allocate and free buffers of megabytes all the time: an article's tree, a document's bytes,
a gzip buffer. glibc gives blocks that large back to the kernel when they are freed (`mmap`, and trimming the
heap's top), and the next one costs a page fault per 4 KiB touched, and far more on a virtual machine that hands
free memory back to its host (a balloon with free page reporting: measured at 2.5 s of system time a gigabyte on
the development machine). A worker lives for one run, so it keeps what it freed and reuses it: its peak memory is
what it was, it just no longer shrinks before the worker exits. The daemon's own process is left as it is.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20
"""Blocks smaller than this come from the heap (glibc's largest allowed value on 64-bit systems)."""
TRIM_THRESHOLD = 1 << 30
"""Free memory at the heap's top kept before any is given back."""


def keep_freed_memory() -> bool:
    """Make glibc's malloc in this process reuse freed blocks rather than return them; False where there is no
    glibc (or it refuses the settings)."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # only worker processes call this: every other process is spared importing it

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # no C library to load, or one without mallopt (musl)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


@contextmanager
def cycles_collected_after() -> Iterator[None]:
    """Run the block with Python's cycle collector paused; it resumes (if it ran before) when the block ends.

    A run builds hundreds of thousands of long-lived, acyclic objects (the story index: a seed row, a version and
    a story per entry; the plans), and CPython walks all of them again in every full collection it makes while
    they are being built, as their number grows: at 100,000 seeds, 0.9 s of a one-shot run's index alone. Their
    memory is freed by reference counting either way; the few cycles a run leaves (an exception's traceback) wait
    for the first collection after it."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def keep_out_of_collections() -> None:
    """Move every object alive now out of the collector's reach (`gc.freeze`).

    The daemon shares its process with the HTTP server, whose requests leave reference cycles to collect, so it
    never pauses the collector for a whole run; instead, after each run, what the run left alive (the story index
    above all: a few objects per story, 100,000s at rest) is frozen, and later collections walk only what is new.
    Frozen objects are still freed by reference counting when a later run drops them; the index holds no cycles."""
    gc.freeze()


def skip_collection_at_exit() -> None:
    """Freeze every object alive (`gc.freeze`), so that the interpreter's exit does not walk them again.

    A one-shot command's process ends right after its run, and the interpreter's exit collects every object
    still alive (the story index, the plans, the modules): at 10,000 seeds, 36-57 ms of a new seed's 0.87 s
    process and 18-21 ms of a warm one's 0.22 s, against 13-17 ms and 6-9 ms frozen (f54b49d, three and four runs
    each way; see docs/performance.md). Memory goes back to the system with the process either way, `atexit`
    hooks run and the standard streams are flushed as always; what is lost is the finalizer of an object caught in
    a reference cycle, so it is called only as the process ends (`cli.run`), once every command has closed what
    it opened (the cache, the output, the daemon's server)."""
    gc.freeze()
