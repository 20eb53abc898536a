"""What a regeneration did (`report`): the terminal's lines and the `--json` document."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from feedsvc.model import LFS_POINTER, Dropped, SeedProblem, SourceStatus
from feedsvc.report import Report

REPORT = Report(seeds=5, new=2, changed=1, unchanged=1, entries=3, feeds_written=4, feeds_unchanged=2,
                skipped=(SeedProblem("dw/bad.md", "no title"), SeedProblem("voa/a.md", LFS_POINTER),
                         SeedProblem("voa/b.md", LFS_POINTER)),
                filtered=(Dropped("all", "exclude title 广告", "urn:x", "广告标题", "https://a.example/x"),),
                sources=(SourceStatus("dw", "德国之声", 3, datetime(2024, 5, 1, tzinfo=UTC)),
                         SourceStatus("voa", "VOA", 0, None)),
                seconds=1.23456, cleaning_seconds=0.98765)


def test_the_summary_line() -> None:
    assert REPORT.summary_line() == ("seeds 5 (new 2, changed 1, unchanged 1, skipped 3) · entries 3 "
                                     "(filtered out 1) · feeds written 4, unchanged 2 · 1.23 s")
    checked = Report(feeds_written=4, feeds_unchanged=2, dry_run=True).summary_line()
    assert "feeds 6 (not written: check only)" in checked


def test_skipped_seeds_one_line_each_and_every_lfs_pointer_in_one() -> None:
    assert REPORT.skipped_lines() == [
        "dw/bad.md: no title",
        "2 seeds are git LFS pointers, not articles (first: voa/a.md): run `git lfs install && git lfs pull` in "
        "the seeds repository"]
    assert Report(skipped=(SeedProblem("a.md", LFS_POINTER),)).lfs_line() == (
        "1 seed is a git LFS pointer, not articles (first: a.md): run `git lfs install && git lfs pull` in the "
        "seeds repository")
    assert Report().lfs_line() is None and Report().skipped_lines() == []
    assert Report(skipped=(SeedProblem("a\nb\x1b.md", "x"),)).skipped_lines() == ["a\\nb\\x1b.md: x"]  # one line
    assert REPORT.filtered_lines() == ["filtered from all: 广告标题 <https://a.example/x> (exclude title 广告)"]


def test_the_json_document() -> None:
    data = json.loads(json.dumps(REPORT.to_json(), ensure_ascii=False))
    assert data["skipped"][0] == {"path": "dw/bad.md", "reason": "no title"} and data["lfs_pointers"] == 2
    assert data["filtered"] == [{"feed": "all", "rule": "exclude title 广告", "id": "urn:x", "title": "广告标题",
                                 "link": "https://a.example/x"}]
    assert data["sources"] == [{"slug": "dw", "name": "德国之声", "entries": 3, "newest": "2024-05-01T00:00:00+00:00"},
                               {"slug": "voa", "name": "VOA", "entries": 0, "newest": None}]
    assert (data["seconds"], data["cleaning_seconds"], data["new"]) == (1.235, 0.988, 2)
