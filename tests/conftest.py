"""Shared fixtures: the sample seeds, the shared corpus (skipped with a reason where it is absent), fixed clocks."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from feedsvc.settings import Settings, load_settings

# `HYPOTHESIS_PROFILE=fuzz python -m pytest -k "never_raises or idempotent or xml_safe"` is the longer fuzz run.
hypothesis_settings.register_profile("default", derandomize=True)  # the same examples in every CI run
hypothesis_settings.register_profile("fuzz", max_examples=20_000, deadline=None)  # random: explores
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
XSS = SHARED / "xss" / "xss_vectors.json"
ATOM_RNC = Path(__file__).resolve().parent / "atom.rnc"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
START = datetime(2024, 1, 1, tzinfo=UTC)  # the first day of the archives `write_seed` generates
CORPUS_METADATA = frozenset({"SOURCE.md", "MANIFEST.tsv"})
# The test suite's own switches are read here and taken out of the environment: feedsvc reads every `FEEDSVC_*`
# variable as a setting, and the commands the tests run would refuse them as unknown settings.
SLOW = bool(os.environ.pop("FEEDSVC_SLOW", ""))
UPDATE_GOLDEN = bool(os.environ.pop("FEEDSVC_UPDATE_GOLDEN", ""))

needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(),
    reason=f"the shared seed corpus is not beside this clone ({CORPUS}); it is there in CI",
)
needs_xss = pytest.mark.skipif(
    not XSS.is_file(), reason=f"the shared XSS vectors are not beside this clone ({XSS}); they are there in CI")


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.iterdir() if p.is_file() and p.name not in CORPUS_METADATA)


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    """The shipped configuration (config/feedsvc.toml), independent of the environment."""
    return load_settings(ROOT / "config" / "feedsvc.toml", environ={})


@pytest.fixture
def make_settings(tmp_path: Path, base_settings: Settings) -> Callable[..., Settings]:
    """Settings pointing at fresh temporary seeds, output and state directories."""

    def make(**changes: object) -> Settings:
        from dataclasses import replace

        values: dict[str, object] = {
            "seeds_dir": tmp_path / "seeds", "output_dir": tmp_path / "public", "state_dir": tmp_path / "var",
            "workers": 1,
        }
        values.update(changes)
        Path(str(values["seeds_dir"])).mkdir(parents=True, exist_ok=True)
        return replace(base_settings, **values)  # type: ignore[arg-type]

    return make


@pytest.fixture
def sample_seeds(tmp_path: Path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(SAMPLES, target, dirs_exist_ok=True)
    return target


def failing_writes(monkeypatch: pytest.MonkeyPatch, failing: int) -> None:
    """The `failing`th temporary file written fails as a full disk does (files are written by several threads:
    each takes its number before anything lets another run)."""
    real = tempfile.NamedTemporaryFile
    numbers = itertools.count(1)

    def temporary(*args: Any, **kwargs: Any) -> Any:
        number = next(numbers)
        handle = real(*args, **kwargs)
        if number == failing:
            def full(data: bytes) -> int:
                raise OSError(28, "No space left on device")
            setattr(handle, "write", full)  # noqa: B010 - a method of this one handle
        return handle

    monkeypatch.setattr("feedsvc.output.publish.tempfile.NamedTemporaryFile", temporary)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow tests (fault injection with subprocesses, whole-corpus runs, daemons fed bursts) run in CI (`CI` set),
    with `FEEDSVC_SLOW=1`, or when `-m` names them; a developer's plain `python -m pytest` skips them, saying so."""
    if os.environ.get("CI") or SLOW or "slow" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="slow: runs in CI, or with FEEDSVC_SLOW=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def build_search(settings: Settings) -> None:
    """Build the search index of what the last run published, as `feedsvc serve` does in its background."""
    import threading

    from feedsvc.pipeline import fingerprint
    from feedsvc.serve.searchbuild import SearchBuilder
    from feedsvc.state.cache import Cache
    from feedsvc.state.index import Index, Memory

    with Cache.open(settings.state_dir / "cache.sqlite") as cache:
        index = Index.load(cache, fingerprint(settings))
        index.token = cache.load_state().token
    builder = SearchBuilder(settings.state_dir, Memory(index), threading.RLock(), threading.Event())
    builder.check()
    assert builder.wait(120), "the search index was not built in two minutes"


def published(output: Path) -> dict[str, bytes]:
    """Every file a reader can fetch (temporary files are hidden dotfiles, never served)."""
    return {str(p.relative_to(output)): p.read_bytes() for p in sorted(output.rglob("*"))
            if p.is_file() and not p.name.startswith(".")}


SEED_HOSTS = ("www.dw.com", "www.voachinese.com", "www.rfa.org")


def write_seed(seeds: Path, number: int, when: datetime) -> None:
    """Seed `number` of a generated archive: a one-paragraph story of one of three hosts, dated `when`."""
    host = SEED_HOSTS[number % len(SEED_HOSTS)]
    (seeds / f"{number:04d}.txt").write_text(
        f"<!--{int(when.timestamp() * 1000)}-->\n[第{number}号稿件](https://{host}/zh/story-{number})\n------\n\n"
        f"<p>稿件{number}的正文。</p>\n", encoding="utf-8")
