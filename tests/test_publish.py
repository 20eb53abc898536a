"""publish: all or nothing, unchanged files untouched, deterministic .gz siblings, pruning."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from feedsvc.errors import OutputError
from feedsvc.output.publish import gzipped, publish


def _names(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_writes_every_file_with_a_gzip_sibling(tmp_path: Path) -> None:
    result = publish(tmp_path, {"all.atom": b"<feed/>", "sources/dw.atom": b"<dw/>"})
    assert _names(tmp_path) == ["all.atom", "all.atom.gz", "sources/dw.atom", "sources/dw.atom.gz"]
    assert gzip.decompress((tmp_path / "sources/dw.atom.gz").read_bytes()) == b"<dw/>"
    assert sorted(result.written) == _names(tmp_path)
    assert gzipped(b"x" * 100) == gzipped(b"x" * 100), "no timestamp in the gzip header"


def test_unchanged_files_are_not_touched(tmp_path: Path) -> None:
    publish(tmp_path, {"all.atom": b"one", "index.html": b"page"})
    before = (tmp_path / "all.atom").stat().st_mtime_ns
    result = publish(tmp_path, {"all.atom": b"one", "index.html": b"new page"})
    assert result.written == ("index.html", "index.html.gz")
    assert (tmp_path / "all.atom").stat().st_mtime_ns == before
    assert "all.atom" in result.unchanged


def test_prune_removes_files_no_longer_published_but_keeps_kept_ones(tmp_path: Path) -> None:
    publish(tmp_path, {"sources/a.atom": b"a", "sources/b.atom": b"b", "sources/c.atom": b"c"})
    result = publish(tmp_path, {"sources/a.atom": b"a2"}, prune=("sources",), keep=("sources/b.atom",))
    assert _names(tmp_path) == ["sources/a.atom", "sources/a.atom.gz", "sources/b.atom", "sources/b.atom.gz"]
    assert sorted(result.removed) == ["sources/c.atom", "sources/c.atom.gz"]


def test_a_failure_leaves_every_previous_file_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    publish(tmp_path, {"all.atom": b"old all", "sources/dw.atom": b"old dw"})
    real_fsync = os.fsync
    calls = 0

    def failing_fsync(fd: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:  # after some of the new files are already staged
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OutputError, match="No space left on device"):
        publish(tmp_path, {"all.atom": b"new all", "sources/dw.atom": b"new dw"})
    assert (tmp_path / "all.atom").read_bytes() == b"old all"
    assert (tmp_path / "sources/dw.atom").read_bytes() == b"old dw"
    assert not list(tmp_path.rglob(".*.tmp")), "staged files are removed"


def test_leftovers_of_a_killed_run_are_removed(tmp_path: Path) -> None:
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources/.dw.atom.x1.tmp").write_bytes(b"half")
    publish(tmp_path, {"sources/dw.atom": b"dw"})
    assert _names(tmp_path) == ["sources/dw.atom", "sources/dw.atom.gz"]


@pytest.mark.skipif(not hasattr(os, "posix_fadvise") or not Path("/proc/self/fd").is_dir(),
                    reason="posix_fadvise and /proc/self/fd are Linux's")
def test_archive_documents_are_dropped_from_the_page_cache_once_fsynced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []
    real_fsync, real_fadvise = os.fsync, os.posix_fadvise

    def name(fd: int) -> str:
        return Path(os.readlink(f"/proc/self/fd/{fd}")).name.split(".tmp")[0].lstrip(".").rsplit(".", 1)[0]

    def fsync(fd: int) -> None:
        calls.append(("fsync", name(fd)))
        real_fsync(fd)

    def fadvise(fd: int, offset: int, length: int, advice: int) -> None:
        calls.append(("drop" if advice == os.POSIX_FADV_DONTNEED else "other", name(fd)))
        real_fadvise(fd, offset, length, advice)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "posix_fadvise", fadvise)
    files = {"all.atom": b"<feed/>", "archive/all/2024-05.atom": b"<old/>", "archive/all/2024-05.json": b"{}",
             "archive/all/2024-05.html": b"<page/>"}
    publish(tmp_path, files)
    assert {n for kind, n in calls if kind == "drop"} == {"2024-05.atom", "2024-05.json"}, \
        "archive documents only: subscription documents, pages and .gz siblings stay cached for the readers"
    for document in ("2024-05.atom", "2024-05.json"):
        assert calls.index(("fsync", document)) < calls.index(("drop", document)), "dirty pages cannot be dropped"
    assert {name: (tmp_path / name).read_bytes() for name in files} == files
