"""Entries to feeds: duplicates merged on the canonical link, newest first, capped. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from feedsvc.links import link_key
from feedsvc.model import EntryMeta


@dataclass(frozen=True)
class Version:
    """A version of a story: its metadata, and where its content is stored (entry `n` of the seed with `digest`).

    `merge` returns one per story: the merged metadata, pointing at the version whose content wins.
    """

    meta: EntryMeta
    digest: str
    n: int


Story = Version


def _newest_first(version: Version) -> tuple[object, ...]:
    return (version.meta.updated, version.digest, -version.n)


def merge(versions: Iterable[Version], paths: dict[str, tuple[str, ...]]) -> list[Story]:
    """One story per canonical link (scheme aside): the newest version's content and fields win, `published` is
    the earliest, `updated` the latest, and provenance lists every seed. `paths` maps digests to seed paths."""
    groups: dict[str, list[Version]] = {}
    for version in versions:
        groups.setdefault(link_key(version.meta.link), []).append(version)
    stories = []
    for group in groups.values():
        group.sort(key=_newest_first, reverse=True)
        newest = group[0]
        seeds = tuple(sorted({p for v in group for p in paths.get(v.digest, v.meta.provenance.seeds)}))
        oldest = min(group, key=lambda v: (v.meta.published, v.digest))
        meta = newest.meta
        if seeds != meta.provenance.seeds or oldest is not newest:  # most stories have one version: no copy
            provenance = replace(meta.provenance, seeds=seeds, published_from=oldest.meta.provenance.published_from)
            meta = replace(meta, published=oldest.meta.published, provenance=provenance)
        stories.append(Version(meta, newest.digest, newest.n))
    return stories


def order_key(story: Story) -> tuple[object, ...]:
    """Newest `updated` first; ties broken by id, so the order never depends on file order."""
    return (-story.meta.updated.timestamp(), story.meta.id)


def newest(stories: Iterable[Story], limit: int) -> list[Story]:
    return sorted(stories, key=order_key)[:limit]
