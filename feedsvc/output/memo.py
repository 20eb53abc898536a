"""What the renderers of one group of documents share: what each made of the group's entries. Pure."""

from __future__ import annotations

from typing import Any

from feedsvc.model import Entry

Memo = dict[str, dict[Entry, Any]]
"""What the renderers of one group of documents made of its entries, by kind: for each format (its file
extension) the entries' bytes, feedgen's entries (`"feedgen"`), which serve both Atom and RSS, and the rows of
the period pages (`"period rows"`)."""
