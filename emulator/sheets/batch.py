"""spreadsheets.batchUpdate: one dispatcher from each request's name to its handler; the handlers live in
`emulator.sheets.handlers`, grouped by what they edit (tabs, rows and columns, cells)."""

from __future__ import annotations

import random
from typing import Any

from emulator.batch import dispatch
from emulator.sheets.grid import Spreadsheet
from emulator.sheets.handlers import cells, dimensions, sheets
from emulator.sheets.handlers.base import Handler, Request

#: Every request kind the emulator acts on, by the name Google gives it in a batchUpdate body.
HANDLERS: dict[str, Handler] = {**sheets.HANDLERS, **dimensions.HANDLERS, **cells.HANDLERS}


def apply_requests(book: Spreadsheet, requests: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """Applies the requests in order and returns their replies; the first error stops the batch (the model then
    puts the spreadsheet back as it was, since Google applies a batch whole or not at all)."""
    return dispatch(requests, HANDLERS, lambda i, kind: Request(book, i, kind, rng), "sheets.spreadsheets.batchUpdate")
