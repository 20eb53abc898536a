"""Worker processes keep the memory they free; a run collects reference cycles after it; a command's process leaves
what is alive at its end uncollected (`feedsvc.system.memory`)."""

from __future__ import annotations

import gc
import platform
import subprocess
import sys

import pytest

from feedsvc.images.policy import ImagePolicy
from feedsvc.system.memory import cycles_collected_after
from tests.conftest import NOW


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's: elsewhere nothing is changed")
def test_glibc_takes_the_settings() -> None:
    # in a process of its own: the test process's allocator is left as it was
    code = "from feedsvc.system.memory import keep_freed_memory; print(keep_freed_memory())"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "True"


def test_other_platforms_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    from feedsvc.system.memory import keep_freed_memory

    monkeypatch.setattr(sys, "platform", "darwin")
    assert keep_freed_memory() is False


def test_cycles_are_collected_after_the_block_even_when_it_fails() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), cycles_collected_after():
        assert not gc.isenabled()
        raise RuntimeError("the run failed")
    assert gc.isenabled()


def test_a_collector_paused_before_stays_paused() -> None:
    gc.disable()
    try:
        with cycles_collected_after():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_run_pauses_the_collector_and_resumes_it(make_settings, sample_seeds, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from feedsvc import pipeline
    from feedsvc.ingest.triage import triage as real

    seen: list[bool] = []

    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr("feedsvc.ingest.triage.triage", watched)
    report = pipeline.regenerate(make_settings(seeds_dir=sample_seeds), NOW)
    assert report.entries and seen == [False]
    assert gc.isenabled()


def test_a_render_task_pauses_the_collector_in_its_worker(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    from feedsvc.output import workers

    seen: list[bool] = []

    class Renderer:
        def with_pages(self, pages: object, navs: object = None) -> Renderer:
            return self

        def render_group(self, group: object, read: object):  # type: ignore[no-untyped-def]
            seen.append(gc.isenabled())
            yield "all.atom", b"<feed/>"

    job = workers.RenderJob(tmp_path, tmp_path / "cache.sqlite", "prints", ("atom",), (), {}, ImagePolicy())
    with ThreadPoolExecutor(1) as writers:
        monkeypatch.setattr(workers, "_WORKER", workers._Worker(job, Renderer(), writers, cache=object()))  # type: ignore[arg-type]
        monkeypatch.setattr(workers, "stage_file", lambda folder, name, data: (name, None, None))
        assert workers._render([], {}, {}) == [("all.atom", None, None)]
    assert seen == [False], "a group's objects are not walked by collections while it renders"
    assert gc.isenabled()


def test_a_daemon_run_leaves_the_collector_running_and_freezes_what_it_built(make_settings, sample_seeds,  # type: ignore[no-untyped-def]
                                                                              monkeypatch) -> None:
    """Under `serve` the HTTP server shares the process: its collections go on during a run (only loading the
    index pauses them), and what the run left alive is frozen, out of later collections' reach."""
    from feedsvc import pipeline
    from feedsvc.ingest.triage import triage as real
    from feedsvc.state.index import Memory

    seen: list[bool] = []

    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr("feedsvc.ingest.triage.triage", watched)
    gc.unfreeze()
    try:
        memory = Memory()
        report = pipeline.regenerate(make_settings(seeds_dir=sample_seeds), NOW, pipeline.RunOptions(memory=memory))
        assert report.entries and seen == [True]
        assert gc.get_freeze_count() > 0 and gc.isenabled()
        assert memory.index is not None and gc.is_tracked(memory.index.stories) \
            and not any(memory.index.stories is o for o in gc.get_objects())  # frozen: collections skip it
    finally:
        gc.unfreeze()


_CYCLE_AT_EXIT = """
import sys
from feedsvc.system.memory import skip_collection_at_exit

class Node:
    def __init__(self):
        self.me = self  # a reference cycle: only the collector frees it
    def __del__(self):
        print("collected", flush=True)

node = Node()
del node
if sys.argv[1] == "skip":
    skip_collection_at_exit()
print("exiting", flush=True)
"""


@pytest.mark.parametrize(("mode", "printed"), [("skip", "exiting"), ("collect", "exiting collected")])
def test_the_exit_leaves_what_was_alive_uncollected(mode: str, printed: str) -> None:
    """The interpreter's exit walks every object it can collect; once they are frozen it does not (a garbage cycle
    left by the command shows it: its finalizer runs only when the exit collects it)."""
    code = "import gc; gc.disable()\n" + _CYCLE_AT_EXIT  # no collection before the exit's own
    result = subprocess.run([sys.executable, "-c", code, mode], capture_output=True, text=True, check=True)
    assert result.stdout.split() == printed.split()
