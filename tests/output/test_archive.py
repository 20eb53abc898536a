"""Archives end to end: every story reachable exactly once from every feed, in every format; archive documents
valid and linked both ways; a new seed and a late old-dated seed each rewrite only the documents they must."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import lxml.etree
import pytest

from feedsvc.pipeline import regenerate
from feedsvc.settings import Settings
from tests.conftest import START, published, write_seed
from tests.feedcheck import ATOM_NS, HISTORY_NS_TAG, assert_valid, chain, entry_ids
from tests.output.conftest import BASE


@pytest.mark.slow
def test_every_story_is_reachable_exactly_once_in_every_format(archive_settings: Settings) -> None:
    report = regenerate(archive_settings, datetime(2024, 6, 1, tzinfo=UTC))
    output = archive_settings.output_dir
    assert report.entries == 240
    assert_valid(output, BASE)
    for extension in (".atom", ".rss", ".json"):
        unified = chain(output, BASE, "all", extension)
        ids = [i for document in unified for i in entry_ids(document)]
        assert len(ids) == len(set(ids)) == 240, extension
        per_source = [i for host in ("dw", "voa", "rfa")
                      for document in chain(output, BASE, f"sources/{host}", extension) for i in entry_ids(document)]
        assert sorted(per_source) == sorted(ids)
        assert len(unified) > 5 and unified[1].name == "2024-05" + extension


def test_archive_documents_are_marked_and_linked_both_ways(archive_settings: Settings) -> None:
    regenerate(archive_settings, datetime(2024, 6, 1, tzinfo=UTC))
    output = archive_settings.output_dir
    documents = chain(output, BASE, "sources/dw", ".atom")
    roots = [lxml.etree.parse(str(d)).getroot() for d in documents]

    def link(root: lxml.etree._Element, rel: str) -> str | None:
        found = root.findall(f"{ATOM_NS}link[@rel='{rel}']")
        return found[0].get("href") if found else None

    assert roots[0].find(HISTORY_NS_TAG) is None and link(roots[0], "current") is None
    for newer, older, path in zip(roots, roots[1:], documents[1:], strict=False):
        assert older.find(HISTORY_NS_TAG) is not None, path
        assert link(older, "current") == BASE + "sources/dw.atom"
        assert link(older, "self") == BASE + str(path.relative_to(output))
        assert link(older, "next-archive") == (link(newer, "self") if newer is not roots[0] else None)
        assert link(newer, "prev-archive") == link(older, "self")
        assert older.findtext(f"{ATOM_NS}id") == roots[0].findtext(f"{ATOM_NS}id"), "one feed, one id"
    page = (output / "archive/sources/dw/index.html").read_text(encoding="utf-8")
    assert all(f'href="{d.stem}.html"' in page for d in documents[1:]), "the page beside them links each"


def _feed_documents_changed(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    return {name.rsplit(".", 1)[0] for name in after.keys() | before.keys()
            if before.get(name) != after.get(name) and name.endswith((".atom", ".rss", ".json"))}


@pytest.mark.parametrize("arrivals", [1, 2, 3, 4, 5])
def test_new_seeds_rewrite_the_subscription_document_and_the_newest_archive_only(
        archive_settings: Settings, arrivals: int) -> None:
    """Each arrival pushes a story out of the subscription document into the newest archive period (which may
    open a new period: then the formerly newest document gains its `next-archive` link, and nothing else)."""
    now = datetime(2024, 6, 1, tzinfo=UTC)
    output = archive_settings.output_dir
    regenerate(archive_settings, now)
    for number in range(240, 240 + arrivals):
        before = published(output)
        newest = {stem: chain(output, BASE, stem, ".atom")[1].name.removesuffix(".atom")
                  for stem in ("all", "sources/dw", "sources/voa", "sources/rfa")}
        write_seed(archive_settings.seeds_dir, number, START + timedelta(hours=14 * number))
        regenerate(archive_settings, now)
        changed = _feed_documents_changed(before, published(output))
        feed = f"sources/{('dw', 'voa', 'rfa')[number % 3]}"
        for stem in ("all", feed):
            existed = {name for name in changed if name.startswith(f"archive/{stem}/") and
                       f"{name}.atom" in before}
            assert existed <= {f"archive/{stem}/{newest[stem]}"}, (number, existed)
        assert {name for name in changed if not name.startswith("archive/")} == {"all", feed}
        assert all(name.startswith(("archive/all/", f"archive/{feed}/")) for name in changed if "/" in name
                   and name.startswith("archive/"))


def test_a_late_seed_with_an_old_date_rewrites_only_its_own_period(archive_settings: Settings) -> None:
    now = datetime(2024, 6, 1, tzinfo=UTC)
    regenerate(archive_settings, now)
    before = published(archive_settings.output_dir)
    write_seed(archive_settings.seeds_dir, 241, datetime(2024, 2, 10, 12, tzinfo=UTC))  # a late VOA story
    regenerate(archive_settings, now)
    changed = _feed_documents_changed(before, published(archive_settings.output_dir))
    assert changed == {"archive/all/2024-02", "archive/sources/voa/2024-02"}


def test_turning_archives_off_removes_them(archive_settings: Settings) -> None:
    from dataclasses import replace

    regenerate(archive_settings, datetime(2024, 6, 1, tzinfo=UTC))
    regenerate(replace(archive_settings, archives=False), datetime(2024, 6, 1, tzinfo=UTC))
    assert not (archive_settings.output_dir / "archive").exists()
    assert "prev-archive" not in (archive_settings.output_dir / "all.atom").read_text(encoding="utf-8")
