"""The image proxy's cache on disk (`images.store`): each image stored once, kept under its size least recently
used first, its order kept across a restart, a blob gone from disk a miss."""

from __future__ import annotations

from pathlib import Path

from feedsvc.images.store import ImageStore

A, B, C = (bytes([n]) * 100 for n in (1, 2, 3))


def _files(store: ImageStore) -> list[str]:
    return sorted(p.name for p in store.blobs_dir.rglob("*") if p.is_file())


def test_the_same_bytes_from_two_origins_are_stored_once(tmp_path: Path) -> None:
    store = ImageStore(tmp_path, 10_000)
    first = store.put("https://a.example/1.png", A, "image/png")
    second = store.put("https://b.example/copy.png", A, "image/png")
    assert first == second and store.total == 100 and _files(store) == [first.sha]
    assert store.read(first) == A and first.etag == f'"{first.sha[:40]}"'
    store.close()


def test_the_least_recently_used_image_goes_first(tmp_path: Path) -> None:
    store = ImageStore(tmp_path, 250)
    store.put("https://x.example/a", A, "image/png")
    store.put("https://x.example/b", B, "image/png")
    assert store.get("https://x.example/a") is not None  # a is now the more recent
    store.put("https://x.example/c", C, "image/png")
    assert store.has("https://x.example/a") and store.has("https://x.example/c")
    assert not store.has("https://x.example/b") and store.get("https://x.example/b") is None
    assert store.total == 200 and store.evicted == 1 and len(_files(store)) == 2
    store.close()


def test_an_image_larger_than_the_cache_is_kept_until_the_next_one(tmp_path: Path) -> None:
    store = ImageStore(tmp_path, 50)
    store.put("https://x.example/a", A, "image/png")
    assert store.has("https://x.example/a")  # the one just fetched is served
    store.put("https://x.example/b", B, "image/png")
    assert not store.has("https://x.example/a") and store.has("https://x.example/b")
    store.close()


def test_what_is_cached_and_its_order_survive_a_restart(tmp_path: Path) -> None:
    store = ImageStore(tmp_path, 250)
    store.put("https://x.example/a", A, "image/png")
    store.put("https://x.example/b", B, "image/jpeg")
    store.get("https://x.example/a")
    store.close()  # writes when each was last used
    again = ImageStore(tmp_path, 250)
    found = again.get("https://x.example/b")
    assert found is not None and found.content_type == "image/jpeg" and again.read(found) == B
    again.put("https://x.example/c", C, "image/png")  # b was used last, a before it
    assert not again.has("https://x.example/a") and again.has("https://x.example/b")
    again.close()


def test_a_blob_gone_from_disk_is_a_miss_and_forgotten(tmp_path: Path) -> None:
    store = ImageStore(tmp_path, 10_000)
    stored = store.put("https://x.example/a", A, "image/png")
    store.path(stored.sha).unlink()
    assert store.read(stored) is None
    assert not store.has("https://x.example/a") and store.total == 0
    again = store.put("https://x.example/a", A, "image/png")  # fetched again
    assert store.read(again) == A
    store.close()


def test_an_origin_whose_image_changed_points_at_the_new_one(tmp_path: Path) -> None:
    store = ImageStore(tmp_path, 10_000)
    store.put("https://x.example/a", A, "image/png")
    new = store.put("https://x.example/a", B, "image/gif")
    found = store.get("https://x.example/a")
    assert found == new and store.read(found) == B
    assert not list(store.blobs_dir.rglob("*.tmp"))  # no temporary file left
    store.close()
