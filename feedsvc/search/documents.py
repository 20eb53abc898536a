"""Stories as the search index holds them (`index.Document`), from their published entries. Pure but for the
`read` it is given."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

from feedsvc.model import Entry, Story
from feedsvc.output.pages import story_page
from feedsvc.search.index import Document
from feedsvc.text import plain_text

Read = Callable[[Sequence[Story]], Mapping[Story, Entry]]
BATCH = 200


def documents(stories: Sequence[Story], read: Read) -> Iterator[Document]:
    """The documents of `stories`, their entries read `BATCH` at a time."""
    for at in range(0, len(stories), BATCH):
        for story, entry in read(stories[at:at + BATCH]).items():
            meta = entry.meta
            yield Document(meta.id, meta.source_slug, meta.source_name, meta.title, meta.link, story_page(meta.id),
                           meta.published.isoformat(), meta.updated.isoformat(), meta.language, entry.summary,
                           f"{meta.title}\n{plain_text(entry.content)}", story.newest.updated // 1000)
