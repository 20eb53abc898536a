"""The page templates (`output.templates`): compiled once, kept in the state directory for the next process."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from feedsvc.output import templates


@pytest.fixture(autouse=True)
def fresh_environment() -> Iterator[None]:
    """Each test starts with the templates not yet compiled in this process, and leaves no cache behind."""
    templates._environment.cache_clear()
    yield
    templates._environment.cache_clear()


def test_compiled_templates_are_kept_and_loaded_by_the_next_process(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    kept = tmp_path / "state" / "templates"
    templates.keep_compiled(kept)
    templates._environment().get_template("listing.html")
    assert len(list(kept.iterdir())) == 1
    assert kept.stat().st_mode & 0o777 == 0o700

    templates._environment.cache_clear()  # as a new process finds it
    templates.keep_compiled(kept)
    environment = templates._environment()

    def compiled_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("a kept template was compiled again")

    monkeypatch.setattr(environment, "compile", compiled_again)
    assert environment.get_template("listing.html").render is not None


def test_a_template_that_cannot_be_kept_is_compiled_all_the_same(tmp_path: Path) -> None:
    kept = tmp_path / "templates"
    templates.keep_compiled(kept)
    shutil.rmtree(kept)  # gone while the process runs
    assert templates._environment().get_template("base.html") is not None
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    templates._environment.cache_clear()
    templates.keep_compiled(blocked / "templates")
    assert templates._environment().bytecode_cache is None
    assert templates._environment().get_template("base.html") is not None


def test_a_run_that_writes_nothing_loads_kept_templates_and_keeps_none(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`feedsvc check`: the templates a run kept are loaded, as a run that writes does; none is written, and a
    state directory without them is not made."""
    missing = tmp_path / "none" / "templates"
    templates.keep_compiled(missing, write=False)
    assert templates._environment().get_template("listing.html") is not None
    assert not missing.parent.exists()

    kept = tmp_path / "state" / "templates"
    templates._environment.cache_clear()
    templates.keep_compiled(kept)
    templates._environment().get_template("listing.html")
    before = sorted((p.name, p.stat().st_mtime_ns) for p in kept.iterdir())

    templates._environment.cache_clear()  # a new process, which writes nothing
    templates.keep_compiled(kept, write=False)
    environment = templates._environment()
    compiled = environment.compile
    seen: list[str] = []

    def compile_(source: str, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        seen.append(str(name))
        return compiled(source, name, *args, **kwargs)

    monkeypatch.setattr(environment, "compile", compile_)
    assert environment.get_template("listing.html") is not None and seen == [], "loaded, not compiled"
    assert environment.get_template("base.html") is not None and seen == ["base.html"]
    assert sorted((p.name, p.stat().st_mtime_ns) for p in kept.iterdir()) == before, "nothing written"

