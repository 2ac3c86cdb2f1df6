"""The rejected rows as a CSV file the clerk opens in a spreadsheet to fix the answers."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from connectors.writing import written_whole
from thidua.records import Reject
from thidua.text import neutralise


def _csv_safe(value: object) -> str:
    """A reject's value is what a teacher typed; never let a spreadsheet execute it when the clerk opens the file
    (OWASP's CSV-injection rule on every cell, the sheet's name and the reason included)."""
    return neutralise(str(value))


def write_rejects(path: Path, rejects: Iterable[Reject]) -> None:
    """Each distinct reject once, by source and row: where it is, what was typed, and why it was refused."""
    unique = sorted(set(rejects), key=lambda r: (r.source_id, r.row_number, r.field))
    with written_whole(path, "danh sách dòng bị loại") as partial, partial.open("w", encoding="utf-8",
                                                                                  newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["source", "sheet", "row", "field", "value", "reason"])
        for r in unique:
            writer.writerow([_csv_safe(v) for v in (r.source_id, r.sheet, r.row_number, r.field, r.value, r.reason)])
