"""Frozen, typed values passed between the pipeline's stages.

scan -> SeedFile -> parse -> RawEntry -> clean -> Entry -> group -> Feed -> render -> bytes -> publish.
No dict crosses a module boundary; everything here is immutable and hashable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from feedsvc.links import link_key


@dataclass(frozen=True)
class CleanRules:
    """What the cleaner removes for one source, on top of what it always removes."""

    drop_selectors: tuple[str, ...] = ()
    """CSS selectors of elements removed with their content."""
    drop_xpaths: tuple[str, ...] = ()
    """XPath expressions of elements removed with their content."""
    drop_paragraphs: tuple[str, ...] = ()
    """Regular expressions; a paragraph-like element whose whole text matches one is removed."""
    strip_text: tuple[str, ...] = ()
    """Regular expressions removed from text wherever they occur (shortcode leftovers and the like)."""
    keep_paragraphs: tuple[str, ...] = ()
    """Regular expressions; a block whose text matches one is never learned as boilerplate (`clean.edges`)."""
    unwrap_image_proxy: bool = True
    """Replace images.weserv.nl URLs by the origin image URL."""


@dataclass(frozen=True)
class Source:
    """A publisher: one per-source feed, its display data and its cleaning rules."""

    slug: str
    name: str
    hosts: tuple[str, ...] = ()
    homepage: str | None = None
    language: str | None = None
    aliases: tuple[str, ...] = ()
    """Other names of the source (front-matter `author`/`tags` values); never used as categories or authors."""
    title_affixes: tuple[str, ...] = ()
    """Regular expressions removed from the start or end of titles (the site's own suffixes)."""
    rules: CleanRules = field(default_factory=CleanRules)


FILTER_FIELDS = ("title", "content", "categories", "author")


@dataclass(frozen=True)
class StoryFilter:
    """Which stories one feed leaves out. A rule is (field, pattern): a pattern is a word or phrase, matched
    case-insensitively anywhere in the field, or `/a regular expression/` (case-insensitive unless it says
    otherwise with an inline flag). A story is kept when some include rule matches (or there is none) and no
    exclude rule matches."""

    feed: str
    """`all` (the unified feed only) or a source slug (that source's stories, in every feed)."""
    include: tuple[tuple[str, str], ...] = ()
    exclude: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Topic:
    """A feed of every story, from every source, that its rules keep (`[topics.<slug>]`): a saved search."""

    slug: str
    title: str
    rules: StoryFilter
    """Its include and exclude rules (`feed` is `topics/<slug>`)."""


class SeedFile(NamedTuple):
    """A candidate seed as the scanner saw it: where it is, and the cheap facts that tell a change. A named tuple:
    every command makes one per seed (10,000 frozen dataclasses took 11.7 ms to make, named tuples 2.9 ms)."""

    path: str
    """Path relative to the seeds directory, with `/` separators."""
    size: int
    mtime_ns: int

    @property
    def modified(self) -> datetime:
        return datetime.fromtimestamp(self.mtime_ns / 1e9, tz=UTC)


@dataclass(frozen=True)
class Provenance:
    """Where an entry's fields came from."""

    seeds: tuple[str, ...]
    """Seed paths, relative to the seeds directory, sorted."""
    title_from: str
    """`link-line`, `front-matter`, `feed`, `body` or `link`."""
    published_from: str
    """Date candidate that won: `byline` (zoned), `header`, `dateline`, `front-matter`, `local-byline` (no zone),
    `feed`, `url` or `mtime`."""
    updated_from: str
    encoding: str = "utf-8"


@dataclass(frozen=True)
class EntryMeta:
    """An entry's canonical metadata: everything but the article body."""

    id: str
    title: str
    link: str
    published: datetime
    updated: datetime
    source_slug: str
    source_name: str
    author: str | None
    categories: tuple[str, ...]
    provenance: Provenance
    language: str | None = None
    """The story's script as its text shows it (`zh-Hans`, `zh-Hant`; `ingest.script`), None when the text tells
    nothing; the renderers fall back on the source's language (`output.documents`)."""


@dataclass(frozen=True)
class RawEntry:
    """An entry as parsed from a seed: canonical metadata, the article HTML as found."""

    meta: EntryMeta
    html: str


@dataclass(frozen=True)
class Removal:
    """One thing the cleaner took out, with the visible text it took."""

    kind: str
    text: str = ""


@dataclass(frozen=True)
class Cleaned:
    """The cleaner's result for one article."""

    html: str
    summary: str
    removed: tuple[Removal, ...] = ()
    added_text: str = ""
    """Visible text the cleaner wrote itself (labels of links that replace embeds, the text of emoji images)."""
    edges: tuple[tuple[bytes, int, int], ...] = ()
    """The blocks at either end that could be boilerplate (`clean.edges`): key and byte offsets in `html`."""


@dataclass(frozen=True)
class Entry:
    """A published entry: canonical metadata, safe HTML and a plain-text summary."""

    meta: EntryMeta
    article: str | bytes
    """The cleaned article HTML: text, or its UTF-8 bytes as the cache holds them (renderers that write UTF-8
    take them as they are; `content` decodes them for those that need text)."""
    summary: str
    digest: str
    """Content hash of the seed version this entry was built from (tie-breaker between versions)."""
    removed: tuple[Removal, ...] = ()
    """What the source's rules removed from the article (kind `rule <key> <pattern>`): `feedsvc rules test`."""
    edges: tuple[tuple[bytes, int, int], ...] = ()
    """The article's blocks that could be boilerplate (`Cleaned.edges`)."""

    @property
    def content(self) -> str:
        """The cleaned article HTML."""
        article = self.article
        return article if isinstance(article, str) else article.decode("utf-8")

    @property
    def marks(self) -> bytes:
        """The keys of `edges`, joined (`Version.marks`)."""
        return b"".join(key for key, _, _ in self.edges)

    @property
    def content_utf8(self) -> bytes:
        """The cleaned article HTML, UTF-8 encoded."""
        article = self.article
        return article if isinstance(article, bytes) else article.encode("utf-8")

    def __hash__(self) -> int:
        # The seed version's digest: entries are keys of the renderers' memos, and hashing every field of the
        # metadata for each lookup cost more than building some of the entries. Versions of one story in other
        # scripts share it and are told apart by equality.
        return hash(self.digest)


@dataclass(frozen=True)
class Feed:
    """One feed document to render, in any format: its identity, its links and its entries, newest first.

    Links are *stems* below the output directory (`all`, `sources/dw`, `archive/all/2024-05`): each format adds
    its own extension, so one value renders to Atom, RSS and JSON Feed alike."""

    slug: str
    """`all` for the unified feed, the source slug otherwise."""
    title: str
    subtitle: str
    stem: str
    """This document's path below the output directory, without extension."""
    base_url: str
    """The public URL of the output directory, ending in `/`."""
    alternate_url: str
    """The web page the feed stands for (the source's site; the index page for the unified feed)."""
    language: str | None
    entries: tuple[Entry, ...]
    id: str = ""
    """The feed's permanent id (the same for its archive documents and in every format)."""
    unified: bool = False
    topic: bool = False
    """A topic's feed (`[topics.<slug>]`): stories of every source, chosen by its rules."""
    entry_count: int = 0
    """How many entries the feed has in all (a document holds some of them)."""
    newest: datetime | None = None
    """`updated` of the newest entry."""
    current: str | None = None
    """In an archive document: the stem of the subscription document."""
    prev_archive: str | None = None
    """The stem of the next older archive document (RFC 5005), if any."""
    next_archive: str | None = None
    """In an archive document: the stem of the next newer archive document, if any."""
    hubs: tuple[str, ...] = ()
    """WebSub hubs readers may subscribe through."""
    variant_dir: str = ""
    """For a converted copy (`zh-hant`): the directory all its documents live under."""
    variant_skips: frozenset[str] = frozenset()
    """In a converted unified feed: the sources whose feeds have no copy in this variant (already written in it)."""

    @property
    def archived(self) -> bool:
        """Whether this is an archive document (RFC 5005 `fh:archive`) rather than the subscription document."""
        return self.current is not None

    def url(self, stem: str, extension: str) -> str:
        return f"{self.base_url}{stem}{extension}"

    def source_stem(self, slug: str) -> str:
        """The stem of the feed of the source `slug`, in this feed's variant where that source has one."""
        stem = f"sources/{slug}"
        return f"{self.variant_dir}/{stem}" if self.variant_dir and slug not in self.variant_skips else stem


@dataclass(frozen=True)
class SeedProblem:
    """A seed that yields no entry, and why."""

    path: str
    reason: str

    @property
    def lfs_pointer(self) -> bool:
        """Whether the file is a git LFS pointer in the seed's place (`LFS_POINTER`)."""
        return self.reason == LFS_POINTER


LFS_POINTER = "a git LFS pointer, not the article: the repository was cloned without git-lfs"
"""The reason given for a git LFS pointer file: an archive that keeps its articles in LFS, cloned or pulled
without git-lfs, holds these small text files in their place. Reported together (`Report.skipped_lines`)."""


@dataclass(frozen=True)
class ParseResult:
    """What parsing one seed gave: entries, or the reason there are none."""

    entries: tuple[RawEntry, ...] = ()
    problem: str | None = None
    notes: tuple[str, ...] = ()
    """Things worth saying in verbose output (encoding fallbacks, title fallbacks)."""


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def instant(moment: datetime) -> int:
    """Microseconds since the epoch: exact, so ordering by it is ordering by the datetime."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


MARK_BYTES = 8
"""Bytes of the key of a block that could be boilerplate (`clean.edges`, `Version.marks`): a 64-bit digest, no
collision among an archive's blocks in practice."""


class Version(NamedTuple):
    """One version of a story: entry `n` of the seed with `digest`, and what merging and ordering read of it
    (`key` is the scheme-less canonical link, `links.link_key`: versions with the same key are one story).
    A named tuple: a run builds one per cached entry, so it must be cheap to make."""

    digest: str
    n: int
    key: str
    id: str
    source_slug: str
    updated: int
    published: int
    marks: bytes = b""
    """The keys of the article's blocks that could be boilerplate (`clean.edges`), 8 bytes each, in order."""

    @classmethod
    def of(cls, meta: EntryMeta, digest: str, n: int, marks: bytes = b"") -> Version:
        return cls(digest, n, link_key(meta.link), meta.id, meta.source_slug, instant(meta.updated),
                   instant(meta.published), marks)


class Story(NamedTuple):
    """All versions of one story: the newest gives content and fields, the oldest its `published` date."""

    newest: Version
    oldest: Version
    digests: tuple[str, ...]
    cut: bytes = b""
    """The keys of the newest version's blocks that its source's learned rules remove (`stories.boilerplate`)."""

    @property
    def source_slug(self) -> str:
        return self.newest.source_slug


@dataclass(frozen=True)
class Dropped:
    """A story a filter left out: of which feed (`all` or a source slug), by which rule."""

    feed: str
    rule: str
    story_id: str
    title: str = ""
    link: str = ""


@dataclass(frozen=True)
class SourceStatus:
    slug: str
    name: str
    entries: int
    newest: datetime | None


class KnownSeed(NamedTuple):
    """A seed as the last run saw it: the size and mtime that tell a change, and the digest of its content."""

    size: int
    mtime_ns: int
    digest: str

    def matches(self, seed: SeedFile) -> bool:
        return (self.size, self.mtime_ns) == (seed.size, seed.mtime_ns)
