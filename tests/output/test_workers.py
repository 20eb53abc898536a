"""Rendering in worker processes (`output.workers`): a cold run's documents rendered and staged by the workers are
the bytes the main process renders, and one pool serves cleaning and rendering (a full disk in a worker:
`test_faults.py`)."""

from __future__ import annotations

import concurrent.futures
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from feedsvc.pipeline import regenerate
from feedsvc.settings import Settings
from tests.conftest import published


def test_rendering_in_worker_processes_gives_the_same_bytes(archive_settings: Settings, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    import feedsvc.output.documents
    from feedsvc.output.publish import Staging

    regenerate(archive_settings, datetime(2024, 6, 1, tzinfo=UTC))
    pools: list[int] = []
    adopted: list[str] = []
    adopt = Staging.adopt

    def adopting(staging: Staging, staged: Any) -> None:
        adopted.append(staged[0])
        adopt(staging, staged)

    monkeypatch.setattr(Staging, "adopt", adopting)
    monkeypatch.setattr(feedsvc.output.documents, "PARALLEL_DOCUMENTS", 4)  # the archive has 12 documents

    class Counted(ProcessPoolExecutor):
        def __init__(self, workers: int, **options: Any) -> None:
            pools.append(workers)
            super().__init__(workers, **options)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Counted)  # imported where a pool is started
    parallel = replace(archive_settings, workers=2, output_dir=tmp_path / "public-2", state_dir=tmp_path / "var-2")
    report = regenerate(parallel, datetime(2024, 6, 1, tzinfo=UTC))
    assert report.new == 240 and len(report.files_written) > 12 * 3, "enough to clean and render in workers"
    assert pools == [2], "one pool of worker processes cleans and renders"
    assert {"all.atom", "archive/all/2024-01.json", "sources/dw.rss"} <= set(adopted), "rendered by the workers"
    assert published(parallel.output_dir) == published(archive_settings.output_dir)
    (parallel.output_dir / "all.atom").unlink()
    regenerate(parallel, datetime(2024, 6, 1, tzinfo=UTC))
    assert pools == [2], "a run with little to do starts no worker"


def test_a_write_that_fails_in_a_worker_fails_the_run_and_publishes_nothing(
        archive_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The render workers run as a thread of this process here (where the test can make their writes fail): a full
    disk on the twentieth file they stage. The cache is warm, so the run only renders."""
    import errno
    from concurrent.futures import ThreadPoolExecutor
    from dataclasses import replace

    import feedsvc.output.documents
    from feedsvc.errors import OutputError
    from feedsvc.ingest.pool import WorkerPool
    from feedsvc.output import workers

    regenerate(replace(archive_settings, workers=1), datetime(2024, 6, 1, tzinfo=UTC))
    from feedsvc.output.publish import stage_file as real_stage
    staged: list[str] = []

    def stage(output_dir: Path, name: str, data: bytes) -> Any:
        staged.append(name)
        if len(staged) == 20:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_stage(output_dir, name, data)

    def in_a_thread(pool: WorkerPool) -> ThreadPoolExecutor:
        job = pool._initargs[1]
        assert isinstance(job, workers.RenderJob)
        workers.init_render(job)  # what a worker process's initializer does for rendering
        return ThreadPoolExecutor(1)

    monkeypatch.setattr(workers, "stage_file", stage)
    monkeypatch.setattr(WorkerPool, "executor", in_a_thread)
    monkeypatch.setattr(feedsvc.output.documents, "PARALLEL_DOCUMENTS", 4)  # the archive has 12 documents
    fresh = replace(archive_settings, workers=2, output_dir=tmp_path / "public-2")
    with pytest.raises(OutputError, match="No space left on device"):
        regenerate(fresh, datetime(2024, 6, 1, tzinfo=UTC))
    assert len(staged) >= 20, "rendered in the workers"
    assert published(fresh.output_dir) == {}, "nothing published, no temporary file left"
