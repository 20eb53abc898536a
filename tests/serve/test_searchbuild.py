"""Building the search index in the daemon's background (`serve.searchbuild`): every story of the last run,
then the index carries that run's token; nothing is built when it is current, and a build gives way to shutdown."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from feedsvc.pipeline import RunOptions, regenerate
from feedsvc.search.index import SearchIndex
from feedsvc.serve.searchbuild import SearchBuilder
from feedsvc.settings import Settings
from feedsvc.state.index import Memory
from tests.conftest import NOW

pytestmark = pytest.mark.timeout(120)


def _ran(settings: Settings) -> Memory:
    memory = Memory()
    report = regenerate(settings, NOW, RunOptions(memory=memory))
    assert report.entries == 3 and memory.index is not None
    return memory


def _search(state_dir: Path, query: str) -> tuple[int, str]:
    search = SearchIndex.open(state_dir)
    try:
        return search.search(query).total, search.token()
    finally:
        search.close()


def test_a_stale_index_is_built_from_the_last_run_and_then_left_alone(make_settings, sample_seeds: Path,  # type: ignore[no-untyped-def]
                                                                       ) -> None:
    settings = make_settings(seeds_dir=sample_seeds)
    memory = _ran(settings)
    assert memory.index is not None
    assert _search(settings.state_dir, "德国") == (0, ""), "a one-shot first run leaves the index to the daemon"
    builder = SearchBuilder(settings.state_dir, memory, threading.RLock(), threading.Event())
    builder.check()
    assert builder.building or builder.done.is_set()
    assert builder.wait(60)
    found, token = _search(settings.state_dir, "德国")
    assert found >= 1 and token == memory.index.token
    builder.done.clear()
    builder.check()  # the index is the last run's: nothing to build
    assert not builder.building and not builder.done.is_set()


def test_a_build_gives_way_to_shutdown(make_settings, sample_seeds: Path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(seeds_dir=sample_seeds)
    memory = _ran(settings)
    cancel = threading.Event()
    cancel.set()
    builder = SearchBuilder(settings.state_dir, memory, threading.RLock(), cancel)
    builder.check()
    assert builder.wait(60)
    assert _search(settings.state_dir, "德国") == (0, ""), "abandoned: the next start builds it"


def test_without_a_completed_run_nothing_is_built(tmp_path: Path) -> None:
    builder = SearchBuilder(tmp_path, Memory(), threading.RLock(), threading.Event())
    builder.check()
    assert not builder.building and not builder.done.is_set()
