"""ingest.script: a story's script judged from its text, with OpenCC's character tables shipped beside it."""

from __future__ import annotations

from pathlib import Path

import opencc
import pytest

from feedsvc.ingest.script import ENGLISH, HANS, HANT, language_of, script_of, tables
from feedsvc.ingest.work import process
from feedsvc.pipeline import make_job
from feedsvc.settings import Settings
from tests.conftest import CORPUS, NOW, SAMPLES, needs_corpus

_RANGES = ((0x3400, 0x4DC0), (0x4E00, 0xA000))


def test_the_shipped_tables_are_opencc_s() -> None:
    """The characters t2s changes are Traditional-only and those s2t changes Simplified-only, less those both
    change. This is how `script-chars.txt` is made: when OpenCC's tables change, regenerate it from here."""
    chars = [chr(code) for start, end in _RANGES for code in range(start, end)]
    joined = "\n".join(chars)
    to_hans = opencc.OpenCC("t2s").convert(joined).split("\n")
    to_hant = opencc.OpenCC("s2t").convert(joined).split("\n")
    hant = {c for c, converted in zip(chars, to_hans, strict=True) if converted != c}
    hans = {c for c, converted in zip(chars, to_hant, strict=True) if converted != c}
    assert tables() == {HANT: frozenset(hant - hans), HANS: frozenset(hans - hant)}


@pytest.mark.parametrize(("text", "script"), [
    ("中美核軍備雙邊磋商 形式重於實質", HANT),
    ("美中可以进行核对话，为什么展开核军控谈判几乎不可能？", HANS),
    ("The Economist: a weekly newspaper", None),
    ("中国", None),  # too little to tell
    ("国會 说話 發展 经濟", None),  # as many of one script as of the other
    ("德國之聲中文網 一名官員說 这", HANT),  # one stray character does not decide
])
def test_script_of(text: str, script: str | None) -> None:
    assert script_of(text) == script


@pytest.mark.parametrize(("text", "language"), [
    ("美中可以进行核对话，为什么展开核军控谈判几乎不可能？", HANS),
    ("Photo: Night at Ma Tso Lung, Hong Kong, by Hanson Yu\nA village at dusk.", ENGLISH),
    ("Photo: 五台山 Pagoda of Fogong Temple", None),  # a Chinese character: not English, too little to tell
    ("中国 China", None),
    ("COVID-19 2020-11-02", None),  # too few words to tell
    ("Ｔｉｋ Ｔｏｋ ｌｉｖｅ", None),  # full-width letters: Chinese typesetting, not English text
    ("", None),
])
def test_language_of(text: str, language: str | None) -> None:
    assert language_of(text) == language


def test_a_cleaned_entry_carries_its_own_script(base_settings: Settings) -> None:
    """The DW sample is Traditional though the shipped table says nothing of its script per story."""
    job = make_job(base_settings, NOW)
    scripts = {}
    for seed in sorted(SAMPLES.iterdir()):
        outcome = process(job, seed.read_bytes(), seed.name, "d", None)
        scripts[outcome.entries[0].meta.source_slug] = outcome.entries[0].meta.language
    assert scripts == {"dw": HANT, "voa": HANS, "rfa": HANS}


@needs_corpus
def test_cdts_english_photo_posts_are_english_in_the_corpus(base_settings: Settings) -> None:
    """CDT (zh-Hans, as its source says) also posts photos captioned in English only: six, and the one whose
    title, empty, is taken from its English caption."""
    job = make_job(base_settings, NOW)
    found = {}
    for path in sorted(Path(CORPUS).glob("*.md")):
        for entry in process(job, path.read_bytes(), path.name, "d", None).entries:
            if entry.meta.source_slug == "cdt":
                found[entry.meta.title] = entry.meta.language
    english = sorted(title for title, language in found.items() if language == ENGLISH)
    assert len(english) == 7 and sum(title.startswith("Photo: ") for title in english) == 6
    assert not [title for title, language in found.items() if language != ENGLISH and title.startswith("Photo: ")]


@needs_corpus
def test_dw_writes_both_scripts_in_the_corpus(base_settings: Settings) -> None:
    """Most of DW's corpus stories are Simplified, two (`這裡是美國`, `同志繼續「驕傲」`) Traditional: the
    source's declared zh-Hant must not decide for them."""
    job = make_job(base_settings, NOW)
    found = []
    for path in sorted(Path(CORPUS).glob("*.md")):
        outcome = process(job, path.read_bytes(), path.name, "d", None)
        found += [e.meta.language for e in outcome.entries if e.meta.source_slug == "dw"]
    assert found.count(HANS) == 17 and found.count(HANT) == 2
