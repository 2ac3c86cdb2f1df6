"""What every batchUpdate handler is given: the spreadsheet, and which request it is (for Google's error text)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.sheets.grid import Spreadsheet


@dataclass(frozen=True)
class Request:
    """One request of a batchUpdate, as its handler sees it."""

    book: Spreadsheet
    index: int
    kind: str
    rng: random.Random  # new sheet ids, seeded by the model so that runs repeat

    @property
    def where(self) -> str:
        """The prefix Google puts on a request's error: `Invalid requests[2].addSheet`."""
        return f"Invalid requests[{self.index}].{self.kind}"


#: A handler edits `request.book` in place and returns the request's reply (often `{}`).
Handler = Callable[[Request, dict[str, Any]], dict[str, Any]]
