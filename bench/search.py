"""The search benchmark: `python -m bench.search [--stories N]`. Prints figures; asserts nothing.

Builds a search index (`feedsvc.search.index`) of N synthetic stories (the benchmark corpus's Chinese sentences,
article sizes as in real archives, a few Latin words), then times the first page of results (the count and 20
stories, newest first) for one-, two- and four-character Chinese queries (taken from the stories, so each finds
some) and Latin words: medians and 95th percentiles, with the index's size on disk.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench.corpus import BODIES, _sentence
from feedsvc.search.index import FILE, Document, SearchIndex

WORDS = ["Biden", "Reuters", "Taiwan", "Hong Kong", "COVID", "Xi Jinping", "G20", "Trump"]


def documents(count: int, rng: random.Random) -> Iterator[Document]:
    for n in range(count):
        size = BODIES["real"](rng) // 3  # bytes of HTML to characters of text, roughly
        parts: list[str] = []
        length = 0
        while length < size:
            parts.append(_sentence(rng) if rng.random() > 0.05 else f" {rng.choice(WORDS)} ")
            length += len(parts[-1])
        text = "".join(parts)
        yield Document(f"urn:uuid:{n:08x}-0000-5000-8000-000000000000", rng.choice(["dw", "voa", "rfa", "cna"]),
                       "source", text[:24], f"https://x.example/{n}", f"stories/{n}.html",
                       "2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00+00:00", None, text[:100], text,
                       1_600_000_000_000 + n * 30_000)


def _times(index: SearchIndex, queries: list[str]) -> tuple[float, float, float]:
    """(median ms, 95th percentile ms, median result count)."""
    took, counts = [], []
    for query in queries:
        started = time.perf_counter()
        found = index.search(query)
        took.append((time.perf_counter() - started) * 1000)
        counts.append(found.total)
    took.sort()
    return statistics.median(took), took[max(0, round(0.95 * len(took)) - 1)], statistics.median(counts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__)
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=60, help="queries of each kind (default 60)")
    args = parser.parse_args(argv)
    rng = random.Random(20261204)
    with tempfile.TemporaryDirectory(prefix="feedsvc-bench-search-") as tmp:
        index = SearchIndex.open(Path(tmp))
        started = time.perf_counter()
        samples: list[str] = []

        def kept(stream: Iterator[Document]) -> Iterator[Document]:
            for document in stream:
                if len(samples) < 2000 and rng.random() < 0.05:
                    samples.append(document.text)
                yield document

        index.update(kept(documents(args.stories, rng)), (), "bench", rebuild=True)
        built = time.perf_counter() - started
        index.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = sum(p.stat().st_size for p in Path(tmp).glob(FILE + "*"))

        def chinese(length: int) -> list[str]:
            found: list[str] = []
            while len(found) < args.queries:
                text = rng.choice(samples)
                at = rng.randrange(0, max(1, len(text) - length))
                piece = text[at:at + length]
                if len(piece) == length and all("\u4e00" <= c <= "\u9fff" for c in piece):
                    found.append(piece)
            return found

        rows = [(f"{n} character{'s' if n > 1 else ''}", chinese(n)) for n in (1, 2, 4)]
        rows.append(("a Latin word", [rng.choice(WORDS).split()[0] for _ in range(args.queries)]))
        print(f"search index of {args.stories:,} stories: built in {built:.1f} s, {size / 2**20:,.0f} MB on disk")
        print("| query | median | p95 | median count |")
        print("| --- | --- | --- | --- |")
        for label, queries in rows:
            median, p95, count = _times(index, queries)
            print(f"| {label} | {median:.1f} ms | {p95:.1f} ms | {count:,.0f} |")
        index.close()


if __name__ == "__main__":
    main()
