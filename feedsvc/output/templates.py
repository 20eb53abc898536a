"""The pages for people, from Jinja2 templates (`templates/<kind>.html`, one per kind of page) that escape every
value unless it is marked as markup already (the sanitized article). Only this
module imports Jinja2. Deterministic: the same values give the same bytes."""

from __future__ import annotations

import functools
import logging
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

__all__ = ["Markup", "keep_compiled", "render", "stylesheet"]
log = logging.getLogger(__name__)


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("feedsvc.output", "templates"), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True, auto_reload=False)


def keep_compiled(directory: Path, *, write: bool = True) -> None:
    """Keep the templates compiled in `directory` (private to the operator: the state directory), so that a
    process that renders a few pages does not compile them again: 0.05 s of a one-shot run that publishes one new
    seed, against 3 ms to load them (Jinja2's own bytecode cache, keyed by each template's source and Jinja2's and
    Python's versions). Where the directory cannot be made, templates are compiled as before. Without `write` (a
    run that writes nothing: `feedsvc check`), templates kept there already are loaded, and nothing is written."""
    if write:
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            log.debug("%s: templates are compiled in memory only: %s", directory, exc)
            return
    elif not directory.is_dir():
        _environment().bytecode_cache = None
        return
    _environment().bytecode_cache = _Compiled(str(directory), write=write)


class _Compiled(jinja2.FileSystemBytecodeCache):
    """Jinja2's bytecode cache, for which a template that cannot be kept (its directory gone since, a full disk)
    is only compiled again next time; `write` false: templates are only loaded from it."""

    def __init__(self, directory: str, *, write: bool) -> None:
        super().__init__(directory)
        self.write = write

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if not self.write:
            return
        try:
            super().dump_bytecode(bucket)
        except OSError as exc:
            log.debug("a compiled template was not kept: %s", exc)


def stylesheet() -> bytes:
    """The pages' one stylesheet (`templates/style.css`), published as `style.css` beside the index."""
    return resources.files("feedsvc.output").joinpath("templates/style.css").read_bytes()


def render(kind: str, **values: Any) -> bytes:
    """The page `kind` (`templates/<kind>.html`) with `values`, UTF-8."""
    return _environment().get_template(f"{kind}.html").render(**values).encode("utf-8")
