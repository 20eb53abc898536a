"""The search index: SQLite FTS5 in the state directory (`search.sqlite`), written by each regeneration from the
stories that changed and read by `feedsvc serve`.

Each story is one row: its text as `terms.document_tokens` makes it (the FTS5 table keeps no copy of it: its
rowid says where the story's compressed plain text is, so a row can be deleted), and what a result shows (title,
links, source, dates, summary). A row's id orders stories newest first (its `updated` time, then its id), so the
newest results of a query come first out of the index without sorting every match. The index belongs to the run
that last brought it up to date (`token`): a run whose predecessor is that run updates it from what it changed;
otherwise (a first run, a deleted or damaged file, other rules) the index is stale, and `feedsvc serve` builds it
again in the background (`serve.searchbuild`), the runs meanwhile putting in what they change.
"""

from __future__ import annotations

import contextlib
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from feedsvc.search.terms import document_tokens, match_expression

FILE = "search.sqlite"
_SCHEMA = """
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stories (
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, source TEXT NOT NULL, source_name TEXT NOT NULL,
    title TEXT NOT NULL, link TEXT NOT NULL, page TEXT NOT NULL, published TEXT NOT NULL, updated TEXT NOT NULL,
    language TEXT, summary TEXT NOT NULL, text BLOB NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS terms USING fts5(source, body, content='', prefix='1',
                                                     tokenize='unicode61 remove_diacritics 2');
"""
_SLOTS = 4096
"""Row ids per millisecond of `updated`: stories updated in the same millisecond are told apart by their ids."""


@dataclass(frozen=True)
class Document:
    """A story as the index holds it."""

    id: str
    source: str
    source_name: str
    title: str
    link: str
    page: str
    """Its page, relative to the output directory."""
    published: str
    updated: str
    """ISO 8601 times."""
    language: str | None
    summary: str
    text: str
    """Its title and article, as plain text."""
    updated_ms: int


@dataclass(frozen=True)
class Hit:
    id: str
    source: str
    source_name: str
    title: str
    link: str
    page: str
    published: str
    updated: str
    language: str | None
    summary: str


@dataclass(frozen=True)
class Results:
    total: int
    hits: tuple[Hit, ...]


def _row_id(document: Document, taken: sqlite3.Connection) -> int:
    base = document.updated_ms * _SLOTS + (zlib.crc32(document.id.encode()) % _SLOTS)
    while taken.execute("SELECT 1 FROM stories WHERE rowid = ?", (base,)).fetchone():
        base -= 1
    return base


class SearchIndex:
    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.db = connection
        self.path = path

    @classmethod
    def open(cls, state_dir: Path) -> SearchIndex:
        """The index in `state_dir`, to write (made when there is none; a damaged one is started afresh)."""
        path = state_dir / FILE
        state_dir.mkdir(parents=True, exist_ok=True)
        for attempt in (1, 2):
            db = sqlite3.connect(path, isolation_level=None, timeout=120)  # a build and a run write by turns
            try:
                db.executescript(_SCHEMA)
                return cls(db, path)
            except sqlite3.DatabaseError:
                db.close()
                if attempt == 2:
                    raise
                for leftover in (path, path.with_name(FILE + "-wal"), path.with_name(FILE + "-shm")):
                    leftover.unlink(missing_ok=True)
        raise AssertionError("unreachable")

    @classmethod
    def reader(cls, state_dir: Path) -> SearchIndex | None:
        """The index in `state_dir`, to read (None when no run has built it yet)."""
        path = state_dir / FILE
        if not path.is_file():
            return None
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
        return cls(db, path)

    def close(self) -> None:
        self.db.close()

    def token(self) -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'token'").fetchone()
        return str(row[0]) if row else ""

    def _delete(self, ids: Iterable[str]) -> None:
        for story_id in ids:
            row = self.db.execute("SELECT rowid, source, text FROM stories WHERE id = ?", (story_id,)).fetchone()
            if row is None:
                continue
            text = zlib.decompress(row[2]).decode("utf-8")
            self.db.execute("INSERT INTO terms(terms, rowid, source, body) VALUES ('delete', ?, ?, ?)",
                            (row[0], row[1], document_tokens(text)))
            self.db.execute("DELETE FROM stories WHERE rowid = ?", (row[0],))

    def set_token(self, token: str) -> None:
        """Say the index is that of the run `token` (empty: of none, to be built again)."""
        with self._transaction():
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('token', ?)", (token,))

    def apply(self, documents: Iterable[Document], gone: Iterable[str]) -> int:
        """Put `documents` in (replacing what it held of them) and take the stories `gone` out; returns how many
        documents went in."""
        with self._transaction():
            self._delete(gone)
        return self._batched(documents, replace=True)

    def clear(self) -> None:
        with self._transaction():
            self.db.execute("DELETE FROM meta WHERE key = 'token'")
            self.db.execute("INSERT INTO terms(terms) VALUES ('delete-all')")
            self.db.execute("DELETE FROM stories")

    def add_missing(self, documents: Iterable[Document]) -> int:
        """Put in those of `documents` it does not hold yet (a build, beside runs that put in what they change)."""
        return self._batched(documents, replace=False)

    def optimize(self) -> None:
        """Merge the index into one segment: what a query reads."""
        with self._transaction():
            self.db.execute("INSERT INTO terms(terms) VALUES ('optimize')")

    def holds(self, story_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM stories WHERE id = ?", (story_id,)).fetchone() is not None

    def update(self, documents: Iterable[Document], gone: Iterable[str], token: str, *, rebuild: bool) -> int:
        """All at once: `clear` first to `rebuild`, `apply`, `optimize` after a rebuild, `set_token`."""
        if rebuild:
            self.clear()
        count = self.apply(documents, gone)
        if rebuild:
            self.optimize()
        self.set_token(token)
        return count

    def _batched(self, documents: Iterable[Document], *, replace: bool) -> int:
        count = 0
        batch: list[Document] = []
        for document in documents:
            batch.append(document)
            if len(batch) >= 500:
                count += self._put(batch, replace=replace)
                batch = []
        return count + self._put(batch, replace=replace)

    def _put(self, documents: list[Document], *, replace: bool) -> int:
        with self._transaction():
            if replace:
                self._delete(d.id for d in documents)
            else:
                documents = [d for d in documents if not self.holds(d.id)]
            for document in documents:
                row = _row_id(document, self.db)
                self.db.execute("INSERT INTO stories VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
                    row, document.id, document.source, document.source_name, document.title, document.link,
                    document.page, document.published, document.updated, document.language, document.summary,
                    zlib.compress(document.text.encode("utf-8"), 6)))
                self.db.execute("INSERT INTO terms(rowid, source, body) VALUES (?, ?, ?)",
                                (row, document.source, document_tokens(document.text)))
        return len(documents)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def search(self, query: str, source: str | None = None, offset: int = 0, limit: int = 20) -> Results:
        """The stories that hold every term of `query` (of `source` only, if given), newest first: their count,
        and `limit` of them from `offset` (QueryError for a query with nothing to search for)."""
        expression = f"body : ({match_expression(query)})"
        if source:
            expression = f'source : "{source.replace(chr(34), "")}" AND {expression}'
        total = self.db.execute("SELECT count(*) FROM terms WHERE terms MATCH ?", (expression,)).fetchone()[0]
        rows = self.db.execute(
            "SELECT s.id, s.source, s.source_name, s.title, s.link, s.page, s.published, s.updated, s.language, "
            "s.summary FROM (SELECT rowid FROM terms WHERE terms MATCH ? ORDER BY rowid DESC LIMIT ? OFFSET ?) AS t "
            "JOIN stories AS s ON s.rowid = t.rowid ORDER BY s.rowid DESC", (expression, limit, offset)).fetchall()
        return Results(int(total), tuple(Hit(*row) for row in rows))
