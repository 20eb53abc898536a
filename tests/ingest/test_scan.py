"""scan(): which files are seeds, what is passed over and why, and the summary that tells a change."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedsvc.ingest.scan import scan, seed_mark

NAMES = {  # file name -> None (a seed) or the reason it is passed over
    "story.md": None,
    "稿件 2024.md": None,  # not ASCII, valid UTF-8
    "#note.md": None,  # a leading `#` alone is no editor's mark
    "#draft.md#": "editor or partial file",
    ".#story.md": "hidden file",
    ".hidden.md": "hidden file",
    "story.md~": "editor or partial file",
    "story.md.swp": "editor or partial file",
    "upload.part": "editor or partial file",
    "empty.md": "empty file",
}


@pytest.mark.parametrize("nested", [False, True])
def test_each_name_is_a_seed_or_passed_over_with_its_reason(tmp_path: Path, nested: bool) -> None:
    seeds = tmp_path / "seeds"
    folder = seeds / "deeper" if nested else seeds
    folder.mkdir(parents=True)
    for name in NAMES:
        (folder / name).write_text("" if name == "empty.md" else "text", encoding="utf-8")
    prefix = "deeper/" if nested else ""
    found = scan(seeds)
    assert set(found.files) == {prefix + name for name, reason in NAMES.items() if reason is None}
    assert {p.path: p.reason for p in found.skipped} == {
        prefix + name: reason for name, reason in NAMES.items() if reason is not None}
    marks = 0
    for seed in found.files.values():
        marks ^= seed_mark(seed)
    assert found.summary == marks != 0
    assert found.newest == max(seed.mtime_ns for seed in found.files.values())
