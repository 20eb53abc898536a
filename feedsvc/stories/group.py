"""Entries to stories: duplicates merged on the canonical link, newest first, capped. Pure.

Merging looks at every cached entry on every run, so it works on a `Version`: the few fields merging and ordering
need, which the cache keeps in columns of their own. Full metadata is read only for the stories that are published.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

from feedsvc.model import EntryMeta, Story, Version


def _newest_first(version: Version) -> tuple[int, str, int]:
    return (version.updated, version.digest, -version.n)


def grouped(versions: Iterable[Version]) -> dict[str, list[Version]]:
    """Versions by canonical link (scheme aside): each group is one story."""
    groups: dict[str, list[Version]] = {}
    for version in versions:
        groups.setdefault(version.key, []).append(version)
    return groups


def merge_group(group: Sequence[Version]) -> Story:
    """The story of the versions of one canonical link."""
    if len(group) == 1:  # most stories
        return Story(group[0], group[0], (group[0].digest,))
    newest = max(group, key=_newest_first)
    oldest = min(group, key=lambda v: (v.published, v.digest))
    return Story(newest, oldest, tuple(sorted({v.digest for v in group})))


def merge(versions: Iterable[Version]) -> list[Story]:
    """One story per canonical link (scheme aside)."""
    return [merge_group(group) for group in grouped(versions).values()]


def order_key(story: Story) -> tuple[int, str]:
    """Newest `updated` first; ties broken by id, so the order never depends on file order."""
    return (-story.newest.updated, story.newest.id)


def newest(stories: Iterable[Story], limit: int | None) -> list[Story]:
    """The stories newest first (at most `limit` of them)."""
    return sorted(stories, key=order_key)[:limit]


def story_meta(story: Story, meta_of: Callable[[Version], EntryMeta], paths: Mapping[str, Sequence[str]],
               ) -> EntryMeta:
    """The merged metadata of `story`: the newest version's fields, `published` the earliest, `updated` the latest,
    and provenance listing every seed. `meta_of` reads a version's metadata; `paths` maps digests to seed paths."""
    meta = meta_of(story.newest)
    seeds = tuple(sorted({p for d in story.digests for p in paths.get(d, ())} or meta.provenance.seeds))
    if story.oldest == story.newest:
        return meta if seeds == meta.provenance.seeds else \
            replace(meta, provenance=replace(meta.provenance, seeds=seeds))
    oldest = meta_of(story.oldest)
    provenance = replace(meta.provenance, seeds=seeds, published_from=oldest.provenance.published_from)
    return replace(meta, published=oldest.published, provenance=provenance)
