"""The pages for people, from Jinja2 templates (`templates/<kind>.html`, one per kind of page) that escape every
value unless it is marked as markup already (the sanitized article, rows made once for several pages). Only this
module imports Jinja2. Deterministic: the same values give the same bytes."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

__all__ = ["Markup", "render", "stylesheet"]


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("feedsvc.output", "templates"), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True, auto_reload=False)


def stylesheet() -> bytes:
    """The pages' one stylesheet (`templates/style.css`), published as `style.css` beside the index."""
    return resources.files("feedsvc.output").joinpath("templates/style.css").read_bytes()


def render(kind: str, **values: Any) -> bytes:
    """The page `kind` (`templates/<kind>.html`) with `values`, UTF-8."""
    return _environment().get_template(f"{kind}.html").render(**values).encode("utf-8")
