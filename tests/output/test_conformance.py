"""Every page meant for people conforms to HTML: the Nu HTML Checker (`tests.pagecheck`) finds nothing to say
about the index, the listings, the archive pages or the story pages, on the sample seeds and on the real corpus."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from feedsvc.pipeline import regenerate
from feedsvc.settings import Settings, parse_config
from tests.conftest import CORPUS, NOW, SAMPLES, needs_corpus
from tests.pagecheck import html_problems, needs_html_checker


@needs_html_checker
def test_the_checker_is_really_checking(tmp_path: Path) -> None:
    """What pages once held: an instant to the microsecond, and an image without a text alternative."""
    (tmp_path / "page.html").write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>t</title></head><body><p>'
        '<time datetime="2020-09-15T14:50:00.005000+00:00">then</time> <img src="a.png"></p></body></html>\n',
        encoding="utf-8")
    problems = html_problems(tmp_path)
    assert len(problems) == 2, problems
    assert "fraction of a second" in problems[0] and "alt" in problems[1]


@needs_html_checker
def test_the_sample_site_conforms(make_settings: Callable[..., Settings]) -> None:
    topics = parse_config('[topics.nuclear]\ntitle = "核武"\ninclude_title = ["核"]\n', "test")["topics"]
    settings = make_settings(chinese_variants=("zh-Hans", "zh-Hant"), image_mode="self", max_entries=2,
                             topics=topics)
    shutil.copytree(SAMPLES, settings.seeds_dir, dirs_exist_ok=True)
    regenerate(settings, NOW)
    pages = list(settings.output_dir.rglob("*.html"))
    assert len(pages) > 10 and any(p.parent.parent.name == "stories" for p in pages)
    assert (settings.output_dir / "topics" / "nuclear.html").is_file()
    assert html_problems(settings.output_dir) == []


@pytest.mark.slow
@needs_corpus
@needs_html_checker
def test_the_corpus_site_conforms(make_settings: Callable[..., Settings]) -> None:
    """300 real stories: their images without a text alternative, instants to the microsecond, tables, lists
    and figures of every source, on story pages, listings and archive pages."""
    settings = make_settings(seeds_dir=CORPUS, max_entries=20, archive_split_entries=40, image_mode="self")
    regenerate(settings, NOW)
    assert len(list((settings.output_dir / "stories").rglob("*.html"))) == 300
    assert html_problems(settings.output_dir) == []
