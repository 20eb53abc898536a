"""ingest.script: a story's script judged from its text, with OpenCC's character tables shipped beside it."""

from __future__ import annotations

from pathlib import Path

import opencc
import pytest

from feedsvc.ingest.script import HANS, HANT, script_of, tables
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


def test_a_cleaned_entry_carries_its_own_script(base_settings: Settings) -> None:
    """The DW sample is Traditional though the shipped table says nothing of its script per story."""
    job = make_job(base_settings, NOW)
    scripts = {}
    for seed in sorted(SAMPLES.iterdir()):
        outcome = process(job, seed.read_bytes(), seed.name, "d", None)
        scripts[outcome.entries[0].meta.source_slug] = outcome.entries[0].meta.language
    assert scripts == {"dw": HANT, "voa": HANS, "rfa": HANS}


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
