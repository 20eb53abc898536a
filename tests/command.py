"""Running the command line inside the test process: its exit status and everything it printed."""

from __future__ import annotations

import os
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from io import StringIO

from feedsvc.cli import main


@dataclass(frozen=True)
class Result:
    exit_code: int
    output: str
    """Standard output and standard error, as they were written."""


def invoke(args: list[str], env: dict[str, str] | None = None) -> Result:
    """`feedsvc <args>` with `env` added to the environment while it runs."""
    written = StringIO()
    saved = dict(os.environ)
    os.environ.update(env or {})
    try:
        with redirect_stdout(written), redirect_stderr(written):
            try:
                main(args)
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return Result(code, written.getvalue())
