"""Parse and clean one seed: the unit of work that runs in parallel processes on a cold run. `process` is pure;
`process_file` reads the seed first (and hashes it, or checks it against the digest triage found), so that seed
bytes never cross a process boundary or pile up in memory."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from feedsvc.clean.article import clean
from feedsvc.clean.structure import RULE_KIND
from feedsvc.errors import SeedReadError
from feedsvc.ingest.parse import ParseContext, parse_seed
from feedsvc.ingest.scan import CHANGED_WHILE_READ, read_seed
from feedsvc.ingest.script import language_of
from feedsvc.ingest.triage import check_complete
from feedsvc.model import CleanRules, Entry, ParseResult, SeedFile


@dataclass(frozen=True)
class Job:
    """What every worker needs, sent once per process."""

    ctx: ParseContext
    rules: tuple[tuple[str, CleanRules], ...]
    summary_chars: int
    unwrap_image_proxy: bool
    seeds_dir: Path

    def rules_for(self, slug: str) -> CleanRules:
        found = next((r for s, r in self.rules if s == slug), CleanRules())
        return found if self.unwrap_image_proxy else replace(found, unwrap_image_proxy=False)


@dataclass(frozen=True)
class Outcome:
    """A seed's entries (cleaned), or the reason it has none."""

    path: str
    digest: str
    entries: tuple[Entry, ...]
    problem: str | None
    notes: tuple[str, ...]
    unread: str | None = None
    """Why the seed could not be read (it changed since it was hashed, it looks half written, …): nothing to
    remember."""
    retry: bool = True
    """Whether an unread seed may be readable later (deferred) or never will be (a problem)."""


def process(job: Job, data: bytes, path: str, digest: str, mtime: datetime | None) -> Outcome:
    """Parse one seed and clean each of its entries. Never raises for any input: a crash is a reported problem."""
    try:
        parsed: ParseResult = parse_seed(data, path, mtime, job.ctx)
        entries = []
        notes = list(parsed.notes)
        for raw in parsed.entries:
            cleaned = clean(raw.html, raw.meta.link, job.rules_for(raw.meta.source_slug), job.summary_chars,
                            raw.meta.title)
            by_rules = tuple(r for r in cleaned.removed if r.kind.startswith(RULE_KIND))
            meta = replace(raw.meta, language=language_of(f"{raw.meta.title}\n{cleaned.summary}"))
            # UTF-8: pickled to the run's process and stored as they are (`Cache.store`), never decoded there
            entries.append(Entry(meta, cleaned.html.encode("utf-8"), cleaned.summary, digest, by_rules,
                                 cleaned.edges))
            kinds = Counter(r.kind for r in cleaned.removed)
            if kinds:
                notes.append("cleaned: removed " + ", ".join(f"{kind} ×{n}" for kind, n in sorted(kinds.items())))
    except RecursionError:
        return Outcome(path, digest, (), "markup nested too deeply to process", ())
    except Exception as exc:  # a bug must cost one seed, never the run: report it with its type
        return Outcome(path, digest, (), f"internal error while processing ({type(exc).__name__}: {exc})", ())
    return Outcome(path, digest, tuple(entries), parsed.problem, tuple(notes))


def process_file(job: Job, seed: SeedFile, digest: str | None) -> Outcome:
    """Read `seed` and process it: one triage hashed as `digest` unless it changed since, or one triage left
    unread (`digest` None), hashed here."""
    try:
        data = read_seed(job.seeds_dir, seed, job.ctx.max_bytes)
        if digest is None:
            check_complete(data, seed, job.ctx.policy.now)
    except SeedReadError as exc:  # once hashed, it was readable: it is deferred whatever the reason now
        return Outcome(seed.path, digest or "", (), None, (), unread=str(exc), retry=exc.transient or bool(digest))
    found = hashlib.sha256(data).hexdigest()
    if digest is not None and found != digest:  # rewritten with the same size and mtime: rare, but never cached
        return Outcome(seed.path, digest, (), None, (), unread=CHANGED_WHILE_READ)  # under another content's digest
    return process(job, data, seed.path, found, seed.modified)


_JOB: Job | None = None


def init_worker(job: Job, parent: int) -> None:
    """Pool initializer: keep the job, and exit when `parent` (the regenerating process) is gone."""
    global _JOB  # noqa: PLW0603 - one job per worker process, set by the pool initializer
    _JOB = job
    watch_parent(parent)


def watch_parent(parent: int) -> None:
    """Exit this worker process when `parent` is gone. A pool's workers wait for work on a pipe that other workers
    also hold open, so they would never notice a parent killed with SIGKILL and would wait forever."""
    threading.Thread(target=_exit_when_gone, args=(parent,), name="parent-watch", daemon=True).start()


def _exit_when_gone(parent: int, interval: float = 1.0) -> None:
    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(1)


def process_in_worker(batch: list[tuple[SeedFile, str | None]]) -> list[Outcome]:
    assert _JOB is not None, "init_worker was not called"
    return [process_file(_JOB, seed, digest) for seed, digest in batch]
