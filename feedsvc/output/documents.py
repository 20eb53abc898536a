"""Every feed document that changed, rendered in every format; the others are kept as published.

A document is rendered again only when its digest (`plan.document_digest`) differs from the one it was last
published with, or one of its files is missing. Entries (metadata and cleaned content) are read only for the
documents that are rendered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from feedsvc.model import Entry, Feed
from feedsvc.output.jsonfeed import JSON, render_json
from feedsvc.output.plan import FeedPlan, Planned, document_digest
from feedsvc.output.syndication import ATOM, RSS, render_atom, render_rss

FORMATS: dict[str, tuple[str, Callable[[Feed], bytes]]] = {
    "atom": (ATOM, render_atom),
    "rss": (RSS, render_rss),
    "json": (JSON, render_json),
}
"""Format name -> (file extension, renderer)."""


@dataclass
class Rendered:
    sink: Callable[[str, bytes], None]
    """Where each rendered file goes (`publish.Staging.add`): nothing is held in memory."""
    names: list[str] = field(default_factory=list)
    """Every file rendered this run (relative paths)."""
    kept: list[str] = field(default_factory=list)
    """Files whose document is unchanged: left as published."""
    digests: dict[str, str] = field(default_factory=dict)
    """Document stem -> digest, for the next run."""
    documents: int = 0
    rendered: int = 0

    def add(self, name: str, data: bytes) -> None:
        self.names.append(name)
        self.sink(name, data)


Pages = Callable[[Planned, Feed], dict[str, bytes]]
"""The pages for people a document comes with (its archive period's HTML), made while its entries are at hand."""


def render_documents(sink: Callable[[str, bytes], None], plans: Iterable[FeedPlan], formats: tuple[str, ...],
                     previous: Mapping[str, str],
                     exists: Callable[[str], bool], entries_of: Callable[[Planned], tuple[Entry, ...]],
                     fingerprint: str, settings_digest: str,
                     transforms: Iterable[Callable[[Feed], Feed | None]] = (),
                     pages: tuple[Callable[[Planned], list[str]], Pages] | None = None) -> Rendered:
    """Render every document of `plans` whose digest changed, in each of `formats`, and each `transform` of it
    (a variant: a feed to another feed with its own stem, or None when the variant does not apply). `pages` is
    (the paths of a document's pages, the function that makes them)."""
    done = Rendered(sink)
    extensions = [FORMATS[name][0] for name in formats]
    variants = list(transforms)
    for plan in plans:
        for planned in plan.documents:
            done.documents += 1
            digest = document_digest(planned, fingerprint, formats, settings_digest)
            done.digests[planned.feed.stem] = digest
            stems = [planned.feed.stem, *(v.stem for v in (t(planned.feed) for t in variants) if v is not None)]
            paths = [stem + ext for stem in stems for ext in extensions] + (pages[0](planned) if pages else [])
            if previous.get(planned.feed.stem) == digest and all(exists(p) for p in paths):
                done.kept.extend(paths)
                continue
            done.rendered += 1
            feed = replace(planned.feed, entries=entries_of(planned))
            if pages:
                for name, data in pages[1](planned, feed).items():
                    done.add(name, data)
            for version in [feed, *(t(feed) for t in variants)]:
                if version is None:
                    continue
                for name in formats:
                    extension, render = FORMATS[name]
                    done.add(version.stem + extension, render(version))
    return done
