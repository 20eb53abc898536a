"""ingest.decode: seed bytes to text in the encodings real seeds come in, line ends made `\\n`, and binary files
told apart."""

from __future__ import annotations

import pytest

from feedsvc.ingest.decode import decode, looks_binary

TEXT = "德国之声：这是中国的新闻。\n第二行"


@pytest.mark.parametrize(("data", "encoding"), [
    (TEXT.encode("utf-8"), "utf-8"),
    (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8"),  # a byte-order mark is dropped
    (TEXT.encode("gb18030"), "gb18030"),
    ("德國之聲：這是中國的新聞。\n第二行".encode("big5"), "big5"),
])
def test_each_encoding_real_seeds_use(data: bytes, encoding: str) -> None:
    decoded = decode(data)
    assert decoded is not None and decoded.encoding == encoding
    assert decoded.text.startswith(("德国之声", "德國之聲")) and decoded.text.endswith("第二行")


def test_line_ends_become_newlines() -> None:
    decoded = decode("一\r\n二\r三\n".encode())
    assert decoded is not None and decoded.text == "一\n二\n三\n"


def test_utf8_with_a_few_broken_sequences_keeps_its_text() -> None:
    data = TEXT.encode("utf-8") * 20 + "尾".encode()[:2]  # a multi-byte character cut at the end
    decoded = decode(data)
    assert decoded is not None
    assert decoded.encoding == "utf-8 (1 invalid sequences replaced)"
    assert decoded.text.endswith("\ufffd") and decoded.text.count("德国之声") == 20


def test_bytes_no_candidate_reads_are_refused() -> None:
    assert decode(bytes(range(0x80, 0x100)) * 40) is None


def test_binary_is_told_by_a_nul_in_its_first_8_kib() -> None:
    assert looks_binary(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert not looks_binary(TEXT.encode())
    assert not looks_binary(b"a" * 8192 + b"\x00")  # past the part looked at
