"""Gzip, in one place: the `.gz` siblings of published files (`publish`) and the responses the server compresses
when asked (`serve.web`), made with ISA-L's deflate (the `isal` package).

Every run with new stories compresses the subscription documents again, in three formats, and the daemon's latency
is mostly that run. On the 10,000-seed benchmark's 2 MB unified Atom feed, zlib at level 1 takes 34 ms and ISA-L at
level 2 9 ms (level 3: 14 ms; zlib at level 3: 60 ms); a `feedsvc regenerate` that publishes one new seed took
0.771 s instead of 0.848 s (median of eight, taking turns), its writer threads spending 0.06 s of processor time
on gzip instead of 0.16 s. Size is what it was: on the 300 real articles' published files, ISA-L's level 2 is
0.4 % larger than zlib's level 1 (level 3 would be 2 % smaller, zlib's level 3 4 %)."""

from __future__ import annotations

from isal import igzip

GZIP_LEVEL = 2
"""ISA-L's levels are 0 to 3: see the module's docstring for why 2."""


def gzipped(data: bytes, level: int = GZIP_LEVEL) -> bytes:
    """Deterministic gzip: no name, no timestamp, so the same bytes always compress to the same bytes."""
    return igzip.compress(data, level, mtime=0)
