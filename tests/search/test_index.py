"""Search (`search.terms`, `search.index`): answers equal a brute-force scan of the same stories for one-, two- and
four-character queries in either script, Latin words, several terms, `source`, paging; malformed queries are
refused with a reason; each regeneration keeps the index in step with what it publishes."""

from __future__ import annotations

import random
import re
import shutil
import unicodedata
from pathlib import Path

import pytest

from feedsvc.pipeline import RunOptions, regenerate
from feedsvc.search.index import FILE, Document, SearchIndex
from feedsvc.search.terms import QueryError, fold
from tests.conftest import NOW, SAMPLES, build_search

SIMPLIFIED = "中国美国会议经济发展记者报道台湾香港"
TRADITIONAL = "中國美國會議經濟發展記者報導臺灣香港"
WORDS = ["Biden", "Xi", "G20", "Reuters", "café", "Trade"]


def _document(n: int, rng: random.Random) -> Document:
    parts = []
    for _ in range(rng.randint(3, 12)):
        alphabet = SIMPLIFIED if rng.random() < 0.5 else TRADITIONAL
        parts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9))))
        parts.append(rng.choice(["，", "。", " ", " " + rng.choice(WORDS) + " ", "、"]))
    text = "".join(parts)
    return Document(f"urn:uuid:{n:08d}-0000-5000-8000-000000000000", rng.choice(["dw", "voa", "cnn-com"]),
                    "源", text[:10], f"https://x.example/{n}", f"stories/{n}.html", "2024-01-01T00:00:00+00:00",
                    "2024-01-01T00:00:00+00:00", None, "", text, 1_700_000_000_000 + n * 1000)


def _plain(text: str) -> str:
    """Latin letters without their diacritics (`café` is `cafe`)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _brute(documents: list[Document], query: str, source: str | None) -> list[str]:
    """Every story holding every term, newest first: Chinese as written (in either script), words whole."""
    def holds(text: str, term: str) -> bool:
        folded = fold(text)
        if re.fullmatch(r"[^\W\d_a-z]+", fold(term)) and not re.search(r"[a-z0-9]", fold(term)):
            return fold(term) in folded
        words = set(re.findall(r"[^\W_]+", re.sub(r"[\u3400-\u9fff]+", " ", _plain(folded))))
        return _plain(fold(term)) in words

    hits = [d for d in documents if (source is None or d.source == source)
            and all(holds(d.text, term) for term in query.split())]
    return [d.id for d in sorted(hits, key=lambda d: -d.updated_ms)]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[SearchIndex, list[Document]]:
    rng = random.Random(20261204)
    documents = [_document(n, rng) for n in range(300)]
    index = SearchIndex.open(tmp_path_factory.mktemp("search"))
    index.update(documents, (), "t1", rebuild=True)
    return index, documents


def _queries() -> list[str]:
    rng = random.Random(7)
    queries = []
    for length in (1, 1, 2, 2, 2, 4):
        for _ in range(15):
            alphabet = SIMPLIFIED if rng.random() < 0.5 else TRADITIONAL
            queries.append("".join(rng.choice(alphabet) for _ in range(length)))
    queries += [w.lower() for w in WORDS] + WORDS + ["BIDEN", "cafe", "Bid", "中国 Biden", "会议 经济", "臺灣 香"]
    return queries


@pytest.mark.parametrize("query", _queries())
def test_answers_equal_a_brute_force_scan(corpus: tuple[SearchIndex, list[Document]], query: str) -> None:
    index, documents = corpus
    expected = _brute(documents, query, None)
    found = index.search(query, limit=1000)
    assert found.total == len(expected)
    assert [hit.id for hit in found.hits] == expected


def test_either_script_finds_both(corpus: tuple[SearchIndex, list[Document]]) -> None:
    index, _ = corpus
    for simplified, traditional in (("会议", "會議"), ("台湾", "臺灣"), ("经", "經"), ("报", "報")):
        assert [h.id for h in index.search(simplified, limit=500).hits] == \
            [h.id for h in index.search(traditional, limit=500).hits]
        assert index.search(simplified).total > 0


def test_source_and_paging(corpus: tuple[SearchIndex, list[Document]]) -> None:
    index, documents = corpus
    everything = _brute(documents, "中", "cnn-com")
    assert len(everything) > 40
    pages = [index.search("中", source="cnn-com", offset=at, limit=20) for at in range(0, len(everything), 20)]
    assert {page.total for page in pages} == {len(everything)}
    assert [hit.id for page in pages for hit in page.hits] == everything
    assert index.search("中", source="nowhere").total == 0


@pytest.mark.parametrize("query", ["", "   ", "，。！", '"', "*", "AND", "(", "NEAR(a b)", "a" * 201,
                                   " ".join(["词"] * 9)])
def test_malformed_queries_are_refused_with_a_reason_or_searched_as_words(
        corpus: tuple[SearchIndex, list[Document]], query: str) -> None:
    index, _ = corpus
    try:
        found = index.search(query)
    except QueryError as exc:
        assert str(exc)
    else:
        assert found.total == len(_brute(corpus[1], query, None))  # e.g. AND: a word like any other


def _seed(folder: Path, number: int, body: str) -> None:
    (folder / f"s{number}.txt").write_text(
        f"<!--{1_700_000_000_000 + number * 60_000}-->\n[稿件{number}](https://www.dw.com/zh/s-{number})\n"
        f"------\n\n<p>{body}</p>\n", encoding="utf-8")


def test_each_regeneration_keeps_the_index_in_step(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    shutil.copytree(SAMPLES, settings.seeds_dir, dirs_exist_ok=True)
    regenerate(settings, NOW)

    def search(query: str) -> list[str]:
        reader = SearchIndex.reader(settings.state_dir)
        assert reader is not None
        try:
            return [hit.title for hit in reader.search(query).hits]
        finally:
            reader.close()

    assert search("核") == [], "a first run leaves the index to be built (by feedsvc serve, in its background)"
    build_search(settings)
    assert len(search("核")) == 3 and search("Mallory")
    _seed(settings.seeds_dir, 1, "獨家新聞：鯨魚擱淺")
    regenerate(settings, NOW)
    assert search("鲸鱼") == ["稿件1"]
    _seed(settings.seeds_dir, 1, "更正：海豚擱淺")
    regenerate(settings, NOW)
    assert search("鲸鱼") == [] and search("海豚") == ["稿件1"]
    (settings.seeds_dir / "s1.txt").unlink()
    regenerate(settings, NOW)
    assert search("海豚") == []
    (settings.state_dir / FILE).unlink()
    regenerate(settings, NOW, RunOptions(rehash=True))
    assert search("核") == []
    build_search(settings)
    assert len(search("核")) == 3
    _seed(settings.seeds_dir, 2, "鸚鵡學舌")
    regenerate(settings, NOW)
    assert search("鹦鹉") == ["稿件2"] and len(search("核")) == 3
    (settings.state_dir / FILE).write_bytes(b"not a database")
    _seed(settings.seeds_dir, 3, "畫眉鳥")
    assert regenerate(settings, NOW).new == 1, "a damaged index costs no run"
    build_search(settings)
    assert search("画眉") == ["稿件3"] and len(search("核")) == 3


def test_runs_during_a_build_put_in_what_they_change(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    shutil.copytree(SAMPLES, settings.seeds_dir, dirs_exist_ok=True)
    regenerate(settings, NOW)
    _seed(settings.seeds_dir, 4, "翠鳥")
    regenerate(settings, NOW, RunOptions(search_building=True))  # stale, but a build is under way
    reader = SearchIndex.reader(settings.state_dir)
    assert reader is not None
    assert [hit.title for hit in reader.search("翠鸟").hits] == ["稿件4"] and reader.token() == ""
    reader.close()
