"""regenerate(): golden feeds, validity, determinism, incrementality, atomicity and the guards around them."""

from __future__ import annotations

import ast
import contextlib
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import feedparser
import html5lib
import lxml.etree
import pytest

from feedsvc.errors import OutputError, SeedsUnavailableError
from feedsvc.output.listing import precompressed
from feedsvc.pipeline import RunOptions, regenerate
from feedsvc.settings import Settings
from feedsvc.system import flush
from tests.conftest import (
    ATOM_RNC,
    CORPUS,
    NOW,
    ROOT,
    SAMPLES,
    UPDATE_GOLDEN,
    failing_writes,
    needs_corpus,
    published,
)
from tests.feedcheck import JING, assert_valid, chain, entry_ids

GOLDEN = Path(__file__).parent / "golden"


def assert_valid_feeds(output: Path, expected_total: int, base_url: str) -> None:
    """Every check of `tests.feedcheck`; every source's chain holds its stories once, `expected_total` in all."""
    assert_valid(output, base_url)
    per_source = 0
    for feed in sorted((output / "sources").glob("*.atom")):
        ids = [i for document in chain(output, base_url, f"sources/{feed.stem}", ".atom") for i in entry_ids(document)]
        assert len(ids) == len(set(ids)), feed
        per_source += len(ids)
    assert per_source == expected_total


@pytest.mark.skipif(JING is None, reason="jing is not installed (apt-get install jing); CI installs it")
def test_jing_is_really_checking(tmp_path: Path) -> None:
    broken = tmp_path / "broken.atom"
    broken.write_text('<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>')
    assert subprocess.run([str(JING), "-c", str(ATOM_RNC), str(broken)], capture_output=True,
                          check=False).returncode != 0


def golden_settings(make_settings: Callable[..., Settings], sample_seeds: Path) -> Settings:
    return make_settings(seeds_dir=sample_seeds, base_url="https://feeds.example.org/")


@pytest.mark.parametrize(("golden", "changes"), [
    (GOLDEN, {}),
    # A small archive: the unified feed keeps the newest story, its archive the two of November 2023; and a
    # Traditional copy of every feed not written in Traditional already (DW is).
    (GOLDEN.with_name("golden-archive"), {"max_entries": 1, "chinese_variants": ("zh-Hant",)}),
])
def test_samples_match_the_golden_files(make_settings, sample_seeds: Path, golden: Path,  # type: ignore[no-untyped-def]
                                        changes: dict[str, Any]) -> None:
    settings = replace(golden_settings(make_settings, sample_seeds), **changes)
    regenerate(settings, NOW)
    files = published(settings.output_dir)
    names = sorted(n for n in files if not n.endswith(".gz"))
    if UPDATE_GOLDEN:
        shutil.rmtree(golden, ignore_errors=True)
        for name in names:
            (golden / name).parent.mkdir(parents=True, exist_ok=True)
            (golden / name).write_bytes(files[name])
    assert names == sorted(str(p.relative_to(golden)) for p in golden.rglob("*") if p.is_file())
    for name in names:
        assert files[name] == (golden / name).read_bytes(), f"{name} differs from {golden.name}/{name}"
        assert (name + ".gz" in files) == precompressed(name), "only the archive's files have no .gz sibling"
        if precompressed(name):
            assert gzip.decompress(files[name + ".gz"]) == files[name]
    assert_valid_feeds(settings.output_dir, 3, settings.base_url)


def test_feed_structure(make_settings, sample_seeds: Path) -> None:  # type: ignore[no-untyped-def]
    settings = golden_settings(make_settings, sample_seeds)
    regenerate(settings, NOW)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    unified = lxml.etree.parse(str(settings.output_dir / "all.atom"))
    assert unified.findtext("a:updated", namespaces=ns) == "2024-06-22T01:39:58.392000+00:00"
    assert unified.find("a:link[@rel='self']", ns).get("href") == "https://feeds.example.org/all.atom"
    updated = [e.findtext("a:updated", namespaces=ns) for e in unified.findall("a:entry", ns)]
    assert updated == sorted(updated, reverse=True)
    sources = [e.find("a:source/a:link", ns).get("href") for e in unified.findall("a:entry", ns)]
    assert sources[0] == "https://feeds.example.org/sources/rfa.atom"
    dw = lxml.etree.parse(str(settings.output_dir / "sources/dw.atom"))
    assert dw.getroot().get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-Hant"
    assert dw.find("a:link[@rel='alternate']", ns).get("href") == "https://www.dw.com/zh/"
    entry = dw.find("a:entry", ns)
    assert entry.find("a:content", ns).get("type") == "html"
    assert entry.find("a:summary", ns).text.startswith("（德國之聲中文網）")
    index = (settings.output_dir / "index.html").read_text(encoding="utf-8")
    assert index.count('rel="alternate" type="application/atom+xml"') == 4
    opml = lxml.etree.parse(str(settings.output_dir / "feeds.opml"))
    assert len(opml.findall(".//outline")) == 4


def test_output_is_identical_whatever_the_file_order_time_or_names(make_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = make_settings(seeds_dir=tmp_path / "a", output_dir=tmp_path / "out-a", state_dir=tmp_path / "var-a")
    second = make_settings(seeds_dir=tmp_path / "b", output_dir=tmp_path / "out-b", state_dir=tmp_path / "var-b")
    for number, sample in enumerate(sorted(SAMPLES.iterdir())):
        shutil.copy(sample, first.seeds_dir / sample.name)
        target = second.seeds_dir / f"z{9 - number}" / "renamed.txt"
        target.parent.mkdir()
        shutil.copy(sample, target)
        os.utime(target, (1_000_000_000 + number, 1_000_000_000 + number))
    regenerate(first, NOW)
    regenerate(second, NOW.replace(year=2027))
    assert published(first.output_dir) == published(second.output_dir)


def test_second_run_writes_nothing_and_parses_nothing(make_settings, sample_seeds: Path,  # type: ignore[no-untyped-def]
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings(seeds_dir=sample_seeds)
    first = regenerate(settings, NOW)
    assert 0 < first.cleaning_seconds < first.seconds  # part of the run, not all of it
    before = {p: p.stat().st_mtime_ns for p in settings.output_dir.rglob("*")}
    content = published(settings.output_dir)

    def refuse(*_: object) -> None:
        raise AssertionError("a seed was parsed again")

    monkeypatch.setattr("feedsvc.ingest.work.parse_seed", refuse)
    report = regenerate(settings, NOW)
    assert (report.new, report.changed, report.unchanged, report.feeds_written) == (0, 0, 3, 0)
    os.utime(sample_seeds / "000_5e86a5536f436506.txt")  # touched, same bytes: hashed, not parsed
    report = regenerate(settings, NOW)
    assert report.unchanged == 3 and report.files_written == () and report.cleaning_seconds == 0
    assert {p: p.stat().st_mtime_ns for p in settings.output_dir.rglob("*")} == before
    assert published(settings.output_dir) == content


@pytest.mark.parametrize("gone", ["all.atom.gz", "archive/all/2023-11.atom", "archive/sources", "sources"])
def test_a_run_with_nothing_new_publishes_again_what_went_missing(  # type: ignore[no-untyped-def]
        make_settings, sample_seeds: Path, gone: str) -> None:
    settings = make_settings(seeds_dir=sample_seeds, max_entries=1)  # archive documents too
    regenerate(settings, NOW)
    before = published(settings.output_dir)
    assert gone in before or any(name.startswith(gone + "/") for name in before)
    target = settings.output_dir / gone
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    assert regenerate(settings, NOW).files_written, "the seeds did not change, but the published files did"
    assert published(settings.output_dir) == before
    assert not regenerate(settings, NOW).files_written


def test_a_rescan_reads_every_seed_and_renders_only_what_changed(  # type: ignore[no-untyped-def]
        make_settings, sample_seeds: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import feedsvc.output.documents

    settings = make_settings(seeds_dir=sample_seeds, max_entries=1)  # archive documents too
    regenerate(settings, NOW)
    rendered: list[str] = []
    render = feedsvc.output.documents.DocumentRenderer._render_prepared

    def counted(self: Any, feed: Any, built: Any = None) -> Any:
        rendered.append(feed.stem)
        return render(self, feed, built)

    monkeypatch.setattr(feedsvc.output.documents.DocumentRenderer, "_render_prepared", counted)
    rescan = RunOptions(rehash=True)
    assert not regenerate(settings, NOW, rescan).files_written and rendered == [], "nothing changed: nothing rendered"

    # A seed rewritten in place with its size and mtime kept: only a rescan, which reads every seed, sees it.
    seed = sample_seeds / "003_a3daf6ad2938cf1d.txt"
    text, stat = seed.read_text(encoding="utf-8"), seed.stat()
    changed = text.replace("桑托罗", "桑托羅")
    assert changed != text and len(changed.encode()) == len(text.encode())
    seed.write_text(changed, encoding="utf-8")
    os.utime(seed, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert not regenerate(settings, NOW).files_written, "a plain run trusts the size and the mtime"
    report = regenerate(settings, NOW, rescan)
    assert report.changed == 1 and report.files_written
    assert sorted(rendered) == ["all", "archive/all/2023-11", "sources/rfa"], \
        "only the documents that hold the story, and the one whose first story's page names it as its newer"
    assert "桑托羅" in (settings.output_dir / "all.atom").read_text(encoding="utf-8") + \
        (settings.output_dir / "archive/all/2023-11.atom").read_text(encoding="utf-8")

    rendered.clear()
    (settings.output_dir / "archive/all/2023-11.atom").unlink()
    assert regenerate(settings, NOW, rescan).files_written == ("archive/all/2023-11.atom",)
    assert rendered == ["archive/all/2023-11"], "a deleted file is put back, with no other document rendered"


def test_a_folder_where_a_file_goes_is_reported_by_name(make_settings, sample_seeds: Path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(seeds_dir=sample_seeds)
    regenerate(settings, NOW)
    target = settings.output_dir / "sources" / "dw.rss"
    target.unlink()
    target.mkdir()
    with pytest.raises(OutputError, match=r"sources/dw\.rss: cannot be published"):
        regenerate(settings, NOW)
    assert not list(settings.output_dir.rglob(".*.tmp")), "no temporary file left behind"
    target.rmdir()
    assert "sources/dw.rss" in regenerate(settings, NOW).files_written


def test_new_seed_and_removed_seed(make_settings, sample_seeds: Path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(seeds_dir=sample_seeds, min_seed_ratio=0.0)
    regenerate(settings, NOW)
    (sample_seeds / "004.txt").write_text(
        "<!--1700000000000-->\n[新稿](https://www.dw.com/zh/new/a-1)\n------\n\n<p>新</p>\n", encoding="utf-8")
    report = regenerate(settings, NOW)
    assert (report.new, report.unchanged, report.entries) == (1, 3, 4)
    assert "sources/dw.atom" in report.files_written
    (sample_seeds / "003_a3daf6ad2938cf1d.txt").unlink()
    report = regenerate(settings, NOW)
    assert report.entries == 3
    assert not (settings.output_dir / "sources" / "rfa.atom").exists()
    (sample_seeds / "004.txt").write_text(
        "<!--1700000000000-->\n[新稿](https://www.dw.com/zh/new/a-1)\n------\n\n<p>改</p>\n", encoding="utf-8")
    assert regenerate(settings, NOW).changed == 1
    import sqlite3

    with contextlib.closing(sqlite3.connect(settings.state_dir / "cache.sqlite")) as db:
        cached = {table: db.execute(f"SELECT COUNT(DISTINCT digest) FROM {table}").fetchone()[0]
                  for table in ("seeds", "outcomes", "entries")}
    assert cached == {"seeds": 3, "outcomes": 3, "entries": 3}, "removed and replaced seeds are forgotten"


def test_changed_rules_reclean(make_settings, sample_seeds: Path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(seeds_dir=sample_seeds)
    regenerate(settings, NOW)
    kept = replace(settings, unwrap_image_proxy=False)
    report = regenerate(kept, NOW)
    assert report.feeds_written >= 2
    assert b"images.weserv.nl" in (settings.output_dir / "sources" / "dw.atom").read_bytes()
    assert _fingerprints(settings) == 1, "what the old rules cleaned is forgotten"


def test_outcomes_of_an_interrupted_run_under_other_rules_are_swept(  # type: ignore[no-untyped-def]
        make_settings, sample_seeds: Path) -> None:
    import threading

    from feedsvc.errors import Cancelled

    settings = make_settings(seeds_dir=sample_seeds)
    regenerate(settings, NOW)
    other = replace(settings, unwrap_image_proxy=False)
    cancel = threading.Event()
    with pytest.raises(Cancelled):
        regenerate(other, NOW, RunOptions(progress=lambda done, total: cancel.set(), cancel=cancel))
    assert _fingerprints(settings) == 2  # the interrupted run's work is kept until a run completes
    assert regenerate(settings, NOW).files_written == ()
    assert _fingerprints(settings) == 1


def _fingerprints(settings: Settings) -> int:
    import sqlite3

    with contextlib.closing(sqlite3.connect(settings.state_dir / "cache.sqlite")) as db:
        return int(db.execute("SELECT COUNT(DISTINCT fingerprint) FROM outcomes").fetchone()[0])


def test_duplicates_merge_newest_content_earliest_published(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    link = "https://www.voachinese.com/a/story/1.html"
    (settings.seeds_dir / "old.txt").write_text(
        f"<!--1699000000000-->\n[旧标题]({link})\n------\n\n<p>旧版本</p>\n", encoding="utf-8")
    (settings.seeds_dir / "new.md").write_text(
        f"---\nlayout: post\ntitle: \"新标题\"\ndate: 2023-11-05T00:00:00.000Z\nauthor: 美国之音\nfrom: {link}\n"
        f"tags: [ 美国之音 ]\ncategories: [ 美国之音 ]\n---\n<!--1699200000000-->\n[新标题](http://www.voachinese.com"
        f"/a/story/1.html?utm_source=x)\n------\n\n<div>\n<p>新版本</p>\n</div>\n", encoding="utf-8")
    report = regenerate(settings, NOW)
    assert report.entries == 1
    entry = feedparser.parse((settings.output_dir / "all.atom").read_bytes()).entries[0]
    assert entry.title == "新标题" and "新版本" in entry.content[0].value
    # updated: the front matter's 00:00, not the header's 16:00 (which lies after the scrape the front matter records)
    assert entry.published.startswith("2023-11-03T08:26:40") and entry.updated.startswith("2023-11-05T00:00:00")


def test_max_entries_caps_each_feed(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(max_entries=2)
    for n in range(5):
        (settings.seeds_dir / f"{n}.txt").write_text(
            f"<!--{1699000000000 + n * 1000}-->\n[第{n}](https://www.dw.com/zh/a-{n})\n------\n\n<p>{n}</p>\n",
            encoding="utf-8")
    report = regenerate(settings, NOW)
    assert report.entries == 5
    parsed = feedparser.parse((settings.output_dir / "all.atom").read_bytes())
    assert [e.title for e in parsed.entries] == ["第4", "第3"]


def test_write_failure_leaves_every_previous_file(make_settings, sample_seeds: Path,  # type: ignore[no-untyped-def]
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings(seeds_dir=sample_seeds)
    regenerate(settings, NOW)
    before = published(settings.output_dir)
    (sample_seeds / "004.txt").write_text(
        "<!--1700000000000-->\n[新稿](https://www.rfa.org/mandarin/new.html)\n------\n\n<p>新</p>\n", encoding="utf-8")
    with monkeypatch.context() as patched:
        failing_writes(patched, 3)  # a full disk, after some of the new files are staged
        with pytest.raises(OutputError, match="No space left"):
            regenerate(settings, NOW)
    assert published(settings.output_dir) == before  # no partial write, no temporary file left behind

    def disk_failed(files: Iterable[Path]) -> None:
        raise OSError(5, "Input/output error")

    with monkeypatch.context() as patched:
        patched.setattr(flush, "make_durable", disk_failed)  # a write the disk failed, found when the run syncs
        with pytest.raises(OutputError, match="Input/output error"):
            regenerate(settings, NOW)
    assert published(settings.output_dir) == before
    assert regenerate(settings, NOW).entries == 4


def test_unwritable_output(make_settings, sample_seeds: Path) -> None:  # type: ignore[no-untyped-def]
    if os.geteuid() == 0:
        blocker = sample_seeds.parent / "file-not-dir"
        blocker.write_text("x")
        settings = make_settings(seeds_dir=sample_seeds, output_dir=blocker / "public")
    else:
        locked = sample_seeds.parent / "locked"
        locked.mkdir(mode=0o500)
        settings = make_settings(seeds_dir=sample_seeds, output_dir=locked / "public")
    with pytest.raises(OutputError):
        regenerate(settings, NOW)


def test_missing_or_emptied_seeds_directory_never_shrinks_feeds(make_settings, sample_seeds: Path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(seeds_dir=sample_seeds)
    regenerate(settings, NOW)
    before = published(settings.output_dir)
    for path in list(sample_seeds.iterdir())[:2]:
        path.unlink()
    with pytest.raises(SeedsUnavailableError, match="refusing to shrink"):
        regenerate(settings, NOW)
    assert published(settings.output_dir) == before
    shutil.rmtree(sample_seeds)
    with pytest.raises(SeedsUnavailableError, match="cannot be read"):
        regenerate(settings, NOW)
    assert published(settings.output_dir) == before
    sample_seeds.mkdir()
    shutil.copy(SAMPLES / "002_7e59d68a7c4f54af.txt", sample_seeds)
    assert regenerate(settings, NOW, RunOptions(force=True)).entries == 1


@pytest.mark.parametrize("damage", ["delete", "truncate", "garbage"])
def test_damaged_cache_is_rebuilt(make_settings, sample_seeds: Path, damage: str) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(seeds_dir=sample_seeds)
    regenerate(settings, NOW)
    expected = published(settings.output_dir)
    database = settings.state_dir / "cache.sqlite"
    for extra in settings.state_dir.glob("cache.sqlite-*"):
        extra.unlink()
    if damage == "delete":
        database.unlink()
    elif damage == "truncate":
        database.write_bytes(database.read_bytes()[:1000])
    else:
        database.write_bytes(b"\x00garbage" * 500)
    shutil.rmtree(settings.output_dir)
    report = regenerate(settings, NOW)
    assert report.new == 3
    assert published(settings.output_dir) == expected


def test_cache_of_an_older_layout_is_rebuilt(make_settings, sample_seeds: Path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    settings = make_settings(seeds_dir=sample_seeds)
    regenerate(settings, NOW)
    expected = published(settings.output_dir)
    settings.state_dir.joinpath("cache.sqlite").unlink()
    with sqlite3.connect(settings.state_dir / "cache.sqlite") as old:  # the first layout: metadata as JSON only
        old.executescript("""
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE seeds (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, digest TEXT);
            CREATE TABLE outcomes (digest TEXT, fingerprint TEXT, problem TEXT, PRIMARY KEY (digest, fingerprint));
            CREATE TABLE entries (digest TEXT, fingerprint TEXT, n INTEGER, meta TEXT, content TEXT, summary TEXT,
                                  PRIMARY KEY (digest, fingerprint, n));
            INSERT INTO meta VALUES ('schema', '1');
            INSERT INTO entries VALUES ('d', 'f', 0, '[]', '', '');""")
    old.close()
    shutil.rmtree(settings.output_dir)
    report = regenerate(settings, NOW)
    assert report.new == 3
    assert published(settings.output_dir) == expected


@pytest.mark.slow
@needs_corpus
def test_corpus_feeds_are_valid(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(seeds_dir=CORPUS, workers=2)
    report = regenerate(settings, NOW)
    assert report.entries == 300
    assert sorted(p.path for p in report.skipped) == ["MANIFEST.tsv", "SOURCE.md"]
    assert_valid_feeds(settings.output_dir, 300, settings.base_url)
    again = regenerate(settings, NOW)
    assert again.files_written == () and again.unchanged == 300


@pytest.mark.slow
@needs_corpus
def test_kill_9_at_any_point_leaves_valid_feeds(tmp_path: Path) -> None:
    seeds, output, state = tmp_path / "seeds", tmp_path / "public", tmp_path / "var"
    shutil.copytree(CORPUS, seeds)
    command = [sys.executable, "-m", "feedsvc", "regenerate", "--seeds", str(seeds), "--output", str(output),
               "--state", str(state), "-q"]
    env = {**os.environ, "FEEDSVC_CONFIG": str(ROOT / "config" / "feedsvc.toml")}
    subprocess.run(command, check=True, env=env)
    for round_, delay in enumerate((0.05, 0.15, 0.3, 0.5, 0.8, 1.2)):
        before = published(output)
        for path in sorted(seeds.iterdir())[round_::7]:
            path.write_bytes(path.read_bytes().replace(b"</p>", b"</p><p>rev</p>", 1))
        process = subprocess.Popen(command, env=env)
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        after = published(output)
        for name, data in after.items():
            if name.endswith(".atom"):
                assert data == before.get(name) or feedparser.parse(data).bozo == 0
        assert set(after) == set(before)
    subprocess.run(command, check=True, env=env)
    assert_valid_feeds(output, 300, "http://127.0.0.1:8080/")
    assert not list(output.rglob(".*")), "temporary files of killed runs are cleaned up"


def _tree(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_check_reads_the_cache_and_writes_nothing(make_settings) -> None:  # type: ignore[no-untyped-def]
    """`check` after a run cleans nothing again (it reads a copy of the cache) and leaves the state directory and
    the output as they were, whatever it finds: a new seed is cleaned in the copy only."""
    settings = make_settings()
    shutil.copytree(SAMPLES, settings.seeds_dir, dirs_exist_ok=True)
    regenerate(settings, NOW)
    before = (_tree(settings.state_dir), _tree(settings.output_dir))
    report = regenerate(settings, NOW, RunOptions(dry_run=True, force=True))
    assert (report.unchanged, report.new, report.dry_run, report.entries) == (3, 0, True, 3)
    (settings.seeds_dir / "new.txt").write_bytes((SAMPLES / "002_7e59d68a7c4f54af.txt").read_bytes().replace(
        b"7343844.html", b"7343845.html"))
    changed = replace(settings, max_entries=2)  # an output setting: every document would be rendered again
    report = regenerate(changed, NOW, RunOptions(dry_run=True, force=True))
    assert (report.unchanged, report.new, report.entries, report.cleaning_seconds > 0) == (3, 1, 4, True)
    assert (_tree(settings.state_dir), _tree(settings.output_dir)) == before
    assert regenerate(settings, NOW).new == 1, "the real run still finds the new seed to clean"


def _regenerate_importing(settings: Settings, modules: tuple[str, ...]) -> tuple[str, list[str]]:
    """`feedsvc regenerate` run as a user runs it: what it printed, and which of `modules` it imported."""
    script = (
        "import sys\n"
        "from feedsvc.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print('imported:', [m for m in {modules!r} if m in sys.modules])\n")
    args = ["regenerate", "--seeds", str(settings.seeds_dir), "--output", str(settings.output_dir),
            "--state", str(settings.state_dir), "--base-url", settings.base_url]
    env = {**os.environ, "FEEDSVC_CONFIG": str(ROOT / "config" / "feedsvc.toml")}
    result = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=env,
                            timeout=120, check=False)
    printed, _, imported = result.stdout.partition("imported: ")
    assert imported, result.stdout + result.stderr
    return printed, ast.literal_eval(imported.strip())


def test_a_run_with_nothing_to_do_imports_no_parser_cleaner_or_renderer(make_settings) -> None:  # type: ignore[no-untyped-def]
    """A warm command costs what its scan costs, not the import of bleach, feedgen, OpenCC, feedparser or lxml
    (whose selectors the last run compiled), nor of the stages past the scan, nor of what only image URLs
    (`html`), worker processes (`ctypes`) or entry ids (`uuid`, which imports `platform`) need."""
    settings = make_settings()
    shutil.copytree(SAMPLES, settings.seeds_dir, dirs_exist_ok=True)
    regenerate(settings, NOW)
    printed, imported = _regenerate_importing(settings, (
        "bleach", "feedgen", "opencc", "feedparser", "aiohttp", "lxml", "jinja2", "feedsvc.ingest.triage",
        "feedsvc.state.index", "feedsvc.output.publish", "feedsvc.stories.filters", "html", "ctypes", "uuid"))
    assert "unchanged 3" in printed, printed
    assert imported == []


def test_a_run_with_a_few_new_seeds_starts_and_imports_no_worker_process(make_settings) -> None:  # type: ignore[no-untyped-def]
    """A few new seeds are cleaned and their documents rendered in the command's own process: the machinery of
    worker processes (`multiprocessing`, `concurrent.futures.process`) is not even imported."""
    settings = make_settings()
    shutil.copytree(SAMPLES, settings.seeds_dir, dirs_exist_ok=True)
    regenerate(settings, NOW)
    (settings.seeds_dir / "new.txt").write_bytes((SAMPLES / "002_7e59d68a7c4f54af.txt").read_bytes().replace(
        b"7343844.html", b"7343845.html"))
    printed, imported = _regenerate_importing(settings, ("multiprocessing", "concurrent.futures.process", "bleach"))
    assert "new 1" in printed, printed
    assert imported == ["bleach"], "it cleaned the new seed here"


def test_a_config_file_of_one_line_publishes_what_the_shipped_one_does(tmp_path: Path) -> None:
    """A file names only what it changes: the shipped sources (their names, languages and cleaning rules) stay."""
    from feedsvc.settings import load_settings

    published_by = []
    for name, text in (("shipped", (ROOT / "config" / "feedsvc.toml").read_text(encoding="utf-8")),
                       ("short", "max_entries = 100\n")):
        (tmp_path / f"{name}.toml").write_text(text, encoding="utf-8")
        settings = load_settings(tmp_path / f"{name}.toml", environ={}, overrides={
            "seeds_dir": str(SAMPLES), "output_dir": str(tmp_path / name / "public"),
            "state_dir": str(tmp_path / name / "var")})
        regenerate(settings, NOW)
        published_by.append(published(settings.output_dir))
    assert "sources/dw.atom" in published_by[0]
    assert published_by[1] == published_by[0]


def test_the_feed_extensions_are_the_formats() -> None:
    from feedsvc.output.documents import FORMATS
    from feedsvc.pipeline import FEED_EXTENSIONS

    assert sorted(FEED_EXTENSIONS) == sorted(extension for extension, _ in FORMATS.values())


@needs_corpus
def test_the_shipped_rules_leave_no_known_clutter_in_the_corpus(make_settings) -> None:  # type: ignore[no-untyped-def]
    """Widgets and promotions found on the 300-seed sample are gone from every story, and the credits beside them
    stay: CDT's "The post … appeared first on", CNA's newsletter form and pitch, NYT's briefing invitation and
    English-version link (both wordings of the invitation), CNA's insets of links and a glossary box's buttons (its
    text stays), Bitter Winter's empty donation links, Initium's membership
    pitch (the line saying the rest is for members, and the link to the original, stay), Nei.st's ad slots, related
    stories, categories, tags and closing sign, the Economist's date line (its byline stays), the Epoch Times' "#"
    after its editor's credit, RFA's lists of its related stories, RTI's item codes and RFI's column names in titles."""
    settings = make_settings(seeds_dir=CORPUS, formats=("json",), archives=False, max_entries=1000)
    assert regenerate(settings, NOW).entries == 300
    items = json.loads((settings.output_dir / "all.json").read_bytes())["items"]
    assert len(items) == 300
    content = "\n".join(item.get("content_html", "") for item in items)
    text = re.sub(r"<[^>]*>", "", content)  # as a reader reads it
    for clutter in ("appeared first on 中国数字时代", "請輸入正確的電子信箱格式", "感謝您的訂閱", "感谢阅读今天的简报",
                    "点击查看本文英文版", "同步發送電子報", "中央社國際新聞電子報", "订阅NYT简报", "订阅时报中文简报",
                    "每月只需一餐飯的錢", "請成為付費會員"):
        assert clutter not in text, clutter
    assert "閱讀餘下全文，需要您的小額支持" in text and text.count("原文鏈接：") == 2
    for clutter in ("Support Nei.st", "肆零", "Twenty-first Century Bimonthly", "The Coronavirus Crisis"):
        assert clutter not in text, clutter  # the last two: a category's and a tag's names under the stories
    assert not re.search(r"<p>\s*NO\s*</p>", content), "the ad slots' label"
    assert "Oct 26th 2020" not in text and "by S.V." in text
    for clutter in ("防疫資訊", "今晨最新", "看更多", "關閉"):  # as paragraphs of their own (stories use the words)
        assert f"<p>{clutter}</p>" not in content, clutter
    assert "低溫燈號小百科" in text and "黃色燈號" in text
    assert not re.search(r'<ul><li>(?:<(?:strong|b)>)?<a href="https?://www\.rfa\.org/', content), "RFA's related"
    assert text.count("责任编辑：") == 13 and not re.search(r"责任编辑：\S{1,4}\s?#", text), "the credit without the #"
    assert "paypal.com" not in content
    assert content.count("翻译：") >= 5 and content.count("寒冬記者") >= 10, "credits and bylines stay"
    titles = [item["title"] for item in items]
    assert not [t for t in titles if re.search(r" - (\d{6}-\d+|国际纵横)$", t)]
    assert "[財經] 台股過熱？黃天牧：並非「無基之彈」" in titles


def crawl(out: Path, base_url: str) -> set[str]:
    """Every file of the site reached from `out/index.html` by following its pages' links: each link to the site's
    own files relative (never below `base_url`) and naming a file that is there."""
    todo, seen, targets = [out / "index.html"], set(), set()
    while todo:
        page = todo.pop()
        if page in seen:
            continue
        seen.add(page)
        document = html5lib.parse(page.read_bytes())
        for element in [*document.iter("{http://www.w3.org/1999/xhtml}a"),
                        *document.iter("{http://www.w3.org/1999/xhtml}link")]:
            href = element.get("href", "")
            assert not href.startswith(base_url), (page, href)
            if href.startswith(("http://", "https://", "mailto:")):
                continue  # the original articles, and links inside them
            target = (page.parent / href).resolve()
            assert target.is_file() and out.resolve() in target.parents, (page, href)
            targets.add(target.relative_to(out.resolve()).as_posix())
            if target.suffix == ".html":
                todo.append(target)
    return targets


def every_story_page(out: Path) -> set[str]:
    """The page of every story some published JSON Feed document holds (subscription and archive documents)."""
    from feedsvc.output.pages import story_page

    ids = {item["id"] for path in out.rglob("*.json") if not path.is_relative_to(out / "zh-hant")
           for item in json.loads(path.read_text(encoding="utf-8"))["items"]}
    return {story_page(story_id) for story_id in ids}


def test_the_pages_link_each_other_relatively_and_every_link_resolves_on_disk(make_settings) -> None:  # type: ignore[no-untyped-def]
    """From index.html, every link to the site's own files is relative and names a file that is there, so the
    published folder works from disk, a sub-folder or any static host; every story has a page the crawl reaches;
    the addresses shown to paste into a reader stay whole."""
    settings = make_settings(max_entries=1, chinese_variants=("zh-Hant",))
    shutil.copytree(SAMPLES, settings.seeds_dir, dirs_exist_ok=True)
    regenerate(settings, NOW)
    out = settings.output_dir
    targets = crawl(out, settings.base_url)
    assert {"all.atom", "zh-hant/all.atom", "feeds.opml", "archive/all/index.html", "sources/dw.json"} <= targets
    assert any(t.startswith("archive/all/") and t.endswith(".html") and not t.endswith("index.html") for t in targets)
    pages = every_story_page(out)
    assert len(pages) == 3 and pages <= targets
    assert {str(p.relative_to(out)) for p in (out / "stories").rglob("*.html")} == pages
    assert f"<code>{settings.base_url}all.atom</code>" in (out / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
@needs_corpus
def test_a_crawl_of_the_corpus_site_reaches_every_story_with_no_broken_link(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(seeds_dir=CORPUS, max_entries=20, archive_split_entries=40)
    regenerate(settings, NOW)
    out = settings.output_dir
    pages = every_story_page(out)
    assert len(pages) > 250
    assert pages <= crawl(out, settings.base_url)


def test_a_worker_process_starting_refuses_to_run(make_settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A script that calls `regenerate` at its top level is imported again by each worker process it starts; the
    call in the worker must fail at once rather than wait for the run lock its parent holds."""
    import multiprocessing

    monkeypatch.setattr(multiprocessing.current_process(), "_inheriting", True, raising=False)
    with pytest.raises(RuntimeError, match="if __name__ == "):
        regenerate(make_settings(), NOW)


def test_a_run_after_a_killed_one_sweeps_its_temporary_files_from_every_folder(make_settings) -> None:  # type: ignore[no-untyped-def]
    """A run killed while staging leaves its mark in the state directory and temporary files in folders the next
    run may not write to (a story page's): the next run that publishes sweeps them all, and leaves no mark."""
    from feedsvc.pipeline import STAGING_MARK

    settings = make_settings()
    shutil.copy(SAMPLES / sorted(p.name for p in SAMPLES.iterdir())[0], settings.seeds_dir)
    regenerate(settings, NOW)
    assert not (settings.state_dir / STAGING_MARK).exists()
    leftover = settings.output_dir / "stories" / "zz" / ".page.html.x1y2z3.tmp"
    leftover.parent.mkdir(parents=True)
    leftover.write_text("half written")
    (settings.state_dir / STAGING_MARK).touch()  # as a run killed while staging leaves it
    for sample in SAMPLES.iterdir():
        shutil.copy(sample, settings.seeds_dir)
    regenerate(settings, NOW)
    assert not leftover.exists()
    assert not (settings.state_dir / STAGING_MARK).exists()
