"""Gzip, in one place: the `.gz` siblings of published files (`publish`) and the responses the server compresses
when asked (`serve.web`), made with zlib.

zlib, because its bytes are the same on every machine: the same feed compressed by `gzipped` gave one output on an
x86-64 processor, on one without SSE4.2 and on ARM64 (Debian's zlib 1.2.13; the latter two under QEMU). ISA-L's
deflate (the `isal` package), which compressed four times faster, gave three: its hash and match finder depend on
the processor, so two mirrors of one archive would publish different `.gz` files, and a cluster of them different
ETags. A zlib other than zlib itself (zlib-ng, as Fedora ships it) compresses differently too.

Every run with new stories compresses the subscription documents again, in three formats, and the daemon's latency
is mostly that run: level 1 compresses the 10,000-seed benchmark's 2 MB unified Atom feed in 34-37 ms where level 3
takes 60-68 ms (the daemon served a new seed in 0.39 s instead of 0.51 s, median of five). The price is size: on
the 300 real articles' unified feeds, level 1 is 4 % larger than level 3 and 9 % larger than level 5."""

from __future__ import annotations

import struct
import zlib

GZIP_LEVEL = 1
"""zlib's fastest level: see the module's docstring for why."""


def gzipped(data: bytes, level: int = GZIP_LEVEL) -> bytes:
    """Deterministic gzip: the same bytes always compress to the same bytes, on every machine. The header names no
    file, no time and no operating system (zlib's own header, which Python's `gzip` writes, says which system it
    was built for: Unix, macOS and Windows would differ)."""
    deflate = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    stream = deflate.compress(data) + deflate.flush()
    speed = 4 if level == 1 else 2 if level == 9 else 0  # RFC 1952's XFL: fastest, best or neither
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00" + bytes((speed, 255))  # deflate; no flags, no time; OS unknown
    return header + stream + struct.pack("<LL", zlib.crc32(data), len(data) & 0xFFFFFFFF)
