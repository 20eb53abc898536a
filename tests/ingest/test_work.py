"""ingest.work: one seed read, hashed, parsed and cleaned; a seed that changed since triage hashed it, or cannot be
read, is an unread outcome (never cached); a crash inside the work is one seed's problem, never the run's."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import replace

import pytest

from feedsvc.ingest import work
from feedsvc.ingest.scan import CHANGED_WHILE_READ, scan
from feedsvc.ingest.work import Job, process, process_file
from feedsvc.model import CleanRules, SeedFile
from feedsvc.pipeline import make_job
from feedsvc.settings import Settings
from tests.conftest import NOW, SAMPLES

SAMPLE = SAMPLES / "002_7e59d68a7c4f54af.txt"


@pytest.fixture
def job(make_settings: Callable[..., Settings]) -> Job:
    settings = make_settings()
    (settings.seeds_dir / "a.txt").write_bytes(SAMPLE.read_bytes())
    return make_job(settings, NOW)


def _seed(job: Job, name: str = "a.txt") -> SeedFile:
    return scan(job.seeds_dir).files[name]


def test_a_seed_is_hashed_parsed_and_cleaned(job: Job) -> None:
    outcome = process_file(job, _seed(job), None)
    assert outcome.digest == hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    assert (outcome.problem, outcome.unread, len(outcome.entries)) == (None, None, 1)
    entry = outcome.entries[0]
    assert entry.digest == outcome.digest and entry.meta.source_slug == "voa"
    assert "feedx" not in entry.content and entry.summary
    assert isinstance(entry.article, bytes), "sent to the run's process and stored as UTF-8, never decoded there"
    assert outcome == process(job, SAMPLE.read_bytes(), "a.txt", outcome.digest, _seed(job).modified)


def test_the_digest_triage_found_is_checked(job: Job) -> None:
    seed = _seed(job)
    right = hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    assert process_file(job, seed, right).entries
    changed = process_file(job, seed, "0" * 64)  # rewritten since it was hashed, same size and mtime
    assert (changed.unread, changed.entries, changed.digest) == (CHANGED_WHILE_READ, (), "0" * 64)


def test_a_seed_gone_since_the_scan_is_deferred_or_a_problem(job: Job) -> None:
    seed = _seed(job)
    (job.seeds_dir / "a.txt").unlink()
    hashed = process_file(job, seed, "f" * 64)
    assert hashed.unread and hashed.retry  # it was readable once: look again next run
    assert process_file(job, seed, None).unread


def test_a_half_written_seed_waits(job: Job) -> None:
    path = job.seeds_dir / "half.txt"
    path.write_bytes(SAMPLE.read_bytes()[:120])  # the header and no body yet, written a moment ago
    now = NOW.timestamp()
    os.utime(path, (now, now))
    outcome = process_file(job, _seed(job, "half.txt"), None)
    assert outcome.unread and outcome.retry and not outcome.entries


def test_a_crash_inside_the_work_is_the_seed_s_problem(job: Job, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(work, "clean", broken)
    outcome = process(job, SAMPLE.read_bytes(), "a.txt", "d", None)
    assert outcome.problem == "internal error while processing (ValueError: boom)" and not outcome.entries


def test_markup_nested_too_deeply_is_a_problem_not_a_crash(job: Job, monkeypatch: pytest.MonkeyPatch) -> None:
    def deep(*args: object, **kwargs: object) -> None:
        raise RecursionError

    monkeypatch.setattr(work, "clean", deep)
    assert process(job, SAMPLE.read_bytes(), "a.txt", "d", None).problem == "markup nested too deeply to process"


def test_rules_are_the_source_s_and_the_proxy_switch_applies_to_all(job: Job, base_settings: Settings) -> None:
    configured = {source.slug: source.rules for source in base_settings.sources}
    assert job.rules_for("dw") == configured["dw"] and configured["dw"].drop_paragraphs
    assert job.rules_for("no-such-source") == CleanRules()
    assert job.rules_for("dw").unwrap_image_proxy
    assert not replace(job, unwrap_image_proxy=False).rules_for("dw").unwrap_image_proxy
