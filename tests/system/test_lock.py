"""system.lock: one regeneration at a time per state directory, across processes; released when its holder
leaves, however it leaves; a state directory that cannot hold the lock is a clear error."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from feedsvc.errors import OutputError
from feedsvc.system.lock import exclusive

HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from feedsvc.system.lock import exclusive
    with exclusive(Path(sys.argv[1])):
        print("held", flush=True)
        sys.stdin.readline()  # hold the lock until told to let go, or until killed
""")


def _holder(state: Path) -> subprocess.Popen[str]:
    """A process that holds the lock on `state` once it has printed `held` (use it in a `with`)."""
    return subprocess.Popen([sys.executable, "-c", HOLDER, str(state)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)


def _held(holder: subprocess.Popen[str]) -> None:
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"


def _try(state: Path) -> int:
    """Exit status of a process that takes the lock without waiting: 0 taken, 1 held elsewhere."""
    code = ("import fcntl, os, sys\nfd = os.open(sys.argv[1], os.O_RDWR)\n"
            "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept BlockingIOError:\n    sys.exit(1)\n")
    return subprocess.run([sys.executable, "-c", code, str(state / "feedsvc.lock")], timeout=30,
                          check=False).returncode


def test_the_lock_is_held_while_inside_and_released_after(tmp_path: Path) -> None:
    with exclusive(tmp_path / "state"):
        assert _try(tmp_path / "state") == 1
    assert _try(tmp_path / "state") == 0


def test_a_second_process_waits_for_the_first(tmp_path: Path) -> None:
    with _holder(tmp_path) as holder:
        _held(holder)
        assert _try(tmp_path) == 1
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.wait(timeout=30) == 0
    with exclusive(tmp_path):  # taken at once now
        assert _try(tmp_path) == 1


def test_a_killed_holder_releases_the_lock(tmp_path: Path) -> None:
    with _holder(tmp_path) as holder:
        _held(holder)
        assert _try(tmp_path) == 1
        holder.kill()
        holder.wait(timeout=30)
    assert _try(tmp_path) == 0


def test_a_state_directory_that_cannot_hold_the_lock_is_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    with pytest.raises(OutputError, match=r"file/state: cannot create the lock file"), exclusive(blocker / "state"):
        pass
