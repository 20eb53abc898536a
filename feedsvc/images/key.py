"""The key that signs feedsvc's image URLs: `image_proxy_key` (config or `FEEDSVC_IMAGE_PROXY_KEY`) when set, else
one generated on first use and kept in the state directory, so that published URLs stay valid across restarts and
runs (`feedsvc regenerate` signs, `feedsvc serve` checks). Deleting the file gives a new key: every image URL
changes, the next run publishes the new ones."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from feedsvc.errors import OutputError

KEY_FILE = "image-proxy.key"


def _read(path: Path) -> bytes | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise OutputError(f"{path}: cannot read the image proxy key: {exc}") from None
    if len(text) < 32:
        raise OutputError(f"{path}: not an image proxy key (delete it and a new one is made; every image URL "
                          "changes)")
    return text.encode("ascii")


def proxy_key(configured: str, state_dir: Path, *, create: bool = True) -> bytes:
    """The signing key: `configured` when set; else the state directory's, made now (readable by its owner
    only) when there is none and `create`; else a key for this process alone (a check that writes nothing)."""
    if configured:
        return configured.encode("utf-8")
    path = state_dir / KEY_FILE
    found = _read(path)
    if found is not None or not create:
        return found if found is not None else secrets.token_hex(32).encode("ascii")
    state_dir.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{KEY_FILE}.{os.getpid()}")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # never replaces a key another process made meanwhile
            os.link(temporary, path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the image proxy key: {exc}") from None
    finally:
        temporary.unlink(missing_ok=True)
    key = _read(path)
    assert key is not None
    return key
