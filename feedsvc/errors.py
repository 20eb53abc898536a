"""The exception tree. Per-seed problems travel as values (`SeedError`); these are raised at the edges."""

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


class OutputError(FeedsvcError):
    """A published file could not be written; the previous files are left as they were."""


class BusyError(FeedsvcError):
    """Another regeneration holds the lock (raised only when asked not to wait)."""


class Cancelled(FeedsvcError):
    """The regeneration was asked to stop; nothing was published, the cache keeps what was done."""
