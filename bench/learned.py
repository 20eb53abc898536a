"""`python -m bench.learned [--corpus DIR] [--repeat K]`: what learning boilerplate costs. Prints figures; asserts
nothing.

The cleaner marks the candidate blocks of every article (`clean.edges`): the share of cleaning time that takes
is measured on real articles (the shared corpus by default), each seed parsed and cleaned as a worker does, and
the marks of each cleaned article timed on their own. Learning itself is counting, story by story, in the story
index: timed here for 100,000 synthetic stories of 20 sources, loaded at once and then one story more.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import time
from pathlib import Path

from bench.corpus import CORPUS, real_seeds, worker_job
from feedsvc.clean.edges import edges, key_of
from feedsvc.ingest.work import process
from feedsvc.model import Story, Version
from feedsvc.stories.boilerplate import Boilerplate, cut_article, trim_summary
from feedsvc.text import plain_text


def cleaning_share(corpus: Path, repeat: int) -> tuple[int, float, float, float]:
    """(articles, seconds to parse and clean them all, seconds of that spent marking, seconds to cut a learned
    block out of every article that has a mark, as publishing does), medians of `repeat`."""
    job = worker_job()
    seeds = [(p.name, p.read_bytes()) for p in real_seeds(corpus)]
    cleaning: list[float] = []
    marking: list[float] = []
    cutting: list[float] = []
    articles = 0
    for _ in range(repeat):
        started = time.perf_counter()
        outcomes = [process(job, data, name, hashlib.sha256(data).hexdigest(), None) for name, data in seeds]
        cleaning.append(time.perf_counter() - started)
        cleaned = [entry.content_utf8 for outcome in outcomes for entry in outcome.entries]
        articles = len(cleaned)
        started = time.perf_counter()
        marked = [(article, edges(article)) for article in cleaned]
        marking.append(time.perf_counter() - started)
        stored = [(article, b"".join(k for k, _, _ in marks), json.dumps([[s, e] for _, s, e in marks]), marks[-1][0])
                  for article, marks in marked if marks]
        started = time.perf_counter()
        for article, keys, spans, last in stored:  # the worst case: a learned block in every article
            kept, taken = cut_article(article, keys, json.loads(spans), last)
            trim_summary(plain_text(kept[:600].decode("utf-8", "ignore")), taken)
        cutting.append(time.perf_counter() - started)
    return articles, statistics.median(cleaning), statistics.median(marking), statistics.median(cutting)


def learning(stories: int, sources: int) -> tuple[float, float]:
    """(seconds to count and learn from `stories` stories, seconds to add one more and learn again)."""
    rng = random.Random(1)
    promos = [key_of(f"promotion {n}") for n in range(sources)]
    made = []
    for n in range(stories):
        name = chr(0x4E00 + n % 20_000) + chr(0x4E00 + n // 20_000)  # digits would be generalized away
        own = b"".join(key_of(f"{name} {'abcd'[k]}") for k in range(4))
        marks = own + (promos[n % sources] if rng.random() < 0.3 else b"")
        version = Version(f"d{n}", 0, f"k{n}", f"id{n}", f"source-{n % sources}", n, n, marks)
        made.append(Story(version, version, (version.digest,)))
    learner = Boilerplate()
    started = time.perf_counter()
    learner.count_all(made)
    learner.relearn(sorted(learner.totals))
    cut = [learner.cut(story) for story in made]
    loading = time.perf_counter() - started
    assert len(learner.rules) == sources and sum(1 for s in cut if s.cut) > stories // 5
    extra = made[0]._replace(newest=made[0].newest._replace(key="extra", id="extra"))
    started = time.perf_counter()
    learner.count(extra, 1)
    learner.relearn([extra.newest.source_slug])
    learner.cut(extra)
    return loading, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| what | figure |")
    print("| --- | --- |")
    if args.corpus.is_dir():
        articles, cleaning, marking, cutting = cleaning_share(args.corpus, args.repeat)
        print(f"| {articles} real articles parsed and cleaned (one process) | {cleaning:.2f} s |")
        print(f"| of which marking the candidate blocks | {marking:.3f} s ({marking / cleaning:.1%}) |")
        print(f"| a learned block cut from every one of them, as publishing reads it | {cutting:.3f} s "
              f"({cutting / cleaning:.1%} of cleaning) |")
    else:
        print(f"| real articles | skipped: no corpus at {args.corpus} |")
    loading, one = learning(100_000, 20)
    print(f"| learning from 100,000 stories of 20 sources (index load) | {loading:.2f} s |")
    print(f"| one story more, learned again | {one * 1000:.3f} ms |")


if __name__ == "__main__":
    main()
