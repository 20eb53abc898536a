"""The page templates (`output.templates`): compiled once, kept in the state directory for the next process."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

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
    templates._environment().get_template("row.html")
    assert len(list(kept.iterdir())) == 1
    assert kept.stat().st_mode & 0o777 == 0o700

    templates._environment.cache_clear()  # as a new process finds it
    templates.keep_compiled(kept)
    environment = templates._environment()

    def compiled_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("a kept template was compiled again")

    monkeypatch.setattr(environment, "compile", compiled_again)
    assert environment.get_template("row.html").render is not None


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
