"""Rows as a source hands them over: cell text keyed by column header, with where they came from."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class RawRow:
    """One data row of a response sheet; `row_number` is the sheet's own 1-based number (header is row 1)."""

    source_id: str
    sheet: str
    row_number: int
    values: dict[str, str]

    def is_blank(self) -> bool:
        """No cell holds anything but whitespace; stops at the first cell that does (usually the first)."""
        return not any(map(str.strip, self.values.values()))


@dataclass(frozen=True)
class Table:
    """A whole response sheet: its headers in order and its rows."""

    source_id: str
    sheet: str
    headers: tuple[str, ...]
    rows: tuple[RawRow, ...]

    @classmethod
    def from_cells(cls, source_id: str, sheet: str, cells: list[list[str]]) -> Table:
        """Builds a table from a grid whose first row is the header, as every sheet export has it."""
        if not cells:
            return cls(source_id, sheet, (), ())
        headers = tuple(cells[0])
        width = len(headers)
        padding = [""] * width  # exports drop trailing empty cells: a short line reads as blanks there
        lines = [line if len(line) >= width else [*line, *padding] for line in cells[1:]]
        with cyclic_gc_paused():
            rows = tuple(
                RawRow(source_id, sheet, number, dict(zip(headers, line, strict=False)))
                for number, line in enumerate(lines, start=2)
            )
        return cls(source_id, sheet, headers, rows)


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
