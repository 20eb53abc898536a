"""The key that signs image URLs (`images.key`): the configured one, else one made once in the state directory,
readable by its owner only; a check never writes one."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from feedsvc.errors import OutputError
from feedsvc.images.key import KEY_FILE, proxy_key


def test_the_key_is_made_once_and_kept(tmp_path: Path) -> None:
    state = tmp_path / "var"
    assert proxy_key("configured-key-123456", state) == b"configured-key-123456"
    assert not (state / KEY_FILE).exists()
    made = proxy_key("", state)
    assert len(made) == 64 and proxy_key("", state) == made
    assert stat.S_IMODE((state / KEY_FILE).stat().st_mode) == 0o600
    assert [p.name for p in state.iterdir()] == [KEY_FILE]  # no temporary file left


def test_a_check_never_writes_a_key(tmp_path: Path) -> None:
    ephemeral = proxy_key("", tmp_path / "var", create=False)
    assert len(ephemeral) == 64 and not (tmp_path / "var").exists()


def test_a_damaged_key_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_text("short\n")
    with pytest.raises(OutputError, match=f"{KEY_FILE}: not an image proxy key"):
        proxy_key("", tmp_path)
