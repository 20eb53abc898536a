"""Each W3C validator warning feedsvc used to give, from a seed that gave it, and the feed that no longer does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from feedsvc.pipeline import regenerate
from feedsvc.settings import Settings
from tests.feedcheck import needs_validator, w3c_problems

NOW = datetime(2024, 6, 1, tzinfo=UTC)


def _voa(number: int, lead: str, title: str = "标题", body: str = "<p>正文</p>") -> str:
    return (f"---\nlayout: post\ntitle: \"{title}\"\ndate: 2020-12-16T18:41:20.000Z\nauthor: 美国之音\n"
            f"from: https://www.voachinese.com/a/story-{number}/{number}.html\ntags: [ 美国之音 ]\n"
            f"categories: [ 美国之音 ]\n---\n<!--1608144080000-->\n"
            f"[{title}](https://www.voachinese.com/a/story-{number}/{number}.html)\n------\n\n"
            f"<div>\n<div><i>{lead}</i></div>{body}\n</div>\n")


@needs_validator
@pytest.mark.parametrize(("warning", "seeds"), [
    # the unified feed's atom:source lacked id and updated
    ("MissingSourceElement", [_voa(1, "Wed, 16 Dec 2020 17:51:01 GMT")]),
    # C1 controls and U+FFFD from mis-decoded seeds
    ("BadCharacters", [_voa(2, "Wed, 16 Dec 2020 17:51:01 GMT", title="三星李在\ufffdg遭起诉",
                            body="<p>引号\u0093这里\u0094和\ufffd替换</p>")]),
    # nothing left after cleaning: an empty content element
    ("MissingTextualContent", [_voa(3, "Wed, 16 Dec 2020 17:51:01 GMT", body="<script>x()</script>")]),
    # one batch of stories, one feedx instant: each story's lead line has its own time
    ("DuplicateUpdated", [_voa(n, f"Wed, 16 Dec 2020 17:{n:02d}:01 GMT") for n in range(4, 8)]),
])
def test_the_warning_is_gone(make_settings: Callable[..., Settings], warning: str, seeds: list[str]) -> None:
    settings = make_settings(base_url="https://f.example/")
    for number, text in enumerate(seeds):
        (settings.seeds_dir / f"{number}.md").write_text(text, encoding="utf-8")
    regenerate(settings, NOW)
    for name in ("all.atom", "all.rss", "sources/voa.atom", "sources/voa.rss"):
        problems = w3c_problems(settings.output_dir / name, settings.base_url + name, excused=frozenset())
        assert problems == [], (warning, name, problems)
