"""What the renderers share (`output.memo`): each entry made once per group of documents, and the values made
last kept from one daemon run to the next."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from feedsvc.model import Entry, EntryMeta, Provenance
from feedsvc.output.memo import Memo, Recent, made_once

WHEN = datetime(2024, 5, 1, tzinfo=UTC)


def _entry(n: int) -> Entry:
    meta = EntryMeta(f"urn:story:{n}", f"t{n}", f"https://a.example/{n}", WHEN, WHEN, "dw", "DW", None, (),
                     Provenance((f"{n}.md",), "link-line", "header", "header"))
    return Entry(meta, f"<p>{n}</p>", "", f"d{n}")


def test_an_entry_is_made_once_per_kind_in_a_memo_and_every_time_without_one() -> None:
    made: list[tuple[str, int]] = []

    def maker(kind: str) -> Callable[[Entry], str]:
        def make(entry: Entry) -> str:
            made.append((kind, int(entry.digest[1:])))
            return f"{kind}:{entry.digest}"
        return make

    memo: Memo = {}
    one, two = _entry(1), _entry(2)
    assert made_once(memo, ".atom", one, maker(".atom")) == made_once(memo, ".atom", one, maker(".atom")) == \
        ".atom:d1"
    made_once(memo, ".rss", one, maker(".rss"))
    made_once(memo, ".atom", two, maker(".atom"))
    made_once(None, ".atom", one, maker(".atom"))
    made_once(None, ".atom", one, maker(".atom"))
    assert made == [(".atom", 1), (".rss", 1), (".atom", 2), (".atom", 1), (".atom", 1)]


def test_recent_keeps_the_last_used_values_up_to_its_size() -> None:
    recent: Recent[str, int] = Recent(2)
    recent.put("a", 1)
    recent.put("b", 2)
    assert recent.get("a") == 1  # now the most recent
    recent.put("c", 3)
    assert (recent.get("a"), recent.get("b"), recent.get("c")) == (1, None, 3)
