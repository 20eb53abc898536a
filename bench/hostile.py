"""`python -m bench.hostile [--mb 0.5 --mb 1 ...]`: what one hostile seed costs as it grows. Prints figures;
asserts nothing.

Seeds may be up to `max_seed_bytes` (5 MB by default); a publisher's markup (or someone's who writes seeds) can
be shaped to make parsing or cleaning grow faster than its bytes. Each shape is one seed whose article is N MB of
the same small unit, parsed and cleaned once in this process as a worker does (`ingest.work.process`), so
doubling N shows how its cost grows: about twice is linear, about four times quadratic.
"""

from __future__ import annotations

import argparse
import time

from bench.corpus import worker_job
from feedsvc.ingest.work import Job, process

SHAPES = {
    "sibling spans": "<span>字</span>",
    "sibling links without href": "<a>字</a>",
    "wrappers of inline text": "<div><span>字</span></div>",
    "line breaks": "字<br>",
    "boxes splitting sentences": "<div>前半<div><p>框</p></div>，后半</div>",
    "boxes splitting one wrapper's sentences": "前半<div><p>框</p></div>，后半",
    "nested quotes": "<blockquote>字",
    "empty links": '<a href="https://x.example/"><br></a>字',
    "table cells outside a table": "<td>字</td>",
    "inline elements around blocks": "<b><p>字</p></b>",
    "list items outside a list": "<li>字</li>字",
    "empty paragraphs": "<p></p>字",
    "images with captions": '<img src="https://x.example/i.jpg"><p class="caption">字</p>',
    "unclosed <noscript>s": "<noscript>字",
    "unclosed headings (a seed without a title)": "<h1>字",
    "unclosed comments": "<!--字",
    "unclosed tags": "<p a='",
    "paragraphs": "<p>字字字字字字字字。</p>",
}
"""Name -> the unit repeated to make the article."""
IN_ONE_WRAPPER = frozenset({"boxes splitting one wrapper's sentences"})
"""Shapes whose units all stand in one `<div>`."""
UNTITLED = frozenset({"unclosed headings (a seed without a title)"})
"""Shapes whose seed has an empty title, so that the parser looks for one in the article."""


def seconds(job: Job, name: str, megabytes: float) -> float:
    unit = SHAPES[name]
    html = unit * max(1, int(megabytes * 1_000_000 / len(unit.encode())))
    if name in IN_ONE_WRAPPER:
        html = f"<div>{html}</div>"
    title = "" if name in UNTITLED else "标题"
    seed = f"<!--1699422424000-->\n[{title}](https://www.dw.com/zh/a-1)\n------\n\n{html}\n".encode()
    started = time.perf_counter()
    process(job, seed, "hostile.txt", "", None)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.hostile", description=__doc__)
    parser.add_argument("--mb", type=float, action="append", help="article size (repeatable); default 0.5, 1 and 2")
    sizes = parser.parse_args(argv).mb or [0.5, 1.0, 2.0]
    job = worker_job()
    print("| shape | " + " | ".join(f"{size:g} MB" for size in sizes) + " |")
    print("| --- |" + " --- |" * len(sizes))
    for name in SHAPES:
        print(f"| {name} | " + " | ".join(f"{seconds(job, name, size):.2f} s" for size in sizes) + " |", flush=True)


if __name__ == "__main__":
    main()
