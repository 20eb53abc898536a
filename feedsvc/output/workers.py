"""Rendering many documents at once (a cold run) in worker processes, one per core. Each task is a group of
documents that share stories (`documents.in_groups`): the worker reads their entries from the cache, renders them
and stages their files (`publish.stage_file`); the main process adopts the staged files and still commits them all
or nothing."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from feedsvc.cache import Cache
from feedsvc.errors import Cancelled
from feedsvc.output.documents import DocumentRenderer, PeriodPage
from feedsvc.output.plan import Planned
from feedsvc.output.publish import Staged, Staging, stage_file
from feedsvc.work import watch_parent


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


_WORKER: tuple[RenderJob, Cache, DocumentRenderer, ThreadPoolExecutor] | None = None
_WRITERS = 2
"""Threads of a worker that write (and fsync) its files while it renders the next ones."""


def _init(job: RenderJob, parent: int) -> None:
    global _WORKER  # noqa: PLW0603 - one job per worker process, set by the pool initializer
    _WORKER = (job, Cache.open(job.database), DocumentRenderer(job.formats, job.variants, job.languages, job.pages),
               ThreadPoolExecutor(_WRITERS, thread_name_prefix="stage"))
    watch_parent(parent)


def _render(group: list[Planned]) -> list[Staged]:
    assert _WORKER is not None, "_init was not called"
    job, cache, renderer, writers = _WORKER
    pending = [writers.submit(stage_file, job.output_dir, name, data)
               for name, data in renderer.render_group(group, lambda stories: cache.published_entries(
                   stories, job.fingerprint))]
    return [future.result() for future in pending]


def render_in_workers(job: RenderJob, groups: list[list[Planned]], staging: Staging, workers: int,
                      cancel: threading.Event | None) -> list[str]:
    """Render and stage `groups` of documents in `workers` processes; the staged files are handed to
    `staging`."""
    context = multiprocessing.get_context("spawn")  # never fork a process that runs threads
    names: list[str] = []
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init, initargs=(job, os.getpid())) as pool:
        futures = [pool.submit(_render, group) for group in groups]
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
