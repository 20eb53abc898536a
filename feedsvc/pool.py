"""Parsing and cleaning many seeds: in this process, or in a pool of worker processes on a cold run."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from feedsvc.errors import Cancelled
from feedsvc.model import SeedFile
from feedsvc.work import Job, Outcome, init_worker, process_file, process_in_worker

PARALLEL_THRESHOLD = 48
"""Fewer seeds to clean than this are cleaned in this process: starting workers would cost more."""
_BATCH = 8


class Processor:
    """Parses and cleans the seeds the cache does not know, in this process or in a pool of processes. Seeds go
    by path and digest: each is read where it is cleaned, so the bytes never wait in memory or cross a pipe."""

    def __init__(self, job: Job, workers: int, total: int) -> None:
        self.job = job
        self.workers = workers if workers > 0 else (os.cpu_count() or 1)
        self.parallel = self.workers > 1 and total >= PARALLEL_THRESHOLD

    def run(self, items: Iterator[tuple[SeedFile, str]], cancel: threading.Event | None) -> Iterator[Outcome]:
        if not self.parallel:
            for seed, digest in items:
                if cancel is not None and cancel.is_set():
                    raise Cancelled("regeneration cancelled")
                yield process_file(self.job, seed, digest)
            return
        # Never fork a process that runs threads (the daemon's scheduler and server): start clean workers.
        # Spawned workers are this process's own children (no forkserver to outlive it), and each one exits
        # by itself if this process is killed (see init_worker).
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(self.workers, mp_context=context, initializer=init_worker,
                                 initargs=(self.job, os.getpid())) as pool:
            pending: set[Future[list[Outcome]]] = set()
            exhausted = False
            while pending or not exhausted:
                while not exhausted and len(pending) < self.workers * 4:
                    batch = [item for _, item in zip(range(_BATCH), items, strict=False)]
                    if not batch:
                        exhausted = True
                        break
                    pending.add(pool.submit(process_in_worker, batch))
                if cancel is not None and cancel.is_set():
                    for future in pending:
                        future.cancel()
                    raise Cancelled("regeneration cancelled")
                if not pending:
                    break
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    yield from future.result()
