"""compress: gzip any reader can open, the same bytes for the same input on every machine (zlib's deflate)."""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

from feedsvc.output.compress import gzipped

ROOT = Path(__file__).resolve().parents[2]


def _articles() -> bytes:
    """The shipped sample seeds, one after the other: markup around Chinese text, as a feed holds it."""
    samples = [p.read_bytes() for p in sorted((ROOT / "seeds").iterdir()) if p.is_file()]
    assert samples, "the shipped sample seeds are missing"
    return b"".join(samples)


def test_any_gzip_reader_gets_the_bytes_back() -> None:
    data = _articles()
    packed = gzipped(data)
    assert gzip.decompress(packed) == data
    assert zlib.decompress(packed, wbits=31) == data  # one member, as browsers and feed readers inflate it
    assert gzip.decompress(gzipped(b"")) == b""


def test_the_same_bytes_give_the_same_gzip_with_no_name_and_no_time() -> None:
    packed = gzipped(_articles())
    assert gzipped(_articles()) == packed
    magic, method, flags, mtime = struct.unpack("<HBBL", packed[:8])
    assert (magic, method, flags, mtime) == (0x8B1F, 8, 0, 0)  # deflate; no file name or other field; no time


def test_the_deflate_stream_is_zlib_s_at_its_fastest_level() -> None:
    """zlib's output is the same on every processor; a deflate that chooses its matches by processor (ISA-L's gave
    three outputs for one feed: x86-64, x86-64 without SSE4.2, ARM64) would make the `.gz` files of two mirrors
    differ; the header names no operating system (zlib's says which it was built for)."""
    data = _articles()
    raw = zlib.compressobj(1, zlib.DEFLATED, -15)
    packed = gzipped(data)
    assert packed[10:-8] == raw.compress(data) + raw.flush()
    assert packed[8:10] == b"\x04\xff"  # fastest level; no operating system named
    assert struct.unpack("<LL", packed[-8:]) == (zlib.crc32(data), len(data))
