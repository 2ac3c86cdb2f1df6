"""Rows as a source hands them over: cell text keyed by column header, with where they came from."""

from __future__ import annotations

import gc
import re
import threading
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

# Characters XML 1.0 cannot hold (the DOCX, the XLSX annex) and the C1 controls: a teacher's ESC or NUL must
# not stop a whole deadline, so they are removed at the door and counted. Tab and line breaks are text.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
# Invisible marks a header may carry from a copy-paste: zero-width, joiners, bidi controls, BOM.
_HEADER_MARKS = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")


@dataclass(frozen=True)
class RawRow:
    """One data row of a response sheet; `row_number` is the sheet's own 1-based number (header is row 1)."""

    source_id: str
    sheet: str
    row_number: int
    values: dict[str, str]
    # Why a cell reads empty when the file says more (merged into another cell, a formula never computed).
    notes: Mapping[str, str] | None = None

    def is_blank(self) -> bool:
        """No cell holds anything but whitespace; stops at the first cell that does (usually the first)."""
        return not any(map(str.strip, self.values.values()))


@dataclass(frozen=True)
class Table:
    """A whole response sheet: its headers in order and its rows.

    `controls_removed` counts the control characters taken out of answers; `duplicate_headers` names the
    headers that occur more than once (with their 1-based columns), which the plan's mapping cannot resolve.
    """

    source_id: str
    sheet: str
    headers: tuple[str, ...]
    rows: tuple[RawRow, ...]
    controls_removed: int = 0
    duplicate_headers: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def from_cells(cls, source_id: str, sheet: str, cells: list[list[str]],
                   notes: Mapping[tuple[int, int], str] | None = None) -> Table:
        """Builds a table from a grid whose first row is the header, as every sheet export has it.

        Headers are compared as the clerk reads them (NFC, invisible marks dropped, spaces collapsed); answers
        lose the characters no document can hold. `notes` are keyed by 0-based (grid row, column).
        """
        if not cells:
            return cls(source_id, sheet, (), ())
        headers = tuple(header_text(h) for h in cells[0])
        width = len(headers)
        columns: dict[str, list[int]] = {}
        for index, header in enumerate(headers, start=1):
            columns.setdefault(header, []).append(index)
        duplicates = {h: tuple(at) for h, at in columns.items() if len(at) > 1 and h}
        padding = [""] * width  # exports drop trailing empty cells: a short line reads as blanks there
        removed = 0
        lines = []
        for line in cells[1:]:
            if _UNWRITABLE.search("".join(line)):
                cleaned = [_UNWRITABLE.sub("", cell) for cell in line]
                removed += sum(len(a) - len(b) for a, b in zip(line, cleaned, strict=True))
                line = cleaned
            lines.append(line if len(line) >= width else [*line, *padding])
        by_row: dict[int, dict[str, str]] = {}
        for (grid_row, column), note in (notes or {}).items():
            if grid_row >= 1 and column < width:
                by_row.setdefault(grid_row + 1, {})[headers[column]] = note
        with cyclic_gc_paused():
            rows = tuple(
                RawRow(source_id, sheet, number, dict(zip(headers, line, strict=False)), by_row.get(number))
                for number, line in enumerate(lines, start=2)
            )
        return cls(source_id, sheet, headers, rows, removed, duplicates)


def header_text(header: str) -> str:
    """A column header as the clerk sees it and the plan names it: NFC, no invisible marks, single spaces."""
    return " ".join(unicodedata.normalize("NFC", _HEADER_MARKS.sub("", header)).split())


_gc_pauses = 0
_gc_pause_lock = threading.Lock()
_gc_was_enabled = True


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """For building rows and records in bulk: they form no reference cycles and reference counting frees them,
    yet every few thousand of them would set off the cyclic collector, which rescans the whole heap (a district's
    worth of rows on a worker) to find nothing. Pauses are counted, so schools collected side by side in threads
    leave the collector as the first pause found it only when the last one ends.
    """
    global _gc_pauses, _gc_was_enabled
    with _gc_pause_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_pause_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()
