"""The source table: which publisher a link belongs to, and names that only repeat the source."""

from __future__ import annotations

import re

from feedsvc.links import host_of
from feedsvc.model import Source


def derived_slug(host: str) -> str:
    """A slug for a host no source names: `www.example.co.uk` -> `example-co-uk`."""
    host = re.sub(r"^(?:www\d*|m|mobile)\.", "", host.lower())
    slug = re.sub(r"[^a-z0-9]+", "-", host).strip("-")
    return slug or "unknown"


class SourceCatalog:
    """Maps a link's host to its source; hosts match themselves and their subdomains, the longest name winning."""

    def __init__(self, sources: tuple[Source, ...]) -> None:
        self.sources = sources
        self._by_host = {host: source for source in sources for host in source.hosts}
        self._by_slug = {source.slug: source for source in sources}

    def for_link(self, link: str) -> Source:
        host = host_of(link)
        labels = host.split(".")
        for start in range(len(labels)):
            found = self._by_host.get(".".join(labels[start:]))
            if found:
                return found
        slug = derived_slug(host)
        if slug in self._by_slug:
            slug = f"{slug}-site"
        name = re.sub(r"^www\.", "", host) or "unknown"
        return Source(slug=slug, name=name, homepage=f"https://{host}/" if host else None)


def names_source(source: Source, text: str) -> bool:
    """Whether `text` is only a name of `source` (its display name, slug or an alias), in any case."""
    folded = text.strip().casefold()
    return folded in {source.name.casefold(), source.slug.casefold(), *(a.casefold() for a in source.aliases)}
