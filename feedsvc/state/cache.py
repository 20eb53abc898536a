"""The incremental cache: an SQLite database in the state directory.

For each seed path: size, mtime and content digest (`KnownSeed`). For each (digest, fingerprint): the
parse-and-clean outcome, either the entries or the reason there are none. The fingerprint covers the code version
and every setting that changes parsing or cleaning, so a change of rules re-cleans. What the last run published
is one typed `RunState`. Deleting the database is always safe; a damaged one raises `CacheError`, is set aside and
rebuilt.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import sqlite3
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

from feedsvc.errors import CacheError
from feedsvc.model import (
    Dropped,
    Entry,
    EntryMeta,
    KnownSeed,
    Provenance,
    Removal,
    SeedProblem,
    SourceStatus,
    Story,
    Version,
)
from feedsvc.stories.group import story_meta

log = logging.getLogger(__name__)
SCHEMA_VERSION = "6"
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
                                    removed TEXT NOT NULL, marks BLOB NOT NULL, spans TEXT NOT NULL,
                                    PRIMARY KEY (digest, fingerprint, n));
CREATE TABLE IF NOT EXISTS verdicts (fingerprint TEXT NOT NULL, rules TEXT NOT NULL, digest TEXT NOT NULL,
                                     n INTEGER NOT NULL, rule TEXT, PRIMARY KEY (fingerprint, rules, digest, n));
CREATE TABLE IF NOT EXISTS pages (story TEXT PRIMARY KEY, shown BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS entries_sources ON entries (source, fingerprint);
CREATE INDEX IF NOT EXISTS entries_versions ON entries (fingerprint, digest, n, key, id, source, updated, published,
                                                         marks);
"""
_TABLES = ("seeds", "outcomes", "entries", "verdicts", "pages", "meta")
READ_BATCH = 500
"""Digests looked up in one query (SQLite allows a few hundred parameters everywhere)."""
IN_MEMORY = Path(":memory:")
"""`Cache.open(IN_MEMORY)`: a cache that lives as long as the run (the `check` command's)."""

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class RunState:
    """What the last completed run published, and what the next run compares against."""

    token: str = ""
    """Names the run that saved this state: an in-memory index of that run (`index.Index`) is current only while
    the state still carries its token."""
    signature: str = ""
    """Digest of the fingerprint, the output settings and every seed's path, size and mtime."""
    fingerprint: str = ""
    """The fingerprint of the last completed run; empty while a run under other rules is under way."""
    seed_count: int = 0
    """Seeds in the last good run (the shrink guard)."""
    entries: int = 0
    merged: int = 0
    outputs: tuple[str, ...] = ()
    """Every published file (relative paths, without the .gz siblings)."""
    feed_digests: Mapping[str, str] = field(default_factory=dict)
    """Feed path -> digest of what it was rendered from (an unchanged digest means no rendering)."""
    problems: tuple[SeedProblem, ...] = ()
    """Seeds whose cached outcome is a problem."""
    sources: tuple[SourceStatus, ...] = ()
    filtered: tuple[Dropped, ...] = ()

    def to_json(self) -> str:
        return json.dumps({
            "token": self.token, "signature": self.signature, "fingerprint": self.fingerprint,
            "seed_count": self.seed_count,
            "entries": self.entries, "merged": self.merged, "outputs": list(self.outputs),
            "feed_digests": dict(self.feed_digests),
            "problems": [[p.path, p.reason] for p in self.problems],
            "sources": [[s.slug, s.name, s.entries, s.newest.isoformat() if s.newest else None]
                        for s in self.sources],
            "filtered": [[d.feed, d.rule, d.story_id, d.title, d.link] for d in self.filtered],
        }, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RunState:
        data = json.loads(text)
        return cls(
            token=data.get("token", ""), signature=data["signature"], fingerprint=data["fingerprint"],
            seed_count=data["seed_count"],
            entries=data["entries"], merged=data["merged"], outputs=tuple(data["outputs"]),
            feed_digests=data["feed_digests"],
            problems=tuple(SeedProblem(path, reason) for path, reason in data["problems"]),
            sources=tuple(SourceStatus(slug, name, count, datetime.fromisoformat(when) if when else None)
                          for slug, name, count, when in data["sources"]),
            filtered=tuple(Dropped(*row) for row in data["filtered"]))


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
                       meta.source_slug, meta.source_name, meta.author, list(meta.categories),
                       [list(p.seeds), p.title_from, p.published_from, p.updated_from, p.encoding], meta.language],
                      ensure_ascii=False)


def meta_from_json(text: str) -> EntryMeta:
    (id_, title, link, published, updated, slug, name, author, categories, prov, *rest) = json.loads(text)
    return EntryMeta(id_, title, link, datetime.fromisoformat(published), datetime.fromisoformat(updated), slug,
                     name, author, tuple(categories),
                     Provenance(tuple(prov[0]), prov[1], prov[2], prov[3], prov[4]), rest[0] if rest else None)


REMOVAL_SAMPLE = 240
"""Characters of each rule removal's text kept in the cache (with the full length): enough for a sample."""


def removals_to_json(removed: Iterable[Removal]) -> str:
    return json.dumps([[r.kind, len(r.text), r.text[:REMOVAL_SAMPLE]] for r in removed], ensure_ascii=False)


def spans_to_json(edges: Iterable[tuple[bytes, int, int]]) -> str:
    """The byte offsets of an entry's marks (`Entry.edges`), in their order."""
    return json.dumps([[start, end] for _, start, end in edges])


def _guarded(method: Callable[P, R]) -> Callable[P, R]:
    """SQLite's errors leave the cache as `CacheError`, naming the database."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except sqlite3.DatabaseError as exc:
            cache = args[0]
            raise CacheError(f"{getattr(cache, 'path', '')}: cache database unusable: {exc}") from exc

    return wrapper


class Cache:
    """The state database. Use `Cache.open(path)` (a context manager); every method commits its own work and
    raises `CacheError` when the database is damaged."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Cache:
        """The database at `path` (a damaged one is set aside and a new one made), or `IN_MEMORY`."""
        if path == IN_MEMORY:
            return cls._connect(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(f"{path.parent}: cannot create the state directory: {exc.strerror or exc}") from None
        try:
            return cls._connect(path)
        except sqlite3.DatabaseError as exc:
            set_aside(path, exc)
        try:
            return cls._connect(path)
        except sqlite3.DatabaseError as exc:
            raise CacheError(f"{path}: cache database cannot be created: {exc}") from None

    @classmethod
    def copy_of(cls, path: Path) -> Cache:
        """An in-memory cache holding what the database at `path` holds, read without writing to it (an empty one
        where there is none, or it cannot be read): `feedsvc check` reuses what earlier runs cleaned, and keeps
        what it does to itself. Call it holding the run lock (`system.lock.exclusive`)."""
        if path.is_file():
            db = sqlite3.connect(":memory:", isolation_level=None)
            try:
                # Immutable: no lock, journal or shared-memory file is made; the caller holds the run lock, so no
                # writer runs meanwhile.
                source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, timeout=30)
                try:
                    source.backup(db)
                finally:
                    source.close()
                return cls._connect_to(db)
            except sqlite3.DatabaseError as exc:
                db.close()
                log.warning("%s: cache unreadable (%s); checking without it", path, exc)
        return cls._connect(IN_MEMORY)

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @classmethod
    def _connect(cls, path: Path) -> Cache:
        db = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return cls._connect_to(db, path)

    @classmethod
    def _connect_to(cls, db: sqlite3.Connection, path: Path = IN_MEMORY) -> Cache:
        """The cache in the open database `db`, its tables made (or made again, for another schema version)."""
        try:
            db.executescript(_SCHEMA)
            version = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if version is None or version[0] != SCHEMA_VERSION:  # another layout: start afresh
                db.executescript("".join(f"DROP TABLE IF EXISTS {table};" for table in _TABLES) + _SCHEMA)
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

    @_guarded
    def load_state(self) -> RunState:
        """What the last completed run left (an empty state for a new or unreadable one)."""
        row = self._db.execute("SELECT value FROM meta WHERE key='state'").fetchone()
        if row is None:
            return RunState()
        try:
            return RunState.from_json(str(row[0]))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("%s: run state unreadable (%s); starting from an empty one", self.path, exc)
            return RunState()

    @_guarded
    def save_state(self, state: RunState) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('state', ?)", (state.to_json(),))

    @_guarded
    def known_seeds(self) -> dict[str, KnownSeed]:
        """path -> what the last run saw of every seed."""
        return {row[0]: KnownSeed(row[1], row[2], row[3]) for row in self._db.execute("SELECT * FROM seeds")}

    @_guarded
    def update_seeds(self, changed: Iterable[tuple[str, KnownSeed]], gone: Iterable[str]) -> None:
        """Write the seed rows that changed and delete those of seeds gone, in one transaction."""
        with self.transaction():
            self._db.executemany("DELETE FROM seeds WHERE path=?", ((path,) for path in gone))
            self._db.executemany("INSERT OR REPLACE INTO seeds VALUES (?, ?, ?, ?)",
                                 ((path, *row) for path, row in changed))

    @_guarded
    def outcome_digests(self, fingerprint: str) -> set[str]:
        """Digests whose outcome under `fingerprint` is known (one query, not one per seed)."""
        return {row[0] for row in self._db.execute("SELECT digest FROM outcomes WHERE fingerprint=?", (fingerprint,))}

    @_guarded
    def store(self, outcomes: Iterable[tuple[str, str | None, tuple[Entry, ...]]], fingerprint: str) -> None:
        """Remember parse-and-clean outcomes ((digest, problem, entries) triples) in one transaction. An article
        is stored as its UTF-8 bytes, the text SQLite holds (`CAST` relabels them): the workers send them so, and
        nothing decodes and encodes them again on the way."""
        with self.transaction():
            for digest, problem, entries in outcomes:
                self._db.execute("INSERT OR REPLACE INTO outcomes VALUES (?, ?, ?)", (digest, fingerprint, problem))
                self._db.execute("DELETE FROM entries WHERE digest=? AND fingerprint=?", (digest, fingerprint))
                versions = (Version.of(e.meta, digest, n, e.marks) for n, e in enumerate(entries))
                self._db.executemany(
                    "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT), ?, ?, ?, ?)",
                    ((digest, fingerprint, v.n, v.key, v.id, v.source_slug, v.updated, v.published,
                      meta_to_json(e.meta), e.content_utf8, e.summary, removals_to_json(e.removed), v.marks,
                      spans_to_json(e.edges))
                     for v, e in zip(versions, entries, strict=True)))

    @_guarded
    def problems(self, fingerprint: str) -> dict[str, str]:
        """Digest -> reason, for every cached outcome under `fingerprint` that is a problem."""
        return {str(row[0]): str(row[1]) for row in self._db.execute(
            "SELECT digest, problem FROM outcomes WHERE fingerprint=? AND problem IS NOT NULL", (fingerprint,))}

    @_guarded
    def versions(self, digests: Container[str], fingerprint: str) -> list[Version]:
        """What merging needs of every cached entry of the seeds with `digests` (no metadata is parsed)."""
        return [Version(*row) for row in self._db.execute(
            "SELECT digest, n, key, id, source, updated, published, marks FROM entries WHERE fingerprint=?",
            (fingerprint,))
            if row[0] in digests]

    @_guarded
    def versions_of(self, digests: Iterable[str], fingerprint: str) -> list[Version]:
        """The same for a few digests, looked up one by one (the index covers fingerprint and digest)."""
        found: list[Version] = []
        for digest in digests:
            found.extend(Version(*row) for row in self._db.execute(
                "SELECT digest, n, key, id, source, updated, published, marks FROM entries WHERE fingerprint=? "
                "AND digest=? "
                "ORDER BY n", (fingerprint, digest)))
        return found

    @_guarded
    def meta(self, version: Version, fingerprint: str) -> EntryMeta:
        row = self._db.execute("SELECT meta FROM entries WHERE digest=? AND fingerprint=? AND n=?",
                               (version.digest, fingerprint, version.n)).fetchone()
        if row is None:
            raise KeyError((version.digest, version.n))
        return meta_from_json(str(row[0]))

    @_guarded
    def published_entries(self, stories: Iterable[Story], fingerprint: str,
                          paths: Mapping[str, Sequence[str]] | None = None, *, text: bool = False,
                          ) -> dict[Story, Entry]:
        """The published form of each of `stories`: merged metadata (`paths`, digest -> seed paths, completes the
        provenance) and the newest version's cleaned content, without the blocks its source's learned rules cut
        (`Story.cut`): as the UTF-8 bytes stored (the renderers of Atom and RSS write them as they are), or with
        `text`, decoded (for renderers that convert every article to other scripts: each would decode it again).
        A few queries for all of them, not two per story."""
        stories = list(dict.fromkeys(stories))
        wanted = {(version.digest, version.n) for story in stories for version in (story.newest, story.oldest)}
        digests = sorted({digest for digest, _ in wanted})
        rows: dict[tuple[str, int], tuple[str, bytes, str, bytes, str]] = {}
        for start in range(0, len(digests), READ_BATCH):
            chunk = digests[start:start + READ_BATCH]
            for digest, n, meta, content, summary, marks, spans in self._db.execute(
                    f"SELECT digest, n, meta, CAST(content AS BLOB), summary, marks, spans FROM entries "
                    f"WHERE fingerprint=? AND digest IN ({','.join('?' * len(chunk))})", (fingerprint, *chunk)):
                if (digest, n) in wanted:
                    rows[(digest, n)] = (meta, content, summary, marks, spans)
        metas: dict[tuple[str, int], EntryMeta] = {}

        def meta_of(version: Version) -> EntryMeta:
            key = (version.digest, version.n)
            if key not in metas:
                if key not in rows:
                    raise KeyError(key)
                metas[key] = meta_from_json(rows[key][0])
            return metas[key]

        from feedsvc.stories.boilerplate import cut_article, trim_summary  # by the runs that render

        entries = {}
        for story in stories:
            meta = story_meta(story, meta_of, paths or {})  # KeyError if the newest version is not cached
            _, content, summary, marks, spans = rows[(story.newest.digest, story.newest.n)]
            if story.cut:  # what the source's learned rules remove (`stories.boilerplate`)
                content, taken = cut_article(content, marks, json.loads(spans), story.cut)
                summary = trim_summary(summary, taken)
            entries[story] = Entry(meta, content.decode("utf-8") if text else content, summary, story.newest.digest)
        return entries

    @_guarded
    def content(self, digest: str, n: int, fingerprint: str) -> tuple[str, str]:
        row = self._db.execute("SELECT content, summary FROM entries WHERE digest=? AND fingerprint=? AND n=?",
                               (digest, fingerprint, n)).fetchone()
        if row is None:
            raise KeyError((digest, n))
        return str(row[0]), str(row[1])

    @_guarded
    def verdicts(self, fingerprint: str) -> dict[tuple[str, str, int], str | None]:
        """(rules, digest, n) -> the filter rule that dropped that version (None: kept), as decided before."""
        return {(row[0], row[1], row[2]): row[3] for row in self._db.execute(
            "SELECT rules, digest, n, rule FROM verdicts WHERE fingerprint=?", (fingerprint,))}

    @_guarded
    def remember_verdicts(self, verdicts: Iterable[tuple[str, str, int, str | None]], fingerprint: str) -> None:
        with self.transaction():
            self._db.executemany("INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?, ?, ?)",
                                 ((fingerprint, *row) for row in verdicts))

    @_guarded
    def page_shown(self, story_id: str) -> bytes | None:
        """What the page of story `story_id` showed when a completed run last wrote it (`output.story.page_key`)."""
        row = self._db.execute("SELECT shown FROM pages WHERE story=?", (story_id,)).fetchone()
        return bytes(row[0]) if row else None

    @_guarded
    def remember_pages(self, shown: Mapping[str, bytes], forgotten: Iterable[str]) -> None:
        """Record what the story pages of `shown` show now, and forget the pages of `forgotten`."""
        with self.transaction():
            self._db.executemany("DELETE FROM pages WHERE story=?", ((story_id,) for story_id in forgotten))
            self._db.executemany("INSERT OR REPLACE INTO pages VALUES (?, ?)", shown.items())

    @_guarded
    def source_entries(self, source: str, fingerprint: str,
                       ) -> list[tuple[str, str, list[tuple[str, int, str]], str]]:
        """(link key, cleaned content, rule removals as (kind, length, sample), title) of every current entry of
        `source` cleaned under `fingerprint` (one per seed version)."""
        rows = self._db.execute(
            "SELECT key, content, removed, meta FROM entries WHERE fingerprint=? AND source=? "
            "AND digest IN (SELECT digest FROM seeds) ORDER BY digest, n", (fingerprint, source))
        return [(key, content, [(k, n, t) for k, n, t in json.loads(removed)], meta_from_json(meta).title)
                for key, content, removed, meta in rows]

    @_guarded
    def sources(self) -> dict[str, str]:
        """Slug -> name of every source the published seeds' entries belong to, under any rules cleaned so far."""
        found: dict[str, str] = {}
        for slug, meta in self._db.execute(
                "SELECT source, meta FROM entries WHERE digest IN (SELECT digest FROM seeds) GROUP BY source"):
            found[str(slug)] = meta_from_json(str(meta)).source_name
        return found

    @_guarded
    def learned_blocks(self, version: Version, fingerprint: str) -> list[tuple[bytes, str]]:
        """(key, markup) of each block of `version`'s article marked as a boilerplate candidate."""
        from feedsvc.stories.boilerplate import keys_of

        row = self._db.execute("SELECT CAST(content AS BLOB), marks, spans FROM entries WHERE digest=? AND "
                               "fingerprint=? AND n=?", (version.digest, fingerprint, version.n)).fetchone()
        if row is None:
            return []
        content, marks, spans = row
        return [(key, bytes(content[start:end]).decode("utf-8", "replace"))
                for key, (start, end) in zip(keys_of(bytes(marks)), json.loads(spans), strict=True)]

    @_guarded
    def source_seeds(self, source: str) -> list[str]:
        """Paths of the seeds whose entries belong to `source` under any rules cleaned so far."""
        return [row[0] for row in self._db.execute(
            "SELECT DISTINCT path FROM seeds JOIN entries USING (digest) WHERE source=? ORDER BY path", (source,))]

    @_guarded
    def forget_other_fingerprints(self, fingerprint: str) -> None:
        """Drop outcomes cleaned under other rules (kept until now so an interrupted run loses nothing)."""
        with self.transaction():
            for table in ("outcomes", "entries", "verdicts"):
                self._db.execute(f"DELETE FROM {table} WHERE fingerprint<>?", (fingerprint,))

    @_guarded
    def forget_verdicts_except(self, rules: Iterable[str]) -> None:
        """Drop the verdicts of filter rules no longer configured."""
        keep = sorted(set(rules))
        with self.transaction():
            self._db.execute(f"DELETE FROM verdicts WHERE rules NOT IN ({','.join('?' * len(keep))})", keep)

    @_guarded
    def forget_unreferenced(self) -> None:
        with self.transaction():
            for table in ("outcomes", "entries", "verdicts"):
                self._db.execute(f"DELETE FROM {table} WHERE digest NOT IN (SELECT digest FROM seeds)")

    @_guarded
    def forget(self, digests: Iterable[str]) -> None:
        """Drop what was cleaned of `digests` (no seed holds them any more)."""
        rows = [(digest,) for digest in digests]
        with self.transaction():
            for table in ("outcomes", "entries", "verdicts"):
                self._db.executemany(f"DELETE FROM {table} WHERE digest=?", rows)
