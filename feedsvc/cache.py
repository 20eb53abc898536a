"""The incremental cache: an SQLite database in the state directory.

For each seed path: size, mtime and content digest. For each (digest, fingerprint): the parse-and-clean outcome,
either the entries or the reason there are none. The fingerprint covers the code version and every setting that
changes parsing or cleaning, so a change of rules re-cleans. Deleting the database is always safe; a corrupt one
is detected, set aside and rebuilt.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from feedsvc.group import Version
from feedsvc.model import Entry, EntryMeta, Provenance, SeedFile

log = logging.getLogger(__name__)
SCHEMA_VERSION = "2"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seeds (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
                                  digest TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outcomes (digest TEXT NOT NULL, fingerprint TEXT NOT NULL, problem TEXT,
                                     PRIMARY KEY (digest, fingerprint));
CREATE TABLE IF NOT EXISTS entries (digest TEXT NOT NULL, fingerprint TEXT NOT NULL, n INTEGER NOT NULL,
                                    key TEXT NOT NULL, id TEXT NOT NULL, source TEXT NOT NULL,
                                    updated INTEGER NOT NULL, published INTEGER NOT NULL,
                                    meta TEXT NOT NULL, content TEXT NOT NULL, summary TEXT NOT NULL,
                                    PRIMARY KEY (digest, fingerprint, n));
CREATE INDEX IF NOT EXISTS entries_versions ON entries (fingerprint, digest, n, key, id, source, updated, published);
"""
_TABLES = ("seeds", "outcomes", "entries")


def set_aside(path: Path, problem: Exception) -> None:
    """Move a damaged database out of the way (kept as `*.corrupt` for a post-mortem); the next open starts afresh."""
    log.warning("%s: cache database is damaged (%s); rebuilding it from the seeds", path, problem)
    aside = path.with_name(path.name + ".corrupt")
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            Path(str(path) + suffix).replace(str(aside) + suffix)


def meta_to_json(meta: EntryMeta) -> str:
    p = meta.provenance
    return json.dumps([meta.id, meta.title, meta.link, meta.published.isoformat(), meta.updated.isoformat(),
                       meta.source_slug, meta.source_name, meta.author, list(meta.categories), meta.language,
                       [list(p.seeds), p.title_from, p.published_from, p.updated_from, p.encoding]],
                      ensure_ascii=False)


def meta_from_json(text: str) -> EntryMeta:
    (id_, title, link, published, updated, slug, name, author, categories, language, prov) = json.loads(text)
    return EntryMeta(id_, title, link, datetime.fromisoformat(published), datetime.fromisoformat(updated), slug,
                     name, author, tuple(categories), language,
                     Provenance(tuple(prov[0]), prov[1], prov[2], prov[3], prov[4]))


class Cache:
    """The state database. Use `Cache.open(path)`; every method commits its own work."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return cls._connect(path)
        except sqlite3.DatabaseError as exc:
            set_aside(path, exc)
            return cls._connect(path)

    @classmethod
    def _connect(cls, path: Path) -> Cache:
        db = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            version = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if version is None or version[0] != SCHEMA_VERSION:  # another layout: start afresh
                db.executescript("".join(f"DROP TABLE {table};" for table in _TABLES) + _SCHEMA)
                db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        except sqlite3.DatabaseError:
            db.close()
            raise
        return cls(db, path)

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def get(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def known_seeds(self) -> dict[str, tuple[int, int, str]]:
        """path -> (size, mtime_ns, digest) of every seed seen last time."""
        return {row[0]: (row[1], row[2], row[3]) for row in self._db.execute("SELECT * FROM seeds")}

    def set_seeds(self, seeds: Iterable[tuple[SeedFile, str]], known: Mapping[str, tuple[int, int, str]]) -> bool:
        """Make the seed table hold `seeds` ((file, digest) pairs), given `known` (what `known_seeds` returned):
        only the rows that differ are written. Returns whether any digest stopped being referenced."""
        rows = {s.path: (s.size, s.mtime_ns, d) for s, d in seeds}
        gone = [path for path in known if path not in rows]
        changed = [(path, *row) for path, row in rows.items() if known.get(path) != row]
        with self.transaction():
            self._db.executemany("DELETE FROM seeds WHERE path=?", ((path,) for path in gone))
            self._db.executemany("INSERT OR REPLACE INTO seeds VALUES (?, ?, ?, ?)", changed)
        referenced = {digest for _, _, digest in rows.values()}
        replaced = [*gone, *(row[0] for row in changed if row[0] in known)]
        return any(known[path][2] not in referenced for path in replaced)

    def outcome_digests(self, fingerprint: str) -> set[str]:
        """Digests whose outcome under `fingerprint` is known (one query, not one per seed)."""
        return {row[0] for row in self._db.execute("SELECT digest FROM outcomes WHERE fingerprint=?", (fingerprint,))}

    def store(self, outcomes: Iterable[tuple[str, str | None, tuple[Entry, ...]]], fingerprint: str) -> None:
        """Remember parse-and-clean outcomes ((digest, problem, entries) triples) in one transaction."""
        with self.transaction():
            for digest, problem, entries in outcomes:
                self._db.execute("INSERT OR REPLACE INTO outcomes VALUES (?, ?, ?)", (digest, fingerprint, problem))
                self._db.execute("DELETE FROM entries WHERE digest=? AND fingerprint=?", (digest, fingerprint))
                versions = (Version.of(e.meta, digest, n) for n, e in enumerate(entries))
                self._db.executemany(
                    "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    ((digest, fingerprint, v.n, v.key, v.id, v.source_slug, v.updated, v.published,
                      meta_to_json(e.meta), e.content, e.summary) for v, e in zip(versions, entries, strict=True)))

    def problems(self, digests: Mapping[str, Sequence[str]], fingerprint: str) -> list[tuple[str, str]]:
        """(path, reason) for every current seed whose cached outcome is a problem."""
        found: list[tuple[str, str]] = []
        for digest, problem in self._db.execute(
                "SELECT digest, problem FROM outcomes WHERE fingerprint=? AND problem IS NOT NULL", (fingerprint,)):
            found.extend((path, problem) for path in digests.get(digest, ()))
        return found

    def versions(self, digests: Container[str], fingerprint: str) -> Iterator[Version]:
        """What merging needs of every cached entry of the seeds with `digests` (no metadata is parsed)."""
        for row in self._db.execute("SELECT digest, n, key, id, source, updated, published FROM entries "
                                    "WHERE fingerprint=?", (fingerprint,)):
            if row[0] in digests:
                yield Version(*row)

    def meta(self, version: Version, fingerprint: str) -> EntryMeta:
        row = self._db.execute("SELECT meta FROM entries WHERE digest=? AND fingerprint=? AND n=?",
                               (version.digest, fingerprint, version.n)).fetchone()
        if row is None:
            raise KeyError((version.digest, version.n))
        return meta_from_json(str(row[0]))

    def content(self, digest: str, n: int, fingerprint: str) -> tuple[str, str]:
        row = self._db.execute("SELECT content, summary FROM entries WHERE digest=? AND fingerprint=? AND n=?",
                               (digest, fingerprint, n)).fetchone()
        if row is None:
            raise KeyError((digest, n))
        return str(row[0]), str(row[1])

    def forget_other_fingerprints(self, fingerprint: str) -> None:
        """Drop outcomes cleaned under other rules (kept until now so an interrupted run loses nothing)."""
        with self.transaction():
            self._db.execute("DELETE FROM outcomes WHERE fingerprint<>?", (fingerprint,))
            self._db.execute("DELETE FROM entries WHERE fingerprint<>?", (fingerprint,))

    def forget_unreferenced(self) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM outcomes WHERE digest NOT IN (SELECT digest FROM seeds)")
            self._db.execute("DELETE FROM entries WHERE digest NOT IN (SELECT digest FROM seeds)")
