"""Parsing and cleaning many seeds: in this process, or in the run's worker processes on a cold run.

`WorkerPool` holds a run's worker processes: started when first needed, and shared by cleaning and rendering, so
a cold run starts (and imports everything in) one process per core once, not twice.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import TYPE_CHECKING

from feedsvc.errors import Cancelled
from feedsvc.ingest.work import Job, Outcome, process_file, process_in_worker
from feedsvc.model import SeedFile
from feedsvc.system.readahead import read_ahead

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

PARALLEL_THRESHOLD = 48
"""Fewer seeds to clean than this are cleaned in this process: starting workers would cost more."""
_BATCH = 8


class WorkerPool:
    """A run's worker processes, started by the first `executor()` call; `initializer(*initargs)` prepares each
    one for every kind of task the run gives them. A context manager: leaving it stops them."""

    def __init__(self, workers: int, initializer: Callable[..., None], initargs: tuple[object, ...]) -> None:
        self.workers = workers
        self._initializer = initializer
        self._initargs = initargs
        self._executor: ProcessPoolExecutor | None = None

    def executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            import multiprocessing  # here: a run that starts no worker (one new seed) never imports it
            from concurrent.futures import ProcessPoolExecutor

            # Never fork a process that runs threads (the daemon's scheduler and server): start clean workers.
            # Spawned workers are this process's own children (no forkserver to outlive it), and each one exits
            # by itself if this process is killed (`work.watch_parent`).
            self._executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=self._initializer, initargs=self._initargs)
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Processor:
    """Parses and cleans the seeds the cache does not know, in this process or in a pool of processes. Seeds go
    by path and digest: each is read where it is cleaned, so the bytes never wait in memory or cross a pipe."""

    def __init__(self, job: Job, pool: WorkerPool, total: int) -> None:
        self.job = job
        self.pool = pool
        self.workers = pool.workers
        self.parallel = self.workers > 1 and total >= PARALLEL_THRESHOLD

    def run(self, items: Iterator[tuple[SeedFile, str | None]], cancel: threading.Event | None) -> Iterator[Outcome]:
        if not self.parallel:
            for seed, digest in items:
                if cancel is not None and cancel.is_set():
                    raise Cancelled("regeneration cancelled")
                yield process_file(self.job, seed, digest)
            return
        seeds_dir = self.job.seeds_dir  # the disk reads the next seeds while the workers clean these
        with contextlib.closing(read_ahead(items, lambda item: seeds_dir / item[0].path)) as ahead:
            yield from self._in_pool(ahead, cancel)

    def _in_pool(self, items: Iterator[tuple[SeedFile, str | None]],
                 cancel: threading.Event | None) -> Iterator[Outcome]:
        pool = self.pool.executor()
        pending: set[Future[list[Outcome]]] = set()
        try:
            exhausted = False
            while pending or not exhausted:
                while not exhausted and len(pending) < self.workers * 4:
                    batch = [item for _, item in zip(range(_BATCH), items, strict=False)]
                    if not batch:
                        exhausted = True
                        break
                    pending.add(pool.submit(process_in_worker, batch))
                if cancel is not None and cancel.is_set():
                    raise Cancelled("regeneration cancelled")
                if not pending:
                    break
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    yield from future.result()
        finally:  # a failure, a cancel or a caller that stops reading: what has not started never will
            for future in pending:
                future.cancel()
