"""The exception tree. Per-seed problems travel as values (`model.SeedProblem`, a path and a reason) and never
stop a run; the exceptions here are raised at the edges (config, seeds directory, one seed's file, the cache, the
output) and caught where a problem becomes a value or an exit status."""

from __future__ import annotations


class FeedsvcError(Exception):
    """Root of every error feedsvc raises on purpose."""


class ConfigError(FeedsvcError):
    """The configuration is invalid: names the file, the key and the bad value."""

    def __init__(self, source: str, key: str, message: str) -> None:
        self.source = source
        self.key = key
        super().__init__(f"{source}: {key}: {message}" if key else f"{source}: {message}")


class SeedsUnavailableError(FeedsvcError):
    """The seeds directory is missing, unreadable or suspiciously emptier than last time."""


class SeedError(FeedsvcError):
    """One seed cannot be used; becomes that seed's `SeedProblem`, never a failed run."""


class SeedReadError(SeedError):
    """A seed's file could not be read; `transient` when it changed while being read (read it again later)."""

    def __init__(self, reason: str, *, transient: bool = False) -> None:
        super().__init__(reason)
        self.transient = transient


class FeedFileError(SeedError):
    """A seed looks like an RSS or Atom document but cannot be used; the message says why."""


class CacheError(FeedsvcError):
    """The cache database is damaged or unusable; it is set aside and rebuilt from the seeds."""


class OutputError(FeedsvcError):
    """A published file could not be written; the previous files are left as they were."""


class Cancelled(FeedsvcError):
    """The regeneration was asked to stop; nothing was published, the cache keeps what was done."""
