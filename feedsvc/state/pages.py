"""What each story page showed when last written, as a run sees it: read from the cache, recorded as the run
renders, written back once the run has published.

One-shot runs and the daemon alike render again only the pages that show something else (`output.story`): a
new seed in a 10,000-story archive renders its page and its neighbours', not the two hundred pages of the
documents it changes. A page remembered but no longer on disk (an operator emptied the output directory) counts
as never shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from feedsvc.state.cache import Cache


class ShownPages:
    """Story id -> the `page_key` of what its page shows (`output.story.Shown`), over the cache; `page_of`: where
    a story's page is published, relative to `output_dir`. `everything`: the run renders every page it can (a
    first run, a rescan), so none is read."""

    def __init__(self, cache: Cache, output_dir: Path, page_of: Callable[[str], str], *,
                 everything: bool) -> None:
        self._cache = cache
        self._output_dir = output_dir
        self._page_of = page_of
        self.everything = everything
        self.recorded: dict[str, bytes] = {}

    def get(self, story_id: str) -> bytes | None:
        """What the page showed, if it is still on disk; None for a page never written, or gone since."""
        if story_id in self.recorded:
            return self.recorded[story_id]
        shown = None if self.everything else self._cache.page_shown(story_id)
        if shown is None or not (self._output_dir / self._page_of(story_id)).is_file():
            return None
        return shown

    def __setitem__(self, story_id: str, shown: bytes) -> None:
        self.recorded[story_id] = shown

    def save(self, gone: Iterable[str]) -> None:
        """Write what this run recorded, once its files are published; forget the pages of the `gone` stories."""
        self._cache.remember_pages(self.recorded, gone)
