"""Text as teachers type it: NFD from some keyboards, stray spaces, diacritics left out."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SEPARATORS = re.compile(r"[\s\-–—_/.,;:()]+")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def clean(text: str) -> str:
    """NFC, trimmed, inner whitespace collapsed: the form every accepted value is stored in."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@lru_cache(maxsize=65_536)
def fold(text: str) -> str:
    """A diacritic- and case-insensitive key ("Tổ Toán" and "to toan" fold alike); đ is not a combining mark."""
    decomposed = unicodedata.normalize("NFD", text.casefold()).replace("đ", "d")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SEPARATORS.sub(" ", stripped).strip()


def looks_like_formula(text: str) -> bool:
    """Answers a spreadsheet would execute if pasted back (CSV/formula injection)."""
    second = text[1:2]
    dash_command = text[:1] == "-" and second != "" and not (second.isdigit() or second.isspace())
    return text[:1] in {"=", "+", "@"} or dash_command
