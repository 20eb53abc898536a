"""The output directory's layout (`output.listing`): which files are archive documents, which get a `.gz`
sibling, and which are published now."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedsvc.output.listing import Listing, archive_document, precompressed, with_sibling


@pytest.mark.parametrize(("name", "archive", "compressed"), [
    ("all.atom", False, True), ("sources/dw.rss", False, True), ("index.html", False, True),
    ("archive/all/2024-05.atom", True, False), ("zh-hans/archive/sources/dw/2024-05-01.json", True, False),
    ("archive/all/2024-05.html", False, False), ("stories/ab/abcd.html", False, False),
    ("topics/archive.atom", False, True),  # a feed named "archive" is no archive document
])
def test_archive_documents_and_precompressed_files(name: str, archive: bool, compressed: bool) -> None:
    assert archive_document(name) is archive and precompressed(name) is compressed
    assert with_sibling(name) == ([name, name + ".gz"] if compressed else [name])


def test_a_listing_tells_which_files_are_published_with_their_siblings(tmp_path: Path) -> None:
    for name in ("all.atom", "all.atom.gz", "sources/dw.atom", "archive/all/2024-05.atom", "archive/index.html"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sources" / "voa.atom").mkdir()  # a folder where a file should be
    listing = Listing(tmp_path)
    assert listing.holds("all.atom") and listing.holds("archive/all/2024-05.atom")  # the archive has no siblings
    assert listing.holds("archive/index.html")
    assert not listing.holds("sources/dw.atom")  # its .gz is missing
    assert not listing.holds("sources/voa.atom")
    assert not listing.holds("zh-hans/all.atom")  # no such folder
    (tmp_path / "all.atom").unlink()
    assert listing.holds("all.atom")  # each folder is listed once, when first asked
    assert not Listing(tmp_path).holds("all.atom")

