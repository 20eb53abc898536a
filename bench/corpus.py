"""A synthetic seed corpus: both seed formats, several sources, some duplicates, and article bodies of one of three
kinds (`ARTICLES`): `heavy`, 5-30 KB of generated text (five times a real seed's median: the benchmark's default, a
worst case for everything that is paid by the byte); `real`, generated text sized as the 76,906 real seeds counted
in SEEDS.md (median 3.4 KB, 90th percentile 10.7 KB, at most 716 KB); or `corpus`, the articles of the real seeds
in `../shared/corpus`, drawn at random, with their markup, widgets and footers as published.

Generated text is plain paragraphs of common characters: cheap for bleach's html5lib tokenizer, which reads a run
of text in one regular expression and pays by the tag and attribute. Real articles carry far more markup per byte,
so on generated text the cleaner's own per-article work weighs more against bleach than it does on real articles
(the benchmark shows both figures; docs/performance.md has them). `corpus` keeps everything but the articles
synthetic (sources, links, dates, duplicates), so its figures compare with the other two; a real article is
repeated about N/300 times, too few to be learned as boilerplate, and cleaned under the synthetic source's rules
rather than its own.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from feedsvc.ingest.work import Job

SOURCES = [
    ("dw", "https://www.dw.com/zh/{slug}/a-{n}", "德国之声"),
    ("voa", "https://www.voachinese.com/a/{slug}/{n}.html", "美国之音"),
    ("rfa", "https://www.rfa.org/mandarin/yataibaodao/{slug}-{n}.html", "自由亚洲电台"),
    ("rfi", "https://www.rfi.fr/cn/{slug}-{n}", "法广"),
    ("cna", "https://www.cna.com.tw/news/aipl/2023{n:08d}.aspx", "(臺)中央社CNA"),
]
_HANZI = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面"
          "而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应"
          "开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变")
_FOOTER = ('<br><hr><div>获取更多RSS：<br><a href="https://feedx.net" style="color:orange" target="_blank">'
           'https://feedx.net</a> <br><a href="https://feedx.best" style="color:orange" target="_blank">'
           "https://feedx.best</a><br></div>")


def _sentence(rng: random.Random) -> str:
    return "".join(rng.choice(_HANZI) for _ in range(rng.randint(12, 40))) + rng.choice("。，；！？")


def _paragraph(rng: random.Random) -> str:
    text = "".join(_sentence(rng) for _ in range(rng.randint(2, 6)))
    kind = rng.random()
    if kind < 0.1:
        return f'<p><span style="font-weight: 400;">{text}</span></p>'
    if kind < 0.2:
        link = f"/mandarin/related-{rng.randint(1, 99999)}.html"
        return f'<p>{text[:20]}<a href="{link}">{text[20:30]}</a>{text[30:]}</p>'
    if kind < 0.25:
        return f"<h2>{text[:18]}</h2>"
    if kind < 0.3:
        return f"<blockquote><p>{text}</p></blockquote>"
    if kind < 0.34:
        return (f'<img src="https://images.weserv.nl/?url=static.dw.com/image/{rng.randint(10**7, 10**8)}_303.jpg" '
                f'width="100%"><div><small style="color: #999;">{text[:30]}</small></div>')
    if kind < 0.36:
        return '<script async src="https://platform.twitter.com/widgets.js"></script><style>p{color:red}</style>'
    if kind < 0.38:
        return f'<iframe src="https://www.youtube.com/embed/{rng.randint(1, 10**6)}"></iframe>'
    return f"<p>{text}</p>"


def _heavy(rng: random.Random) -> int:
    return rng.randint(5_000, 30_000)


_REAL_MEDIAN, _REAL_P90, _REAL_MIN, _REAL_MAX = 3_400, 10_700, 324, 716_000
_Z90 = 1.2816
"""The standard normal's 90th percentile: a log-normal through the real median and 90th percentile."""


def _real(rng: random.Random) -> int:
    size = rng.lognormvariate(math.log(_REAL_MEDIAN), math.log(_REAL_P90 / _REAL_MEDIAN) / _Z90)
    return int(min(max(size, _REAL_MIN), _REAL_MAX))


BODIES: dict[str, Callable[[random.Random], int]] = {"heavy": _heavy, "real": _real}
"""Name -> the size (bytes) of a generated article body to write."""

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
"""The real seeds beside the project (never copied into it)."""
SHIPPED_CONFIG = Path(__file__).resolve().parent.parent / "config" / "feedsvc.toml"

Article = Callable[[random.Random], str]
"""Draws the HTML of one article."""


def body(rng: random.Random, sized: Callable[[random.Random], int] = _heavy) -> str:
    target = sized(rng)
    parts: list[str] = []
    size = 0
    while size < target:
        parts.append(_paragraph(rng))
        size += len(parts[-1].encode())
    if rng.random() < 0.2:
        parts.append(_FOOTER)
    return "".join(parts)


def worker_job() -> Job:
    """What a run's workers parse and clean with, under the shipped configuration (whatever the working directory
    and the environment hold), dated now."""
    from feedsvc.pipeline import make_job
    from feedsvc.settings import load_settings

    return make_job(load_settings(SHIPPED_CONFIG, environ={}), datetime.now(UTC))


def real_seeds(corpus: Path = CORPUS) -> list[Path]:
    """The seed files of `corpus`, its SOURCE.md and MANIFEST.tsv aside, in name order."""
    metadata = ("SOURCE.md", "MANIFEST.tsv")
    return [path for path in sorted(corpus.iterdir()) if path.is_file() and path.name not in metadata]


@functools.cache
def real_articles(corpus: Path = CORPUS) -> tuple[str, ...]:
    """The article HTML of every seed in `corpus` (its SOURCE.md and MANIFEST.tsv aside), as feedsvc's parser finds
    it: clutter, footers and proxied images included. Exits with the reason when there is none."""
    from feedsvc.ingest.parse import parse_seed

    if not corpus.is_dir():
        raise SystemExit(f"--bodies corpus reads the real seeds in {corpus}, which is not there")
    ctx = worker_job().ctx
    articles = tuple(entry.html for path in real_seeds(corpus)
                     for entry in parse_seed(path.read_bytes(), path.name, None, ctx).entries)
    if not articles:
        raise SystemExit(f"{corpus} holds no seed with an article")
    return articles


def _drawn(rng: random.Random) -> str:
    return rng.choice(real_articles())


ARTICLES: dict[str, Article] = {"heavy": lambda rng: body(rng, _heavy), "real": lambda rng: body(rng, _real),
                                "corpus": _drawn}
"""Name -> how an article body is made (the module's docstring)."""


def seed_text(rng: random.Random, number: int, when: datetime, link: str, title: str, author: str,
              article: Article = ARTICLES["heavy"]) -> str:
    html = f"<div><i>{when.strftime('%a, %d %b %Y %H:%M:%S GMT')}</i></div>" + article(rng)
    epoch = int(when.timestamp() * 1000)
    if number % 2:
        return f"<!--{epoch}-->\n[{title}]({link})\n------\n\n{html}\n"
    return (f'---\nlayout: post\ntitle: "{title}"\ndate: {when.strftime("%Y-%m-%dT%H:%M:%S.000Z")}\n'
            f"author: {author}\nfrom: {link}\ntags: [ {author} ]\ncategories: [ {author} ]\n---\n"
            f"<!--{epoch}-->\n[{title}]({link})\n------\n\n<div>\n{html}\n</div>\n")


def generate(directory: Path, count: int, *, seed: int = 20240622, start: int = 0, bodies: str = "heavy") -> int:
    """Write `count` seeds (numbered from `start`, bodies made as `ARTICLES[bodies]`) into `directory`; returns the
    bytes written.

    About 3% of the seeds repeat an earlier story (same link, later version), as real archives do.
    """
    rng = random.Random(seed + start)
    directory.mkdir(parents=True, exist_ok=True)
    base = datetime(2023, 1, 1, tzinfo=UTC)
    written = 0
    for number in range(start, start + count):
        # a repeat draws from the seeds written before it in this call: none for its first ten (a single one too)
        story = number if rng.random() > 0.03 or number - start < 10 else rng.randrange(max(start, 1), number)
        slug, pattern, author = SOURCES[story % len(SOURCES)]
        link = pattern.format(slug=f"story-{story}", n=story)
        when = base + timedelta(minutes=7 * number)
        title = "".join(rng.choice(_HANZI) for _ in range(rng.randint(8, 24)))
        text = seed_text(rng, number, when, link, title, author, ARTICLES[bodies])
        path = directory / slug / f"{number:06d}.{'txt' if number % 2 else 'md'}"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written += len(text.encode())
    return written
