"""Simplified and Traditional Chinese copies of feeds. Only this module imports OpenCC.

A variant is a transformation of a feed's values, not a second pipeline: titles, summaries, the text of the
content (never its markup, URLs or attributes), authors, categories and source names are converted; the copy
lives under its own directory (`zh-hant/all.atom`), has its own id and says its language. Every feed of a Chinese
source (and the unified feed) gets a copy in each configured variant: a source may write both scripts (DW does).
Each story is converted by its own script (`EntryMeta.language`, judged from its text, else its source's):
a story already written in the variant's script, or in no Chinese, is left as written (only its source's name
converted: the configuration may give it in the other script), which spares converting it and OpenCC's
over-conversions (`核查` is not `覈查`). A converted story says the variant's language.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import opencc

from feedsvc.model import Entry, Feed
from feedsvc.output.plan import feed_id


@dataclass(frozen=True)
class Variant:
    tag: str
    """The language tag the copy declares (`zh-Hans`, `zh-Hant`)."""
    directory: str
    label: str
    config: str
    """OpenCC's conversion (`t2s`: to Simplified; `s2t`: to Traditional)."""


VARIANTS = {
    "zh-Hans": Variant("zh-Hans", "zh-hans", "简体中文", "t2s"),
    "zh-Hant": Variant("zh-Hant", "zh-hant", "繁體中文", "s2t"),
}
_HANT = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")
_HANS = ("zh-hans", "zh-cn", "zh-sg", "zh-my")
_TAG = re.compile(r"(<(?:[^>\"']|\"[^\"]*\"|'[^']*')*>)")
"""A tag (or comment), captured: splitting on it gives text, tag, text, … text."""
_JOINER = "\ue000"
"""Joins a document's text runs so OpenCC converts them in one call (a private-use character: never in a
dictionary, so never part of a converted phrase)."""


def written_in(language: str | None) -> str | None:
    """`zh-Hans` or `zh-Hant` for a language tag that names a script or region, `mixed` for plain `zh` or no
    tag, None for a language that is not Chinese."""
    if language is None:
        return "mixed"
    lowered = language.lower()
    if lowered.startswith(_HANT):
        return "zh-Hant"
    if lowered.startswith(_HANS):
        return "zh-Hans"
    return "mixed" if lowered in ("zh", "zho", "chi") or lowered.startswith("zh-") else None


def wanted(variant: Variant, feed: Feed) -> bool:
    """Whether `feed` gets a copy in `variant`: the unified feed and the topics' (every source's stories), and every
    feed of a source written in Chinese."""
    return feed.unified or feed.topic or written_in(feed.language) is not None


def kept_as_written(variant: Variant, entry: Entry) -> bool:
    """Whether `entry` is left as written in `variant`'s copies: its script is the variant's, or not Chinese."""
    return written_in(entry.meta.language) in (None, variant.tag)


HTML_MEMORY = 1024
"""Converted articles remembered: a story is rendered in its source's feed and in the unified feed, one right after
the other (`documents`), and a daemon renders the newest stories again and again."""


class Converter:
    """OpenCC for one variant, with the text it converted remembered."""

    def __init__(self, variant: Variant) -> None:
        self.variant = variant
        self._opencc = opencc.OpenCC(variant.config)
        self.text = functools.lru_cache(maxsize=65536)(self._convert)
        self.html = functools.lru_cache(maxsize=HTML_MEMORY)(self._html)
        self.entry = functools.lru_cache(maxsize=HTML_MEMORY)(self._entry)
        """`entry` converted, the same object for each document that lists it: the renderers' memos find it by
        identity, and its summary is converted once."""

    def _convert(self, text: str) -> str:
        return str(self._opencc.convert(text)) if text else text

    def _html(self, markup: str) -> str:
        """`markup` with the text between its tags converted; tags, attributes and URLs untouched."""
        parts = _TAG.split(markup)
        texts = parts[0::2]
        if _JOINER in markup:
            converted = [self._convert(text) for text in texts]
        else:
            converted = self._convert(_JOINER.join(texts)).split(_JOINER)
            if len(converted) != len(texts):  # never expected: fall back to one call per run of text
                converted = [self._convert(text) for text in texts]
        parts[0::2] = converted
        return "".join(parts)

    def named(self, entry: Entry) -> Entry:
        """`entry` as its source wrote it, but for the source's name (which the configuration may give in the
        other script): the same entry when that needs no conversion."""
        name = self.text(entry.meta.source_name)
        return entry if name == entry.meta.source_name else replace(entry, meta=replace(entry.meta, source_name=name))

    def _entry(self, entry: Entry) -> Entry:
        meta = entry.meta
        converted = replace(meta, title=self.text(meta.title), source_name=self.text(meta.source_name),
                            author=self.text(meta.author) if meta.author else None,
                            categories=tuple(self.text(c) for c in meta.categories), language=self.variant.tag)
        return Entry(converted, self.html(entry.content), self._convert(entry.summary), entry.digest)


def transforms(tags: Iterable[str], source_languages: dict[str, str | None]) -> list[Callable[[Feed], Feed | None]]:
    """One transformation per configured variant: a feed to its converted copy, or None when it gets none.
    `source_languages` maps each source slug to its declared language: a source not written in Chinese has no
    copies (`variant_skips`: its stories in the unified feed's copies name its own feed as their source)."""
    result: list[Callable[[Feed], Feed | None]] = []
    for tag in tags:
        variant = VARIANTS[tag]
        converter = Converter(variant)
        skips = frozenset(slug for slug, language in source_languages.items() if written_in(language) is None)
        result.append(functools.partial(_copy, variant, converter, skips))
    return result


def _copy(variant: Variant, converter: Converter, skips: frozenset[str], feed: Feed) -> Feed | None:
    if not wanted(variant, feed):
        return None
    prefix = variant.directory + "/"
    return replace(
        feed, title=converter.text(feed.title), subtitle=converter.text(feed.subtitle), stem=prefix + feed.stem,
        language=variant.tag,
        id=feed_id(f"topics/{feed.slug}" if feed.topic else feed.slug, variant.directory),
        current=prefix + feed.current if feed.current else None,
        prev_archive=prefix + feed.prev_archive if feed.prev_archive else None,
        next_archive=prefix + feed.next_archive if feed.next_archive else None,
        entries=tuple(converter.named(e) if kept_as_written(variant, e) else converter.entry(e)
                      for e in feed.entries),
        variant_dir=variant.directory, variant_skips=skips)
