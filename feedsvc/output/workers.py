"""Rendering many documents at once (a cold run) in worker processes, one per core. Each task is a group of
documents that share stories (`documents.in_groups`): the worker reads their entries from the cache, renders them
and stages their files (`publish.stage_file`); the main process adopts the staged files and still commits them all
or nothing."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from feedsvc.errors import Cancelled
from feedsvc.images.policy import ImagePolicy
from feedsvc.output.documents import DocumentRenderer, Navs, PeriodPage
from feedsvc.output.plan import Planned
from feedsvc.output.publish import Staged, Staging, cannot_write, discard_staged, stage_file
from feedsvc.state.cache import Cache
from feedsvc.system.memory import cycles_collected_after

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor


@dataclass(frozen=True)
class RenderJob:
    """What every render worker needs, sent once per process (the period pages go with each group)."""

    output_dir: Path
    database: Path
    fingerprint: str
    formats: tuple[str, ...]
    variants: tuple[str, ...]
    languages: Mapping[str, str | None]
    images: ImagePolicy
    site_title: str = ""


@dataclass
class _Worker:
    job: RenderJob
    renderer: DocumentRenderer
    writers: ThreadPoolExecutor
    cache: Cache | None = None
    """Opened by the first group: a worker also cleans before the run has anything to render."""


_WORKER: _Worker | None = None
_WRITERS = 2
"""Threads of a worker that write its files while it renders the next ones."""


def init_render(job: RenderJob) -> None:
    """Prepare this worker process (a `pool.WorkerPool` initializer calls it) to render for `job`."""
    global _WORKER  # noqa: PLW0603 - one job per worker process, set by the pool initializer
    _WORKER = _Worker(job, DocumentRenderer(job.formats, job.variants, job.languages, {}, job.images, job.site_title),
                      ThreadPoolExecutor(_WRITERS, thread_name_prefix="stage"))


def _render(group: list[Planned], pages: Mapping[str, PeriodPage], navs: Navs) -> list[Staged]:
    assert _WORKER is not None, "init_render was not called"
    worker = _WORKER
    if worker.cache is None:
        worker.cache = Cache.open(worker.job.database)
    cache, job = worker.cache, worker.job
    with cycles_collected_after():  # a group's entries, trees and feedgen objects: walked again by every collection
        pending = [worker.writers.submit(stage_file, job.output_dir, name, data)
                   for name, data in worker.renderer.with_pages(pages, navs).render_group(
                       group, lambda stories: cache.published_entries(stories, job.fingerprint,
                                                                      text=bool(job.variants)))]
        staged: list[Staged] = []
        failed: OSError | None = None
        for future in pending:
            try:
                staged.append(future.result())
            except OSError as exc:  # a full disk: the run fails with the reason, leaving no temporary file
                failed = failed or exc
        if failed is not None:
            discard_staged(staged)
            raise cannot_write(job.output_dir, failed)
        return staged


def render_in_workers(pool: ProcessPoolExecutor, groups: list[list[Planned]], pages: Mapping[str, PeriodPage],
                      navs: Navs, staging: Staging, cancel: threading.Event | None) -> list[str]:
    """Render and stage `groups` of documents in the worker processes of `pool` (prepared by `init_render`);
    the staged files are handed to `staging`."""
    names: list[str] = []
    futures = [pool.submit(_render, group, {d.feed.stem: pages[d.feed.stem] for d in group if d.feed.stem in pages},
                           {d.feed.stem: navs[d.feed.stem] for d in group if d.feed.stem in navs})
               for group in groups]
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
