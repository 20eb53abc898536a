"""Seed bytes to text: UTF-8 with or without BOM, then GB18030 or Big5, whichever reads as Chinese."""

from __future__ import annotations

from dataclasses import dataclass

# The most frequent characters of Chinese text, Simplified and Traditional: a wrong decoding rarely produces them.
_COMMON = frozenset(
    "的一是不了在人有我他这這个個们們中来來上大为為和国國地到以说說时時要就出会會也你对對生能而子那得于於"
    "着著下自之年过過发發后後作里裡用道行所然家种種事成方多经經么麼去法学學如都同现現当當没沒动動面起看定"
    "天分还還进進好小部其些主样樣理心她本前开開但因只从從想实實日"
)


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str


def looks_binary(data: bytes) -> bool:
    """NUL bytes in the first 8 KiB: an image, an archive, a database, not a text seed."""
    return b"\x00" in data[:8192]


def _score(text: str) -> int:
    return sum(1 for ch in text if ch in _COMMON)


def decode(data: bytes) -> Decoded | None:
    """The text of a seed with `\\n` line ends, and the encoding used; None when no candidate decodes it.

    UTF-8 first; then GB18030 or Big5, whichever decodes and reads as Chinese; then UTF-8 with its few broken
    sequences (a cut multi-byte character, an encoded lone surrogate) replaced by U+FFFD.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return Decoded(_lines(data.decode("utf-8")), "utf-8")
    except UnicodeDecodeError:
        pass
    readings: list[tuple[int, int, str, str]] = []
    for rank, candidate in enumerate(("gb18030", "big5")):
        try:
            decoded = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        readings.append((_score(decoded), -rank, candidate, decoded))
    best = max(readings, default=None)
    if best is not None and best[0] > 0:
        return Decoded(_lines(best[3]), best[2])
    text = data.decode("utf-8", "replace")
    damaged = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    if damaged <= 16 or damaged * 100 <= len(text):
        return Decoded(_lines(text), f"utf-8 ({damaged} invalid sequences replaced)")
    if best is not None:
        return Decoded(_lines(best[3]), best[2])
    return None


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
