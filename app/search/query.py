"""Reading what the user typed: cleaned, cut, split into words safe for full-text syntax."""

import re
from dataclasses import dataclass, field

MIN_LENGTH = 2
MAX_LENGTH = 100
MAX_WORDS = 8
CODE_LENGTH = 64  # lot codes are at most 64 characters
# Words are runs of letters and digits: every FTS operator, quote, star, bracket, %, _ falls away.
WORD = re.compile(r"[^\W_]+")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""  # what is searched, cleaned, for showing back
    code: str = ""  # upper-cased prefix for references and lot codes
    words: tuple[str, ...] = field(default_factory=tuple)
    message: str = ""  # why nothing was searched, or what was cut

    @property
    def searchable(self) -> bool:
        return bool(self.text) and len(self.text) >= MIN_LENGTH


def parse(raw: str | None) -> SearchQuery:
    """Clean the query: no control characters, spaces squeezed, cut at MAX_LENGTH."""
    text = "".join(ch if ch.isprintable() else " " for ch in (raw or "")[: MAX_LENGTH * 10])
    text = " ".join(text.split())
    message = ""
    if len(text) > MAX_LENGTH:
        text = text[:MAX_LENGTH].rstrip()
        message = f"Only the first {MAX_LENGTH} characters were searched."
    if not text:
        return SearchQuery(message="Type a reference, a lot code, a customer or a few words to search.")
    if len(text) < MIN_LENGTH:
        return SearchQuery(text=text, message=f"Type at least {MIN_LENGTH} characters to search.")
    words = tuple(dict.fromkeys(w.casefold() for w in WORD.findall(text)))[:MAX_WORDS]
    # SQLite's upper() folds ASCII only: fold the same way so both sides agree.
    code = text[:CODE_LENGTH].translate(_ASCII_UPPER)
    return SearchQuery(text=text, code=code, words=words, message=message)


def fts5_match(words: tuple[str, ...]) -> str:
    """An FTS5 query: every word, quoted (so NEAR, AND, * mean nothing), as a prefix."""
    return " ".join(f'"{w}"*' if len(w) > 1 else f'"{w}"' for w in words)


def pg_tsquery(words: tuple[str, ...]) -> str:
    """A to_tsquery() string: every word quoted as a lexeme, as a prefix, all required."""
    return " & ".join(f"'{w}':*" if len(w) > 1 else f"'{w}'" for w in words)


def code_upper_bound(code: str) -> str:
    """The smallest string above every string that starts with `code` (binary order)."""
    last = ord(code[-1]) + 1
    if 0xD800 <= last <= 0xDFFF:  # surrogates cannot be stored: step over them
        last = 0xE000
    if last > 0x10FFFF:
        return code + "\U0010ffff"
    return code[:-1] + chr(last)
