"""feedsvc's own image URLs: `img/<signature>/<origin>`, the origin URL in unpadded base64url and its HMAC-SHA256
under the proxy key. Only a URL feedsvc made passes `origin_of`, so the proxy fetches nothing a stranger chose.
Pure."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

PREFIX = "img/"
"""Where the image proxy's URLs live below `base_url`."""
_CONTEXT = b"feedsvc image v1\x00"
"""Signed with every URL, so a signature made with this key for anything else is never a valid image URL."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes | None:
    if not text or len(text) > 8192 or not text.replace("-", "").replace("_", "").isalnum() or not text.isascii():
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def signature(key: bytes, origin: str) -> str:
    return _b64(hmac.new(key, _CONTEXT + origin.encode("utf-8"), hashlib.sha256).digest())


def signed_path(key: bytes, origin: str) -> str:
    """`img/<signature>/<origin in base64url>`, to be appended to `base_url`."""
    return f"{PREFIX}{signature(key, origin)}/{_b64(origin.encode('utf-8'))}"


def origin_of(key: bytes, sig: str, encoded: str) -> str | None:
    """The origin URL of a signed path's two parts, or None when the signature is not the key's for it (compared in
    constant time) or the parts are malformed."""
    raw = _unb64(encoded)
    if raw is None:
        return None
    try:
        origin = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not hmac.compare_digest(signature(key, origin).encode("ascii"), sig.encode("ascii", "replace")):
        return None
    return origin
