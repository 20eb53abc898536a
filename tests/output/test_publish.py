"""publish: all or nothing, unchanged files untouched, deterministic .gz siblings, pruning."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from feedsvc.errors import OutputError
from feedsvc.images.policy import ImagePolicy
from feedsvc.output.compress import gzipped
from feedsvc.output.publish import publish
from feedsvc.system import flush
from tests.conftest import failing_writes


def _names(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_writes_every_file_with_a_gzip_sibling(tmp_path: Path) -> None:
    result = publish(tmp_path, {"all.atom": b"<feed/>", "sources/dw.atom": b"<dw/>"})
    assert _names(tmp_path) == ["all.atom", "all.atom.gz", "sources/dw.atom", "sources/dw.atom.gz"]
    assert gzip.decompress((tmp_path / "sources/dw.atom.gz").read_bytes()) == b"<dw/>"
    assert sorted(result.written) == _names(tmp_path)
    assert (tmp_path / "all.atom.gz").read_bytes() == gzipped(b"<feed/>")


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
    failing_writes(monkeypatch, 3)  # after some of the new files are already staged
    with pytest.raises(OutputError, match="No space left on device"):
        publish(tmp_path, {"all.atom": b"new all", "sources/dw.atom": b"new dw"})
    assert (tmp_path / "all.atom").read_bytes() == b"old all"
    assert (tmp_path / "sources/dw.atom").read_bytes() == b"old dw"
    assert not list(tmp_path.rglob(".*.tmp")), "staged files are removed"


def test_files_are_on_the_disk_before_any_is_renamed_into_place(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_sync, real_replace = flush.make_durable, os.replace

    def sync(files: Iterable[Path]) -> None:
        events.append(f"sync {len(list(files))}")
        real_sync([])

    def replace(source: Any, target: Any) -> None:
        events.append(f"rename {Path(target).name}")
        real_replace(source, target)

    monkeypatch.setattr(flush, "make_durable", sync)
    monkeypatch.setattr("feedsvc.output.publish.os.replace", replace)
    publish(tmp_path, {"all.atom": b"<feed/>", "archive/all/2024-05.atom": b"<old/>"})
    assert events == ["sync 3", "rename all.atom", "rename 2024-05.atom", "rename all.atom.gz"], \
        "one sync for every staged file, .gz siblings included, before the first rename"
    events.clear()
    publish(tmp_path, {"all.atom": b"<feed/>", "archive/all/2024-05.atom": b"<old/>"})
    assert events == [], "nothing staged: nothing to sync"


def test_a_write_the_disk_fails_at_the_sync_leaves_every_previous_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    publish(tmp_path, {"all.atom": b"old all"})

    def failed(files: Iterable[Path]) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(flush, "make_durable", failed)
    with pytest.raises(OutputError, match="Input/output error"):
        publish(tmp_path, {"all.atom": b"new all", "sources/dw.atom": b"dw"})
    assert _names(tmp_path) == ["all.atom", "all.atom.gz"]
    assert (tmp_path / "all.atom").read_bytes() == b"old all"
    assert not list(tmp_path.rglob(".*.tmp")), "staged files are removed"


def test_every_staged_file_is_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fsynced: list[tuple[int, int]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        info = os.fstat(fd)
        fsynced.append((info.st_dev, info.st_ino))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    files = [tmp_path / f"f{n}" for n in range(5)]
    for path in files:
        path.write_bytes(b"x")
    flush.make_durable(iter(files))
    assert fsynced == [(p.stat().st_dev, p.stat().st_ino) for p in files]


def test_a_sibling_the_archive_no_longer_has_is_removed_when_its_file_is_written(tmp_path: Path) -> None:
    folder = tmp_path / "archive" / "all"
    folder.mkdir(parents=True)
    (folder / "2024-05.html").write_bytes(b"<old/>")
    (folder / "2024-05.html.gz").write_bytes(gzipped(b"<old/>"))  # published when pages had siblings
    publish(tmp_path, {"archive/all/2024-05.html": b"<new/>"})
    assert _names(tmp_path) == ["archive/all/2024-05.html"], "a server would send the stale sibling"


def test_leftovers_of_a_killed_run_are_removed(tmp_path: Path) -> None:
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources/.dw.atom.x1.tmp").write_bytes(b"half")
    publish(tmp_path, {"sources/dw.atom": b"dw"})
    assert _names(tmp_path) == ["sources/dw.atom", "sources/dw.atom.gz"]


@pytest.mark.skipif(not hasattr(os, "posix_fadvise") or not Path("/proc/self/fd").is_dir(),
                    reason="posix_fadvise and /proc/self/fd are Linux's")
def test_archive_documents_are_dropped_from_the_page_cache_once_written_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []
    real_written_out, real_fadvise = flush.written_out, os.posix_fadvise

    def name(fd: int) -> str:
        return Path(os.readlink(f"/proc/self/fd/{fd}")).name.split(".tmp")[0].lstrip(".").rsplit(".", 1)[0]

    def written_out(fd: int) -> None:
        calls.append(("written out", name(fd)))
        real_written_out(fd)

    def fadvise(fd: int, offset: int, length: int, advice: int) -> None:
        calls.append(("drop" if advice == os.POSIX_FADV_DONTNEED else "other", name(fd)))
        real_fadvise(fd, offset, length, advice)

    monkeypatch.setattr("feedsvc.output.publish.written_out", written_out)
    monkeypatch.setattr(os, "posix_fadvise", fadvise)
    files = {"all.atom": b"<feed/>", "archive/all/2024-05.atom": b"<old/>", "archive/all/2024-05.json": b"{}",
             "archive/all/2024-05.html": b"<page/>"}
    publish(tmp_path, files)
    assert {n for kind, n in calls if kind == "drop"} == {"2024-05.atom", "2024-05.json"}, \
        "archive documents only: subscription documents, pages and .gz siblings stay cached for the readers"
    for document in ("2024-05.atom", "2024-05.json"):
        assert calls.index(("written out", document)) < calls.index(("drop", document)), \
            "dirty pages cannot be dropped"
    assert {n for kind, n in calls if kind == "written out"} == {"2024-05.atom", "2024-05.json"}, \
        "the others go to the disk with the rest of the run"
    assert {name: (tmp_path / name).read_bytes() for name in files} == files


def test_a_worker_that_cannot_write_fails_its_task_with_the_reason_and_leaves_no_temporary_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from feedsvc.output import publish as publishing
    from feedsvc.output import workers

    class Renderer:
        def with_pages(self, pages: object, navs: object = None) -> Renderer:
            return self

        def render_group(self, group: object, read: object) -> Iterator[tuple[str, bytes]]:
            yield from [("all.atom", b"<feed/>"), ("sources/dw.atom", b"<dw/>"), ("index.html", b"<page/>")]

    def stage(folder: Path, name: str, data: bytes) -> Any:
        if name == "sources/dw.atom":
            raise OSError(28, "No space left on device")
        return publishing.stage_file(folder, name, data)

    job = workers.RenderJob(tmp_path, tmp_path / "cache.sqlite", "prints", ("atom",), (), {}, ImagePolicy())
    with ThreadPoolExecutor(1) as writers:
        monkeypatch.setattr(workers, "_WORKER", workers._Worker(job, Renderer(), writers, cache=object()))  # type: ignore[arg-type]
        monkeypatch.setattr(workers, "stage_file", stage)
        with pytest.raises(OutputError, match=r"cannot write the feeds \(No space left on device\)"):
            workers._render([], {}, {})
    assert _names(tmp_path) == [], "the files it did write are removed"
