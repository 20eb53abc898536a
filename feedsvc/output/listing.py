"""The output directory's layout, as every run reads it: where story pages and archives go, which files have a
`.gz` sibling, and which files are published now (`Listing`). A module of its own, light to import: a run that
finds nothing to do checks that every file it published is still there, and imports nothing that writes.
"""

from __future__ import annotations

import os
from pathlib import Path

ARCHIVE_DIR = "archive"
STORIES_DIR = "stories"
"""Where the story pages are published (`output.pages.story_page`)."""


def archive_document(name: str) -> bool:
    """Whether `name` is an archive document (`…archive/<feed>/<period>.<format>`): together they hold every story
    of every feed, and each is fetched once per reader."""
    return "/archive/" in f"/{name}" and name.endswith((".atom", ".rss", ".json"))


def precompressed(name: str) -> bool:
    """Whether `name` gets a `.gz` sibling: every file but the archive's (`…archive/…`: its documents, which would
    double the cost of writing them, and its pages, a few hundred more files a cold run writes for people who
    read one now and then) and the story pages (`stories/…`, one a story). The servers compress those when asked
    (feedsvc.serve.web, and nginx's `gzip on` for /archive/ and /stories/)."""
    return "/archive/" not in f"/{name}" and not name.startswith(f"{STORIES_DIR}/")


def with_sibling(name: str) -> list[str]:
    """The files a published `name` is: itself, and its `.gz` sibling if it has one."""
    return [name, name + ".gz"] if precompressed(name) else [name]


class Listing:
    """Which files the output directory publishes, each folder listed once, when first asked (a `stat` and a `Path`
    per file cost twenty times the listing of its folder: 11,000 files at 100,000 seeds)."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir
        self._folders: dict[str, set[str]] = {}

    def holds(self, name: str) -> bool:
        """Whether `name` is published, with its `.gz` sibling where it has one."""
        folder, _, _ = name.rpartition("/")
        files = self._folders.get(folder)
        if files is None:
            try:
                with os.scandir(self.output_dir / folder) as entries:
                    files = {entry.name for entry in entries if entry.is_file()}
            except OSError:  # not there, or not a folder: it holds nothing
                files = set()
            self._folders[folder] = files
        return all(file.rpartition("/")[2] in files for file in with_sibling(name))
