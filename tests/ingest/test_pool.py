"""ingest.pool: seeds cleaned in worker processes give exactly the outcomes this process gives them; a few seeds
never start a worker; a cancel stops the run; the pool starts when first needed and stops when left."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from feedsvc.errors import Cancelled
from feedsvc.ingest.pool import PARALLEL_THRESHOLD, Processor, WorkerPool
from feedsvc.ingest.scan import scan
from feedsvc.ingest.work import Job, Outcome, init_worker, process_file
from feedsvc.model import SeedFile
from feedsvc.pipeline import make_job
from feedsvc.settings import Settings
from tests.conftest import NOW, START, write_seed


def _seeds(directory: Path, count: int) -> list[tuple[SeedFile, str | None]]:
    for number in range(count):
        write_seed(directory, number, START + timedelta(hours=number))
    (directory / "broken.txt").write_bytes(b"\xff\xfe not a seed")
    return [(seed, None) for seed in sorted(scan(directory).files.values(), key=lambda seed: seed.path)]


def _pool(job: Job, workers: int) -> WorkerPool:
    return WorkerPool(workers, init_worker, (job, os.getpid()))


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def job(settings: Settings) -> Job:
    return make_job(settings, NOW)


def _by_path(outcomes: Iterator[Outcome]) -> dict[str, Outcome]:
    found: dict[str, Outcome] = {}
    for outcome in outcomes:
        assert outcome.path not in found, f"{outcome.path} came back twice"
        found[outcome.path] = outcome
    return found


def test_workers_give_the_outcomes_this_process_gives(job: Job, settings: Settings) -> None:
    items = _seeds(settings.seeds_dir, PARALLEL_THRESHOLD + 12)
    alone = {seed.path: process_file(job, seed, digest) for seed, digest in items}
    with _pool(job, 2) as pool:
        processor = Processor(job, pool, len(items))
        assert processor.parallel
        pooled = _by_path(processor.run(iter(items), None))
        assert pool._executor is not None  # the work did go to the workers
    assert pool._executor is None  # leaving the pool stopped them
    assert pooled == alone
    assert alone["broken.txt"].problem and not alone["broken.txt"].entries  # the bad seed is an outcome too
    assert sum(len(outcome.entries) for outcome in alone.values()) == PARALLEL_THRESHOLD + 12


def test_a_few_seeds_are_cleaned_here_without_starting_a_worker(job: Job, settings: Settings) -> None:
    items = _seeds(settings.seeds_dir, 5)
    with _pool(job, 2) as pool:
        processor = Processor(job, pool, len(items))
        assert not processor.parallel
        outcomes = list(processor.run(iter(items), None))
        assert pool._executor is None
    assert [outcome.path for outcome in outcomes] == [seed.path for seed, _ in items]  # in order, here


def test_one_worker_means_no_pool_however_many_seeds(job: Job, settings: Settings) -> None:
    items = _seeds(settings.seeds_dir, PARALLEL_THRESHOLD)
    with _pool(job, 1) as pool:
        assert not Processor(job, pool, len(items)).parallel


@pytest.mark.parametrize("workers", [1, 2])
def test_a_cancel_stops_the_run(job: Job, settings: Settings, workers: int) -> None:
    items = _seeds(settings.seeds_dir, PARALLEL_THRESHOLD)
    cancel = threading.Event()
    cancel.set()
    with _pool(job, workers) as pool, pytest.raises(Cancelled):
        list(Processor(job, pool, len(items)).run(iter(items), cancel))


def test_the_pool_starts_once_and_can_start_again_after_closing(job: Job) -> None:
    pool = _pool(job, 2)
    assert pool._executor is None
    first = pool.executor()
    assert pool.executor() is first
    pool.close()
    pool.close()  # closing twice is harmless
    assert pool._executor is None
    second = pool.executor()
    assert second is not first
    pool.close()
