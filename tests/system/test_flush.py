"""system.flush: staged files made durable before they are renamed into place: each with fsync, or many with one
syncfs; a write that did not reach the disk is an error either way."""

from __future__ import annotations

import ctypes
import errno
import os
from pathlib import Path

import pytest

from feedsvc.system import flush


def _files(folder: Path, count: int) -> list[Path]:
    paths = [folder / f"f{n}" for n in range(count)]
    for path in paths:
        path.write_bytes(b"x")
    return paths


def test_a_few_files_are_fsynced_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", synced.append)
    monkeypatch.setattr(flush, "_SYNCFS", lambda fd: pytest.fail("syncfs for a few files"))
    flush.make_durable(_files(tmp_path, 3))
    assert len(synced) == 3


def test_many_files_take_one_syncfs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def syncfs(fd: int) -> int:
        calls.append(fd)
        return 0

    monkeypatch.setattr(flush, "_SYNCFS", syncfs)
    monkeypatch.setattr(os, "fsync", lambda fd: pytest.fail("fsync beside syncfs"))
    flush.make_durable(_files(tmp_path, flush.SYNCFS_FROM))
    assert len(calls) == 1


def test_a_failed_syncfs_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failed(fd: int) -> int:
        ctypes.set_errno(errno.EIO)
        return -1

    monkeypatch.setattr(flush, "_SYNCFS", failed)
    with pytest.raises(OSError, match="Input/output error"):
        flush.make_durable(_files(tmp_path, flush.SYNCFS_FROM))


@pytest.mark.skipif(flush._SYNCFS is None, reason="no syncfs here (Linux only)")
def test_the_real_syncfs_returns(tmp_path: Path) -> None:
    flush.make_durable(_files(tmp_path, flush.SYNCFS_FROM))
