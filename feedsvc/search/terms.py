"""A story's text and a reader's query as the search index sees them. Pure.

SQLite's FTS5 finds tokens; Chinese has no spaces between words, and most queries are two characters, which a
trigram index cannot answer. So each run of Chinese characters is indexed as its overlapping bigrams and its last
character (`中美核軍` → `中美 美核 核軍 軍`): a query of two characters or more is the phrase of its bigrams, which
holds exactly where the text holds the query; a single character is a prefix of the token that starts with it.
Other text is left to FTS5's `unicode61` tokenizer: whole words, case and diacritics aside. Traditional characters
are folded to Simplified first (OpenCC's single-character table, shipped in `fold-chars.txt`), in the text and in
the query alike, so either script finds both.

A query is one or more terms separated by spaces; a story matches when it holds every term.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

from feedsvc.text import HAN

_RUN = re.compile(f"[{HAN}]+")
_BIGRAMS = re.compile(f"(?=([{HAN}]{{2}}))")
_PIECES = re.compile(f"[{HAN}]+|[^\\W_{HAN}]+")
"""A term's pieces: runs of Chinese characters, and words (letters and digits, as `unicode61` reads them)."""
MAX_TERMS = 8
MAX_QUERY = 200


class QueryError(ValueError):
    """A query that cannot be searched for, with the reason a reader is told."""


@functools.cache
def _fold_table() -> dict[int, str]:
    text = resources.files("feedsvc.search").joinpath("fold-chars.txt").read_text(encoding="utf-8")
    return {ord(line[0]): line[1] for line in text.splitlines() if len(line) == 2 and not line.startswith("#")}


def fold(text: str) -> str:
    """`text` with its Traditional characters as Simplified ones, and lower-cased."""
    return text.translate(_fold_table()).lower()


def _run_tokens(match: re.Match[str]) -> str:
    run = match.group(0)
    return f" {' '.join(_BIGRAMS.findall(run))} {run[-1]} "


def document_tokens(text: str) -> str:
    """What the index stores for `text`: folded, each run of Chinese characters as its bigrams and last character."""
    return _RUN.sub(_run_tokens, fold(text))


def _phrase(term: str) -> str | None:
    """A term as an FTS5 phrase (None when it holds nothing to search for)."""
    pieces = _PIECES.findall(fold(term))
    tokens: list[str] = []
    prefix = False
    for at, piece in enumerate(pieces):
        last = at == len(pieces) - 1
        if _RUN.fullmatch(piece):
            tokens += _BIGRAMS.findall(piece)
            if not last:
                tokens.append(piece[-1])  # the run ends where the next word starts: so does the text's
            elif len(piece) == 1:
                tokens.append(piece)
                prefix = True  # one character: the start of a bigram, or a run's last character
        else:
            tokens.append(piece)
    if not tokens:
        return None
    return '"' + " ".join(tokens) + '"' + ("*" if prefix else "")


def match_expression(query: str) -> str:
    """The FTS5 MATCH expression of a reader's query: every term must be found (QueryError when the query holds
    nothing to search for, or too much)."""
    if len(query) > MAX_QUERY:
        raise QueryError(f"the query is longer than {MAX_QUERY} characters")
    terms = query.split()
    if len(terms) > MAX_TERMS:
        raise QueryError(f"the query has more than {MAX_TERMS} terms")
    phrases = [p for p in (_phrase(t) for t in terms) if p is not None]
    if not phrases:
        raise QueryError("the query holds no letters, digits or Chinese characters to search for")
    return " AND ".join(phrases)

