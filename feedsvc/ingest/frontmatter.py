"""Jekyll front matter, read leniently key by key.

Real seeds hold front matter that is not valid YAML (titles with raw `"` inside the quotes), so no YAML loader is
used: each `key: value` line is read on its own, double-quoted strings and `[ a, b ]` flow lists are understood,
and nothing is ever expanded (no anchors, aliases or tags), which also makes YAML bombs harmless.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*:(?:\s+(.*))?$")
MAX_LINES = 200


@dataclass(frozen=True)
class FrontMatter:
    """The keys of a front matter block, as strings or lists of strings."""

    values: tuple[tuple[str, str | tuple[str, ...]], ...]

    def text(self, key: str) -> str | None:
        for name, value in self.values:
            if name == key:
                return value if isinstance(value, str) else ", ".join(value)
        return None

    def items(self, key: str) -> tuple[str, ...]:
        for name, value in self.values:
            if name == key:
                return value if isinstance(value, tuple) else ((value,) if value else ())
        return ()


def _unquote(raw: str) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        try:
            decoded = json.loads(raw)
            if isinstance(decoded, str):
                return decoded
        except ValueError:
            pass
        inner = raw[1:-1]  # invalid YAML such as "中国自研"鲲龙"AG600": keep what is between the outer quotes
        return inner.replace('\\"', '"').replace("\\\\", "\\")
    if len(raw) >= 2 and raw[0] == raw[-1] == "'":
        return raw[1:-1].replace("''", "'")
    return raw


def _outside_quotes(inner: str) -> list[str]:
    """`inner` split at each comma with an even number of `"` after it (outside a quoted item, counted from the
    end, as `,(?=(?:[^"]*"[^"]*")*[^"]*$)` splits; that expression reads the rest of the line for every comma,
    quadratic in a list of 100,000 tags, which took 72 s)."""
    parts: list[str] = []
    end = len(inner)
    quotes_after = 0
    for index in range(len(inner) - 1, -1, -1):
        character = inner[index]
        if character == '"':
            quotes_after += 1
        elif character == "," and quotes_after % 2 == 0:
            parts.append(inner[index + 1:end])
            end = index
    parts.append(inner[:end])
    return parts[::-1]


def _flow_list(raw: str) -> tuple[str, ...]:
    inner = raw.strip()[1:-1]
    items = [_unquote(part) for part in _outside_quotes(inner)]
    return tuple(item for item in (i.strip() for i in items) if item)


def _value(raw: str) -> str | tuple[str, ...]:
    raw = raw.strip()
    if raw.startswith("[") and raw.endswith("]"):
        return _flow_list(raw)
    return _unquote(raw)


def first_copy(text: str, rest: str) -> tuple[str, int]:
    """(the part of `rest` before the seed repeats itself, how many copies the seed holds). `text` opens with a
    front matter block and `rest` follows it; a seed written into its file more than once holds the same block
    again at the start of a line (two Nei.st seeds of the 300 real ones the tests read: front matter and article
    again, twice and eight times)."""
    block = text[:len(text) - len(rest)]
    copies = rest.count("\n" + block) + 1
    return (rest[:rest.find("\n" + block)], copies) if copies > 1 else (rest, 1)


def split_front_matter(text: str) -> tuple[FrontMatter, str] | None:
    """(front matter, rest of the text) when `text` opens with a `---` block, else None."""
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---\n", 3)
    if end < 0:
        end = text.find("\n---", 3)
        if end < 0 or text[end + 4:].strip():
            return None
        rest = ""
    else:
        rest = text[end + 5:]
    block = text[4:end].split("\n")
    if len(block) > MAX_LINES:
        return None
    values: list[tuple[str, str | tuple[str, ...]]] = []
    list_key: str | None = None
    list_items: list[str] = []
    for line in block:
        if list_key is not None and re.match(r"^\s*-\s+", line):
            list_items.append(_unquote(re.sub(r"^\s*-\s+", "", line)))
            continue
        if list_key is not None:
            values.append((list_key, tuple(i for i in list_items if i)))
            list_key, list_items = None, []
        match = _KEY.match(line)
        if not match:
            continue  # a continuation or a broken line: skip it, keep the other keys
        key, raw = match.group(1), match.group(2) or ""
        if not raw.strip():
            list_key = key
            continue
        values.append((key, _value(raw)))
    if list_key is not None:
        values.append((list_key, tuple(i for i in list_items if i)))
    return FrontMatter(tuple(values)), rest
