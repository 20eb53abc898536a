"""feedsvc's own image URLs (`images.signing`): a signed path names its origin under its key and nothing else."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from feedsvc.images.signing import PREFIX, origin_of, signature, signed_path

KEY = b"k" * 64
ORIGIN = "https://static.dw.com/image/1_303.jpg"


def test_a_signed_path_names_its_origin_and_nothing_else() -> None:
    path = signed_path(KEY, ORIGIN)
    _, signature, encoded = path.split("/")
    assert origin_of(KEY, signature, encoded) == ORIGIN
    assert origin_of(b"another key" * 4, signature, encoded) is None
    other = signed_path(KEY, "https://evil.example/x.jpg").split("/")[2]
    assert origin_of(KEY, signature, other) is None  # a signature is for one URL
    assert origin_of(KEY, signature[:-1] + ("A" if signature[-1] != "A" else "B"), encoded) is None
    for bad_signature, bad_encoded in [("", encoded), (signature, ""), (signature, "not base64!"),
                                       ("é" * 43, encoded), (signature, encoded + "%2F"), (signature, "_" * 9000)]:
        assert origin_of(KEY, bad_signature, bad_encoded) is None


@given(st.text(min_size=1, max_size=300))
def test_any_url_survives_signing(url: str) -> None:
    _, signature, encoded = signed_path(KEY, url).split("/")
    assert origin_of(KEY, signature, encoded) == url


def test_a_signed_path_is_url_safe_and_the_same_for_the_same_key_and_origin() -> None:
    path = signed_path(KEY, "https://cdn.example/图 片.jpg?a=1&b=2")
    assert path.startswith(PREFIX) and path == signed_path(KEY, "https://cdn.example/图 片.jpg?a=1&b=2")
    assert path.isascii() and not set(path) & set("+=?&# %")
    assert signature(KEY, ORIGIN) != signature(b"j" * 64, ORIGIN)
