"""The run's delivery ledger, opened without Prefect: `thidua status` reads it, and importing Prefect (seconds)
is what a command that only reads the ledger should not pay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from connectors.ledger import SqlLedger
from connectors.ports import Ledger
from flows.settings import RunSettings


def open_ledger(settings: RunSettings, clock: Callable[[], dt.datetime] | None = None) -> Ledger:
    """The run's delivery ledger (and approvals): the SQL ledger on the settings' database, for every backend."""
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    if clock is None:
        return SqlLedger(settings.ledger_database)
    return SqlLedger(settings.ledger_database, clock=clock)
