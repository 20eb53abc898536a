"""One regeneration at a time per state directory, across processes (a cron job beside the daemon)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from feedsvc.errors import OutputError


@contextmanager
def exclusive(state_dir: Path) -> Iterator[None]:
    """Hold `state_dir/feedsvc.lock`, waiting for its holder to finish."""
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(state_dir / "feedsvc.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise OutputError(f"{state_dir}: cannot create the lock file: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock, also when the process dies
