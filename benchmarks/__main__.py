"""Runs the chosen benchmarks, prints one table, appends it to benchmarks/RESULTS.md with the machine and date."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import thidua_cli  # noqa: F401  (Prefect's defaults for a busy machine, set before Prefect is imported)
from benchmarks import conversion, core, district, google_calls, prefect_overhead, startup, worker_runs

BENCHMARKS: dict[str, Callable[[], list[dict[str, Any]]]] = {
    "core": core.run,
    "google_calls": google_calls.run,
    "prefect_overhead": prefect_overhead.run,
    "district": district.run,
    "conversion": conversion.run,
    "startup": startup.run,
    "worker_runs": worker_runs.run,
}
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def _format(value: Any) -> str:
    return f"{value:,.2f}" if isinstance(value, float) else str(value)


def main(names: list[str]) -> None:
    chosen = names or list(BENCHMARKS)
    rows = [row for name in chosen for row in BENCHMARKS[name]()]
    columns = list(dict.fromkeys(key for row in rows for key in row))
    table = Table(title="thidua benchmarks")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(_format(row.get(c, "")) for c in columns))
    Console().print(table)
    machine = f"{platform.node()} · {platform.processor() or platform.machine()} · {os.cpu_count()} cores · " \
              f"Python {platform.python_version()}"
    lines = [f"\n## {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC — {machine}\n",
             "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_format(row.get(c, "")) for c in columns) + " |" for row in rows]
    with RESULTS.open("a", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
