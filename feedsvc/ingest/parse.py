"""One seed's bytes to entries, or to the reason it yields none. Pure: no disk, no clock (both are passed in).

Formats, told apart by content (the file name is only a hint):
  feedx item (A)   `<!--EPOCH_MS-->`, `[title](url)`, dashes, the article HTML
  Jekyll post (B)  front matter, then `<!--EPOCH_MS|NaN-->`, `[title](url)`, dashes, the HTML
  format C         `[title](url)`, dashes, `日期：<RFC 2822 date>`, multi-line HTML
  format N         front matter, then a whole WordPress page (link from `from:`)
  feed file        RSS 2.0 / RSS 1.0 / Atom, one entry per item
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass
from datetime import datetime

from feedsvc.errors import FeedFileError
from feedsvc.ingest.dates import DateCandidate, DatePolicy, choose_date, from_epoch_ms, has_zone, parse_date
from feedsvc.ingest.decode import decode, looks_binary
from feedsvc.ingest.feedfile import FEED_SUFFIXES, looks_like_feed, parse_feed
from feedsvc.ingest.frontmatter import FrontMatter, first_copy, split_front_matter
from feedsvc.links import canonical_link, entry_id, url_date
from feedsvc.model import LFS_POINTER, EntryMeta, ParseResult, Provenance, RawEntry, Source
from feedsvc.stories.sources import SourceCatalog, names_source
from feedsvc.text import collapse_space, readable, without_blocks, without_tags


@dataclass(frozen=True)
class ParseContext:
    """Everything parsing needs besides the bytes: the source table, the date policy, the limits."""

    catalog: SourceCatalog
    policy: DatePolicy
    ignore_categories: frozenset[str] = frozenset({"news"})
    max_bytes: int = 5_000_000


@dataclass(frozen=True)
class _Found:
    """The fields of an article seed as they stand in the file."""

    fmt: str
    title: str
    url: str
    html: str
    header: str | None = None
    dateline: str | None = None
    front: FrontMatter | None = None


_DASHES = re.compile(r"^-{3,}\s*$")
_LIST_LINK = re.compile(r"\[[^\]\n]*\]\(/[^)\n]*\)")
_BYLINE = re.compile(r"^\s*(?:<div>\s*)?<div>\s*<i>(.*?)</i>\s*</div>", re.DOTALL)
_RFI_DATE = re.compile(r"^\s*(?:<div>\s*)?<div>\s*(\d{1,2}/\d{1,2}/\d{4}\s*-\s*\d{1,2}:\d{2})\s*</div>")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_HEADING_OPENS = re.compile(r"<h[1-3][^>]*>", re.IGNORECASE)
_HEADING_CLOSES = re.compile(r"</h[1-3]>", re.IGNORECASE)
_SKIP_BLOCKS = ("script", "style", "noscript", "template", "head")


def split_link_line(line: str) -> tuple[str, str] | None:
    """`[title](url)` to (title, url), splitting on the last `](` since titles hold brackets (`[政治] …`)."""
    line = line.strip()
    if not (line.startswith("[") and line.endswith(")")):
        return None
    cut = line.rfind("](")
    if cut < 0:
        return None
    return line[1:cut], line[cut + 2:-1].strip()


def _header(line: str) -> str | None:
    r"""The text of a line that is one comment (feedx's `<!--1595109644000-->`), whitespace around it aside; None
    for any other line. Not a regular expression: `<!--\s*(.*?)\s*-->` backtracks quadratically over a long run
    of spaces, and a seed may be one 5 MB line."""
    if len(line) >= 7 and line.startswith("<!--") and line.endswith("-->"):
        return line[4:-3].strip()
    return None


def _dateline(line: str) -> str | None:
    r"""What a `日期：` line (format C) gives as the date, whitespace around it aside; None for any other line or an
    empty date. Not `^日期[：:]\s*(.+?)\s*$`, which backtracks quadratically over a long run of spaces."""
    if line.startswith(("日期：", "日期:")):
        return line[3:].strip() or None
    return None


def _lines_after_blank(lines: list[str], index: int) -> int:
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index


def _article(text: str, front: FrontMatter | None) -> _Found | str:
    """The article fields of a text seed, or the reason it is not an article."""
    lines = text.split("\n")
    index = _lines_after_blank(lines, 0)
    header = None
    if index < len(lines) and (found := _header(lines[index].strip())) is not None:
        header = found
        index = _lines_after_blank(lines, index + 1)
    link_line = split_link_line(lines[index]) if index < len(lines) else None
    if link_line and index + 1 < len(lines) and _DASHES.match(lines[index + 1]):
        title, url = link_line
        index += 2
        dateline = None
        probe = _lines_after_blank(lines, index)
        if probe < len(lines) and (found := _dateline(lines[probe].strip())):
            dateline, index = found, probe + 1
        fmt = "jekyll" if front else ("C" if dateline is not None and header is None else "feedx")
        return _Found(fmt, title, url, "\n".join(lines[index:]).strip(), header, dateline, front)
    if front is not None and header is None and not link_line:
        source_url = front.text("from") or ""
        if not source_url:
            return "front matter without a `from:` link and no `[title](url)` line: no link to the article"
        return _Found("N", front.text("title") or "", source_url, "\n".join(lines[index:]).strip(), None, None, front)
    if index + 1 < len(lines) and _DASHES.match(lines[index + 1]) and len(_LIST_LINK.findall(text)) >= 2:
        return "archive index page (a list of links, not an article)"
    if header is not None and index >= len(lines):
        return "header comment without a body: no `[title](url)` line"
    return "not a seed: no `[title](url)` line followed by a dashes line"


def _byline(html: str) -> tuple[str | None, DateCandidate | None]:
    """Author and date from the lead `<div><i>author<br>date</i></div>` (or RFI's `<div>dd/mm/yyyy - hh:mm</div>`).
    A date that names its zone is the article's own time (`byline`); a zone-less local one is weaker
    (`local-byline`)."""
    match = _BYLINE.match(html)
    if match:
        parts = [collapse_space(htmllib.unescape(without_tags(p, ""))) for p in _BR.split(match.group(1))]
        when = parse_date(parts[-1]) if parts else None
        names = parts[:-1] if when else parts
        author = ", ".join(dict.fromkeys(n for part in names for n in part.split(",") if n.strip()))
        author = re.sub(r"^null\b\s*", "", author).strip()
        return author or None, _byline_date(parts[-1], when) if when else None
    match = _RFI_DATE.match(html)
    if match and (when := parse_date(match.group(1))):
        return None, _byline_date(match.group(1), when)
    return None, None


def _byline_date(text: str, when: datetime) -> DateCandidate:
    return DateCandidate("byline" if has_zone(text) else "local-byline", when)


def _first_heading(body: str) -> str | None:
    """The markup inside the first `<h1>`-`<h3>` that closes (to the first closing tag of the three after it):
    if the first opening tag has none after it, no later one has. In one pass, where searching for
    `<h[1-3][^>]*>(.*?)</h[1-3]>` scans to the end from every opening tag (quadratic in unclosed headings)."""
    opening = _HEADING_OPENS.search(body)
    closing = _HEADING_CLOSES.search(body, opening.end()) if opening else None
    return body[opening.end():closing.start()] if opening and closing else None


def _fallback_title(html: str) -> str:
    """The first heading of the body, else its first sentence (cut to 80 characters)."""
    body = without_blocks(html, _SKIP_BLOCKS, " ")
    heading = _first_heading(body)
    if heading:
        text = collapse_space(htmllib.unescape(without_tags(heading)))
        if text:
            return text
    text = collapse_space(htmllib.unescape(without_tags(body)))
    sentence = re.split(r"(?<=[。！？!?])|(?<=\.)\s", text, maxsplit=1)[0].strip()
    if len(sentence) > 80:
        cut = sentence[:80]
        sentence = (cut.rsplit(" ", 1)[0] if " " in cut[40:] else cut) + "…"
    return sentence


def clean_title(raw: str, source: Source) -> str:
    title = collapse_space(readable(htmllib.unescape(raw)))
    for pattern in source.title_affixes:
        title = re.sub(pattern, "", title).strip()
    return title


def _decoded(name: str | None) -> str | None:
    """A name as a seed's field holds it, its HTML entities decoded once (`&#38;` is `&`), as titles are: the
    byline's names are decoded where they are read from the article's HTML."""
    return htmllib.unescape(name) if name else name


def _is_real_author(name: str | None, source: Source) -> bool:
    if not name:
        return False
    return name.casefold() not in ("unknown", "null", "none") and not names_source(source, name)


def _categories(found: list[str], source: Source, ctx: ParseContext) -> tuple[str, ...]:
    kept: dict[str, str] = {}
    for raw in found:
        name = collapse_space(readable(htmllib.unescape(raw)))
        if not name or name.casefold() in ctx.ignore_categories or names_source(source, name):
            continue
        kept.setdefault(name.casefold(), name)
    return tuple(kept.values())


@dataclass(frozen=True)
class _Fields:
    """Everything an entry needs, gathered from one format, before the common checks."""

    title: str
    title_fallbacks: tuple[tuple[str, str], ...]
    url: str
    fallback_url: str
    html: str
    dates: tuple[DateCandidate, ...]
    authors: tuple[str | None, ...]
    categories: tuple[str, ...]
    title_origin: str


def _entry(fields: _Fields, path: str, mtime: datetime | None, encoding: str,
           ctx: ParseContext, notes: list[str]) -> RawEntry | str:
    link = canonical_link(fields.url)
    if link is None and fields.fallback_url:
        link = canonical_link(fields.fallback_url)
        if link:
            notes.append(f"link line URL {fields.url!r} unusable; took the front matter's `from:`")
    if link is None:
        return f"no absolute http(s) link to the article (found {fields.url or fields.fallback_url!r})"
    source = ctx.catalog.for_link(link)
    title, title_origin = clean_title(fields.title, source), fields.title_origin
    for origin, candidate in fields.title_fallbacks:
        if title:
            break
        title, title_origin = clean_title(candidate, source), origin
        if title:
            notes.append(f"empty title; took it from the {origin}")
    if not title:
        title, title_origin = link, "link"
        notes.append("empty title and nothing to take one from; the link stands in")
    fallback = DateCandidate("mtime", mtime) if mtime else None
    chosen = choose_date(list(fields.dates), url_date(link), ctx.policy, fallback)
    if chosen is None:
        stated = ", ".join(f"{c.origin} {c.value.isoformat()}" for c in fields.dates) or "none"
        return f"no plausible date (candidates: {stated})"
    author = next((a for a in fields.authors if _is_real_author(a, source)), None)
    meta = EntryMeta(
        id=entry_id(link),
        title=title,
        link=link,
        published=chosen.value,
        updated=chosen.value,
        source_slug=source.slug,
        source_name=source.name,
        author=collapse_space(readable(author)) if author else None,
        categories=_categories(list(fields.categories), source, ctx),
        provenance=Provenance((path,), title_origin, chosen.origin, chosen.origin, encoding),
    )
    return RawEntry(meta, fields.html)


def _article_fields(found: _Found) -> _Fields:
    front = found.front
    # In order of trust. The lead byline, when it names its zone, is the article's own time to the second; the
    # header and front matter are the feed's time, often one instant for a whole batch of stories.
    byline_author, byline_date = _byline(found.html)
    dates: list[DateCandidate] = []
    if byline_date and byline_date.origin == "byline":
        dates.append(byline_date)
    if found.header is not None and (when := from_epoch_ms(found.header)):
        dates.append(DateCandidate("header", when))
    if found.dateline and (when := parse_date(found.dateline)):
        dates.append(DateCandidate("dateline", when))
    if front and (raw_date := front.text("date")) and (when := parse_date(raw_date)):
        dates.append(DateCandidate("front-matter", when))
    if byline_date and byline_date.origin == "local-byline":
        dates.append(byline_date)
    fallbacks: list[tuple[str, str]] = []
    if front and found.fmt != "N":
        fallbacks.append(("front-matter", front.text("title") or ""))
    fallbacks.append(("body", _fallback_title(found.html)))
    return _Fields(
        title=found.title,
        title_fallbacks=tuple(fallbacks),
        url=found.url,
        fallback_url=(front.text("from") or "") if front else "",
        html=found.html,
        dates=tuple(dates),
        authors=(byline_author, _decoded(front.text("author")) if front else None),
        categories=(*front.items("tags"), *front.items("categories")) if front else (),
        title_origin="front-matter" if found.fmt == "N" else "link-line",
    )


_LFS_POINTER = re.compile(rb"version https://git-lfs\.github\.com/spec/v1\n(?:ext-\d+-\w+ sha256:[0-9a-f]{64}\n)*"
                          rb"oid sha256:[0-9a-f]{64}\nsize \d+\n")


def is_lfs_pointer(data: bytes) -> bool:
    """Whether `data` is a git LFS pointer file (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md): its
    first line names the spec, then its keys in sorted order: extensions, `oid` and `size`."""
    return len(data) < 1024 and _LFS_POINTER.match(data) is not None


def parse_seed(data: bytes, path: str, mtime: datetime | None, ctx: ParseContext) -> ParseResult:
    """Entries from one seed file, or the reason it yields none. Never raises for any input."""
    if len(data) > ctx.max_bytes:
        return ParseResult(problem=f"larger than the size limit ({len(data)} > {ctx.max_bytes} bytes)")
    if not data:
        return ParseResult(problem="empty file")
    if looks_binary(data):
        return ParseResult(problem="binary file (NUL bytes), not a text seed")
    if is_lfs_pointer(data):
        return ParseResult(problem=LFS_POINTER)
    notes: list[str] = []
    if looks_like_feed(data) or (path.lower().endswith(FEED_SUFFIXES) and data.lstrip().startswith(b"<")):
        return _parse_feed_file(data, path, mtime, ctx, notes)
    decoded = decode(data)
    if decoded is None:
        return ParseResult(problem="not text: neither UTF-8, GB18030 nor Big5")
    if decoded.encoding != "utf-8":
        notes.append(f"not UTF-8; decoded as {decoded.encoding}")
    text = decoded.text
    if not text.strip():
        return ParseResult(problem="whitespace only")
    split = split_front_matter(text)
    front, body = split if split else (None, text)
    if split:
        body, copies = first_copy(text, body)
        if copies > 1:
            notes.append(f"the seed holds itself {copies} times (front matter and article); took the first")
    found = _article(body, front)
    if isinstance(found, str):
        return ParseResult(problem=found, notes=tuple(notes))
    made = _entry(_article_fields(found), path, mtime, decoded.encoding, ctx, notes)
    if isinstance(made, str):
        return ParseResult(problem=made, notes=tuple(notes))
    return ParseResult(entries=(made,), notes=tuple(notes))


def _parse_feed_file(data: bytes, path: str, mtime: datetime | None, ctx: ParseContext,
                     notes: list[str]) -> ParseResult:
    try:
        items = parse_feed(data)
    except FeedFileError as exc:
        return ParseResult(problem=str(exc))
    entries: list[RawEntry] = []
    problems: list[str] = []
    for number, item in enumerate(items, 1):
        dates = tuple(DateCandidate("feed", d) for d in (item.published, item.updated) if d)
        fields = _Fields(item.title, (("body", _fallback_title(item.html)),), item.link, "", item.html, dates,
                         (_decoded(item.author),), item.categories, "feed")
        made = _entry(fields, path, mtime, "utf-8", ctx, notes)
        if isinstance(made, str):
            problems.append(f"item {number}: {made}")
        else:
            entries.append(made)
    if not entries:
        return ParseResult(problem="; ".join(problems) or "feed has no usable item", notes=tuple(notes))
    notes.extend(problems)
    return ParseResult(entries=tuple(entries), notes=tuple(notes))
