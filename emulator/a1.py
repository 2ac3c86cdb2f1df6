"""A1 notation: parse ``'Sheet name'!A1:C3``-style ranges into zero-based half-open grid ranges and back."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CELL = re.compile(r"^([A-Za-z]*)(\d*)$")


class A1Error(ValueError):
    pass


@dataclass(frozen=True)
class A1Range:
    """``sheet`` is ``None`` when the range names no sheet; bounds are 0-based, ends exclusive, ``None`` = open."""

    sheet: str | None
    start_row: int | None
    end_row: int | None
    start_col: int | None
    end_col: int | None


def column_letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    value = 0
    for ch in letters.upper():
        value = value * 26 + (ord(ch) - 64)
    return value - 1


def quote_sheet(title: str) -> str:
    looks_like_cell = re.fullmatch(r"[A-Za-z]{1,3}\d+", title) is not None
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title) and not looks_like_cell:
        return title
    return "'" + title.replace("'", "''") + "'"


def split_sheet(text: str) -> tuple[str | None, str]:
    text = text.strip()
    if text.startswith("'"):
        i = 1
        name = ""
        while i < len(text):
            if text[i] == "'":
                if i + 1 < len(text) and text[i + 1] == "'":
                    name += "'"
                    i += 2
                    continue
                break
            name += text[i]
            i += 1
        else:
            raise A1Error(f"Unable to parse range: {text}")
        rest = text[i + 1 :]
        if rest == "":
            return name, ""
        if not rest.startswith("!"):
            raise A1Error(f"Unable to parse range: {text}")
        return name, rest[1:]
    if "!" in text:
        name, _, rest = text.rpartition("!")
        return name, rest
    return None, text


def _cell(part: str, whole: str) -> tuple[int | None, int | None]:
    found = _CELL.match(part.strip())
    if not found or (not found.group(1) and not found.group(2)):
        raise A1Error(f"Unable to parse range: {whole}")
    col = column_index(found.group(1)) if found.group(1) else None
    row = int(found.group(2)) - 1 if found.group(2) else None
    if row is not None and row < 0:
        raise A1Error(f"Unable to parse range: {whole}")
    return row, col


def parse(text: str, sheet_titles: list[str] | None = None) -> A1Range:
    """Parse ``text``; a bare word that is a sheet title (e.g. ``Sheet1``) means that whole sheet."""
    sheet, cells = split_sheet(text)
    if sheet is None and sheet_titles is not None and cells in sheet_titles:
        return A1Range(cells, None, None, None, None)
    if cells == "":
        if sheet is None:
            raise A1Error(f"Unable to parse range: {text}")
        return A1Range(sheet, None, None, None, None)
    first, _, second = cells.partition(":")
    r0, c0 = _cell(first, text)
    if not second:
        if r0 is None or c0 is None:
            raise A1Error(f"Unable to parse range: {text}")
        return A1Range(sheet, r0, r0 + 1, c0, c0 + 1)
    r1, c1 = _cell(second, text)
    if (c0 is None) != (c1 is None) and not (r0 is not None and c0 is not None):
        raise A1Error(f"Unable to parse range: {text}")
    start_row = r0 if r0 is not None else (None if r1 is None else 0)
    start_col = c0 if c0 is not None else (None if c1 is None else 0)
    if r0 is None and r1 is None:
        start_row = None
    if c0 is None and c1 is None:
        start_col = None
    end_row = None if r1 is None else r1 + 1
    end_col = None if c1 is None else c1 + 1
    if start_row is not None and end_row is not None and end_row <= start_row:
        start_row, end_row = end_row - 1, start_row + 1
    if start_col is not None and end_col is not None and end_col <= start_col:
        start_col, end_col = end_col - 1, start_col + 1
    return A1Range(sheet, start_row, end_row, start_col, end_col)


def format_range(sheet: str, start_row: int, end_row: int, start_col: int, end_col: int) -> str:
    """Zero-based half-open bounds → ``'Sheet'!A1:C3`` (a single cell prints as ``'Sheet'!A1``)."""
    first = f"{column_letters(start_col)}{start_row + 1}"
    last = f"{column_letters(end_col - 1)}{end_row}"
    cells = first if first == last else f"{first}:{last}"
    return f"{quote_sheet(sheet)}!{cells}"
