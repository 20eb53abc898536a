"""The last line of defence: bleach with an explicit allowlist. Only this module imports bleach."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bleach.html5lib_shim import Filter
from bleach.sanitizer import Cleaner

from feedsvc.clean.tidy import ALLOWED_TAGS

ALLOWED_ATTRIBUTES = {
    "a": ["href", "title"],
    "img": ["src", "alt", "title", "width", "height"],
    "td": ["colspan", "rowspan"],
    "th": ["colspan", "rowspan", "scope"],
    "ol": ["start"],
}
ALLOWED_PROTOCOLS = ["http", "https", "mailto"]


class _SafeLinks(Filter):  # type: ignore[misc]
    """Every link opens without handing the reader's window or referrer to the target."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                token["data"] = {**token["data"], (None, "rel"): "noopener noreferrer"}
            yield token


_CLEANER = Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[_SafeLinks],
)


def sanitize(html: str) -> str:
    """`html` with every tag, attribute and URL scheme outside the allowlist removed (text kept)."""
    return str(_CLEANER.clean(html))
