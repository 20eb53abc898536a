"""Rendering many documents at once (a cold run) in worker processes, one per core. Each worker reads its
documents' entries from the cache, renders them and stages their files (`publish.stage_file`); the main process
adopts the staged files and still commits them all or nothing."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path

from feedsvc.cache import Cache
from feedsvc.errors import Cancelled
from feedsvc.output.documents import DocumentRenderer, PeriodPage
from feedsvc.output.plan import Planned
from feedsvc.output.publish import Staged, Staging, stage_file
from feedsvc.work import watch_parent

_BATCH = 4


@dataclass(frozen=True)
class RenderJob:
    """What every render worker needs, sent once per process."""

    output_dir: Path
    database: Path
    fingerprint: str
    formats: tuple[str, ...]
    variants: tuple[str, ...]
    languages: Mapping[str, str | None]
    pages: Mapping[str, PeriodPage]


_WORKER: tuple[RenderJob, Cache, DocumentRenderer] | None = None


def _init(job: RenderJob, parent: int) -> None:
    global _WORKER  # noqa: PLW0603 - one job per worker process, set by the pool initializer
    _WORKER = (job, Cache.open(job.database), DocumentRenderer(job.formats, job.variants, job.languages, job.pages))
    watch_parent(parent)


def _render(batch: list[Planned]) -> list[Staged]:
    assert _WORKER is not None, "_init was not called"
    job, cache, renderer = _WORKER
    staged = []
    for planned in batch:
        feed = replace(planned.feed, entries=cache.published_entries(planned.stories, job.fingerprint))
        staged += [stage_file(job.output_dir, name, data) for name, data in renderer.render(feed)]
    return staged


def render_in_workers(job: RenderJob, documents: list[Planned], staging: Staging, workers: int,
                      cancel: threading.Event | None) -> list[str]:
    """Render and stage `documents` in `workers` processes; the staged files are handed to `staging`."""
    context = multiprocessing.get_context("spawn")  # never fork a process that runs threads
    names: list[str] = []
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init, initargs=(job, os.getpid())) as pool:
        futures = [pool.submit(_render, documents[start:start + _BATCH])
                   for start in range(0, len(documents), _BATCH)]
        try:
            for future in as_completed(futures):
                for staged in future.result():
                    staging.adopt(staged)
                    names.append(staged[0])
                if cancel is not None and cancel.is_set():
                    raise Cancelled("regeneration cancelled")
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return names
