"""`feedsvc serve`'s search: `/search?q=…` as a page, and `/search.atom`, `/search.rss`, `/search.json` with the
same query as feeds a reader can subscribe to (Atom and RSS with OpenSearch 1.1's `totalResults`, `startIndex`
and `itemsPerPage`). Parameters: `q` (required), `source` (a source's slug), `page` (from 1). A query that cannot
be searched for is a 400 that says why; the index is read, never written (`search.index`)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape, quoteattr

from feedsvc import __version__
from feedsvc.model import Entry, EntryMeta, Feed, Provenance
from feedsvc.output.jsonfeed import render_json
from feedsvc.output.pages import story_row
from feedsvc.output.syndication import render_atom, render_rss
from feedsvc.output.templates import render
from feedsvc.search.index import Hit, Results, SearchIndex
from feedsvc.search.terms import QueryError

PER_PAGE = 20
MAX_PAGE = 500
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
_NAMESPACE = uuid.UUID("0f9a4f55-8f4e-5a43-a3a5-4d6d1c3a2b7e")
KINDS = {"/search": "html", "/search.atom": "atom", "/search.rss": "rss", "/search.json": "json"}
MEDIA = {"html": "text/html; charset=utf-8", "atom": "application/atom+xml; charset=utf-8",
         "rss": "application/rss+xml; charset=utf-8", "json": "application/feed+json; charset=utf-8"}


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


def _entry(hit: Hit) -> Entry:
    meta = EntryMeta(hit.id, hit.title, hit.link, datetime.fromisoformat(hit.published),
                     datetime.fromisoformat(hit.updated), hit.source, hit.source_name, None, (),
                     Provenance((), "search", "search", "search"), hit.language)
    return Entry(meta, "", hit.summary, hit.id)


def _plain(status: int, text: str) -> Answer:
    return Answer(status, "text/plain; charset=utf-8", f"{status}: {text}\n".encode())


class SearchPages:
    """Answers the search URLs from the index in `state_dir`; `base` is `base_url`, `title` the site's."""

    def __init__(self, state_dir: Path, base: str, title: str, languages: Mapping[str, str | None],
                 building: Callable[[], bool] = lambda: False) -> None:
        self.state_dir, self.base, self.title, self.languages = state_dir, base, title, dict(languages)
        self.building = building
        self._index: SearchIndex | None = None
        self._lock = threading.Lock()

    def _search(self, query: str, source: str | None, offset: int) -> Results | None:
        with self._lock:  # one connection, used from the server's threads one at a time
            if self._index is None:
                self._index = SearchIndex.reader(self.state_dir)
            if self._index is None:
                return None
            return self._index.search(query, source, offset, PER_PAGE)

    def close(self) -> None:
        if self._index is not None:
            self._index.close()

    def answer(self, path: str, params: Mapping[str, str]) -> Answer:
        """The answer to `path` (one of `KINDS`) with the query string's `params`."""
        kind = KINDS[path]
        query = params.get("q", "").strip()
        source = params.get("source", "").strip() or None
        try:
            page = int(params.get("page", "1"))
        except ValueError:
            return _plain(400, "page must be a whole number")
        if not 1 <= page <= MAX_PAGE:
            return _plain(400, f"page must be between 1 and {MAX_PAGE}")
        if source is not None and not all(c.isalnum() or c == "-" for c in source):
            return _plain(400, "source must be a source's slug (letters, digits, dashes)")
        if not query:
            if kind != "html":
                return _plain(400, "q (the query) is missing")
            return Answer(200, MEDIA[kind], self._page(query, source, page, None, "", 0))
        try:
            results = self._search(query, source, (page - 1) * PER_PAGE)
        except QueryError as exc:
            if kind != "html":
                return _plain(400, str(exc))
            return Answer(400, MEDIA[kind], self._page(query, source, page, None, str(exc), 0))
        if results is None:
            return _plain(503, "the search index is not built yet (the first regeneration builds it)")
        if kind == "html":
            return Answer(200, MEDIA[kind], self._page(query, source, page, results, "", (page - 1) * PER_PAGE))
        return Answer(200, MEDIA[kind], self._feed(kind, query, source, page, results))

    def _url(self, path: str, query: str, source: str | None, page: int = 1, absolute: bool = False) -> str:
        params = [("q", query)] + ([("source", source)] if source else []) + ([("page", str(page))] if page > 1 else [])
        return f"{self.base if absolute else ''}{path}?{urlencode(params)}"

    def _page(self, query: str, source: str | None, page: int, results: Results | None, problem: str,
              offset: int) -> bytes:
        total = results.total if results else 0
        hits = results.hits if results else ()
        rows = [story_row(_entry(hit), "", self.languages) for hit in hits]
        return render("search", building=self.building(),
                      title=f"{query} · {self.title}" if query else f"Search · {self.title}", version=__version__,
                      root="", site_title=self.title, query=query, source=source,
                      problem=problem, total=total, rows=rows, shown_from=offset, shown_to=offset + len(hits),
                      newer=self._url("search", query, source, page - 1) if page > 1 else None,
                      older=self._url("search", query, source, page + 1) if offset + len(hits) < total else None,
                      feeds=[(label, self._url(f"search.{ext}", query, source)) for label, ext in
                             (("Atom", "atom"), ("RSS", "rss"), ("JSON Feed", "json"))],
                      alternates=[(f"{self.title}: {query}", "application/atom+xml",
                                   self._url("search.atom", query, source))] if query else [])

    def _feed(self, kind: str, query: str, source: str | None, page: int, results: Results) -> bytes:
        self_url = self._url(f"search.{kind}", query, source, page, absolute=True)
        name = (source or "") + "\x00" + query
        feed = Feed("search", f"{self.title}: {query}" + (f" ({source})" if source else ""),
                    f"Stories holding {query}, newest first", "search", self.base,
                    self._url("search", query, source, absolute=True), None,
                    tuple(_entry(hit) for hit in results.hits),
                    id=f"urn:uuid:{uuid.uuid5(_NAMESPACE, name)}")
        if kind == "json":
            return render_json(feed).replace(f'"feed_url":"{self.base}search.json"'.encode(),
                                             f'"feed_url":{_json(self_url)}'.encode())
        render_document = render_atom if kind == "atom" else render_rss
        body = render_document(feed).decode("utf-8")
        body = body.replace(f'href="{escape(self.base)}search.{kind}"', f"href={quoteattr(self_url)}", 1)
        elements = (f"<opensearch:totalResults>{results.total}</opensearch:totalResults>"
                    f"<opensearch:startIndex>{(page - 1) * PER_PAGE + 1}</opensearch:startIndex>"
                    f"<opensearch:itemsPerPage>{PER_PAGE}</opensearch:itemsPerPage>"
                    f'<opensearch:Query role="request" searchTerms={quoteattr(quote(query))} startPage="{page}"/>')
        if kind == "atom":
            body = body.replace('<feed xmlns="http://www.w3.org/2005/Atom">',
                                f'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="{OPENSEARCH}">\n  '
                                + elements, 1)
        else:
            body = body.replace("<rss ", f'<rss xmlns:opensearch="{OPENSEARCH}" ', 1)
            body = body.replace("<channel>", "<channel>\n    " + elements, 1)
        return body.encode("utf-8")


def _json(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)
