"""What a regeneration did, for the terminal, for `--json` and for the daemon's health page."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from feedsvc.ingest.scan import display_path
from feedsvc.model import Dropped, SeedProblem, SourceStatus


@dataclass(frozen=True)
class Report:
    seeds: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: tuple[SeedProblem, ...] = ()
    entries: int = 0
    filtered: tuple[Dropped, ...] = ()
    """Stories a filter left out of a feed (`filters.<slug>`: of every feed; `filters.all`: of the unified one)."""
    merged: int = 0
    """Story versions folded into another (the same link in several seeds)."""
    feeds_written: int = 0
    feeds_unchanged: int = 0
    files_written: tuple[str, ...] = ()
    seconds: float = 0.0
    cleaning_seconds: float = 0.0
    """Of `seconds`, the time spent reading and cleaning new and changed seeds; the rest went to scanning,
    grouping, rendering and publishing."""
    sources: tuple[SourceStatus, ...] = ()
    dry_run: bool = False
    deferred: tuple[str, ...] = ()
    """Seeds that looked half-written: reported now, read again on the next run."""

    def summary_line(self) -> str:
        feeds = (f"feeds {self.feeds_written + self.feeds_unchanged} (not written: check only)" if self.dry_run
                 else f"feeds written {self.feeds_written}, unchanged {self.feeds_unchanged}")
        filtered = f" (filtered out {len(self.filtered)})" if self.filtered else ""
        return (f"seeds {self.seeds} (new {self.new}, changed {self.changed}, unchanged {self.unchanged}, "
                f"skipped {len(self.skipped)}) · entries {self.entries}{filtered} · {feeds} · {self.seconds:.2f} s")

    def filtered_lines(self) -> list[str]:
        """One line per story a filter left out: which feed, which rule, which story."""
        return [f"filtered from {d.feed}: {d.title} <{d.link}> ({d.rule})" for d in self.filtered]

    @property
    def lfs_pointers(self) -> tuple[SeedProblem, ...]:
        """The skipped seeds that are git LFS pointers: one cause, one remedy."""
        return tuple(p for p in self.skipped if p.lfs_pointer)

    def lfs_line(self) -> str | None:
        """The one line that reports every git LFS pointer, with what to run; None when there is none."""
        pointers = self.lfs_pointers
        if not pointers:
            return None
        return (f"{len(pointers)} seed{'s are' if len(pointers) > 1 else ' is a'} git LFS pointer"
                f"{'s' if len(pointers) > 1 else ''}, not articles (first: {display_path(pointers[0].path)}): run "
                "`git lfs install && git lfs pull` in the seeds repository")

    def skipped_lines(self) -> list[str]:
        """One line per skipped seed, `path: reason`; git LFS pointers in one line of their own (`lfs_line`)."""
        lines = [f"{display_path(p.path)}: {p.reason}" for p in self.skipped if not p.lfs_pointer]
        lfs = self.lfs_line()
        return [*lines, lfs] if lfs else lines

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["skipped"] = [{"path": display_path(p.path), "reason": p.reason} for p in self.skipped]
        data["filtered"] = [{"feed": d.feed, "rule": d.rule, "id": d.story_id, "title": d.title, "link": d.link}
                            for d in self.filtered]
        data["sources"] = [{"slug": s.slug, "name": s.name, "entries": s.entries,
                            "newest": s.newest.isoformat() if s.newest else None} for s in self.sources]
        data["lfs_pointers"] = len(self.lfs_pointers)
        data["seconds"] = round(self.seconds, 3)
        data["cleaning_seconds"] = round(self.cleaning_seconds, 3)
        return data
