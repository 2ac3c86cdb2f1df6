"""Text as teachers type it: NFD from some keyboards, stray spaces, diacritics left out."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SEPARATORS = re.compile(r"[\s\-–—_/.,;:()]+")


def nfc(text: str) -> str:
    """Text in NFC, so the same Vietnamese word typed on different keyboards compares equal."""
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


# Characters that change how text looks or is split without being seen: zero-width, joiners, bidi controls, BOM.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad\u061c") | frozenset(
    chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))


def is_hidden(char: str) -> bool:
    """A control character (C0, C1, line/paragraph separator) or one of the invisible formatting marks."""
    return unicodedata.category(char) in {"Cc", "Zl", "Zp", "Cs", "Co", "Cn"} or char in _INVISIBLE


def visible(text: str) -> str:
    """`text` with every hidden character spelled out (⟨U+200B⟩), and decomposed letters marked, so a message
    about "Họ tên" that differs from the header the clerk sees only invisibly shows the difference."""
    out = [f"⟨U+{ord(c):04X}⟩" if is_hidden(c) else c for c in text]
    shown = "".join(out)
    if unicodedata.normalize("NFC", text) != text:
        shown += " (chữ ở dạng tổ hợp NFD)"
    return shown


def team_key(text: str) -> str:
    """How a typed team name is compared: folded, without a leading "tổ"."""
    return _TEAM_PREFIX.sub("", fold(text))


_TEAM_PREFIX = re.compile(r"^(to|tổ)\s+")


# OWASP's CSV-injection list, plus the full-width forms spreadsheets also accept as formula starters.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def neutralise(text: str) -> str:
    """Text as a cell of a CSV or XLSX a person will open: a leading formula character gets an apostrophe, so
    no spreadsheet runs `=WEBSERVICE(…)` or `-5+cmd|…`. Applied to the final text, after any trimming."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


_PLACEHOLDER_OPEN = re.compile(r"\{(?=\{)")


def inert_placeholders(text: str) -> str:
    """A value placed into a document whose placeholders are replaced afterwards (Google Docs' replaceAllText):
    a word joiner (U+2060, invisible, no width) between two braces, so a teacher's "{{signer_name}}" prints as
    typed and is never filled with the principal's name."""
    return _PLACEHOLDER_OPEN.sub("{\u2060", text)
