"""Parse and clean one seed: the unit of work that runs in parallel processes on a cold run. Pure."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime

from feedsvc.clean import clean
from feedsvc.model import CleanRules, Entry, ParseResult
from feedsvc.parse import ParseContext, parse_seed


@dataclass(frozen=True)
class Job:
    """What every worker needs, sent once per process."""

    ctx: ParseContext
    rules: tuple[tuple[str, CleanRules], ...]
    summary_chars: int
    unwrap_image_proxy: bool

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


def process(job: Job, data: bytes, path: str, digest: str, mtime: datetime | None) -> Outcome:
    """Parse one seed and clean each of its entries. Never raises for any input: a crash is a reported problem."""
    try:
        parsed: ParseResult = parse_seed(data, path, mtime, job.ctx)
        entries = []
        notes = list(parsed.notes)
        for raw in parsed.entries:
            cleaned = clean(raw.html, raw.meta.link, job.rules_for(raw.meta.source_slug), job.summary_chars,
                            raw.meta.title)
            entries.append(Entry(raw.meta, cleaned.html, cleaned.summary, digest))
            kinds = Counter(r.kind for r in cleaned.removed)
            if kinds:
                notes.append("cleaned: removed " + ", ".join(f"{kind} ×{n}" for kind, n in sorted(kinds.items())))
    except RecursionError:
        return Outcome(path, digest, (), "markup nested too deeply to process", ())
    except Exception as exc:  # a bug must cost one seed, never the run: report it with its type
        return Outcome(path, digest, (), f"internal error while processing ({type(exc).__name__}: {exc})", ())
    return Outcome(path, digest, tuple(entries), parsed.problem, tuple(notes))


_JOB: Job | None = None


def init_worker(job: Job) -> None:
    global _JOB  # noqa: PLW0603 - one job per worker process, set by the pool initializer
    _JOB = job


def process_in_worker(data: bytes, path: str, digest: str, mtime: datetime | None) -> Outcome:
    assert _JOB is not None, "init_worker was not called"
    return process(_JOB, data, path, digest, mtime)
