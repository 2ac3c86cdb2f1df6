"""Core throughput: validate + dedupe + aggregate a city's registrations, against a plain-Python baseline.

The city is split into schools (each school's rows are validated against its own roster) shared among worker
processes, as a district server would run them. The baseline counts the same thing the simplest way (latest
row per email, then titles per team, no validation, no normalisation), so the ratio says what validation and
provenance cost. Seconds are the slowest worker's pipeline time (building the rows is not timed); memory is
the largest worker's peak RSS, rows included.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import resource
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sample_data.generator import generate
from thidua.aggregate import crosstab
from thidua.pipeline import collect
from thidua.plan import Plan, parse_plan
from thidua.records import Record
from thidua.rows import Table

PLAN = Path(__file__).resolve().parent.parent / "examples" / "le-anh-xuan-2024" / "plan.yaml"
AS_OF = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _grids(rows: int, seed: int = 7) -> tuple[list[list[str]], list[list[str]]]:
    """A roster of rows/4 people and `rows` F1 answers built from the sample generator's messy answers."""
    plan = parse_plan(PLAN.read_text(encoding="utf-8"))
    sample = generate(plan, seed=seed)
    header, *answers = sample.grids["F1"]
    roster_header, *_ = sample.grids["roster"]
    rng = random.Random(seed)
    people = max(1, rows // 4)
    teams = [t.name for t in plan.teams]
    roster = [[f"Nguyễn Văn {i}", f"gv{i}@truong.vn", teams[i % len(teams)], "Giáo viên", ""] for i in range(people)]
    email_col, name_col, team_col = header.index("Địa chỉ email"), header.index("Họ và tên"), header.index("Tổ")
    f1 = []
    for i in range(rows):
        row = list(answers[i % len(answers)])
        person = rng.randrange(people)
        row[0] = f"{1 + i % 28}/2/2024 {8 + i % 10}:{i % 60:02d}:{(i // 60) % 60:02d}"
        if row[email_col].strip():
            row[email_col], row[name_col] = f"gv{person}@truong.vn", f"Nguyễn Văn {person}"
            if row[team_col].strip() and rng.random() < 0.97:
                row[team_col] = roster[person][2] if rng.random() < 0.8 else roster[person][2].lower()
        f1.append(row)
    return [roster_header, *roster], [header, *f1]


def _thidua(plan: Plan, roster: list[list[str]], f1: list[list[str]]) -> int:
    tables = {"roster": Table.from_cells("roster", "Danh sách", roster), "F1": Table.from_cells("F1", "F1", f1)}
    collected = collect(plan, tables, AS_OF)

    def team(record: Record) -> str:
        return getattr(record, "team_id", "")

    def title(record: Record) -> str:
        return getattr(record, "title_id", "")

    tab = crosstab(plan, collected.dataset.registrations, team, title, [t.id for t in plan.titles.individual])
    return tab.school_total()


def _baseline(plan: Plan, roster: list[list[str]], f1: list[list[str]]) -> int:
    team_of = {r[1]: r[2] for r in roster[1:]}
    latest: dict[str, tuple[str, list[str]]] = {}
    for row in f1[1:]:
        if row[1] and (row[1] not in latest or row[0] >= latest[row[1]][0]):
            latest[row[1]] = (row[0], row)
    counts = Counter((team_of.get(email), row[5]) for email, (_, row) in latest.items())
    return sum(counts.values())


def _worker(which: str, schools: range, rows_per_school: int, queue: Any) -> None:
    """Builds this worker's schools first (not timed), then times the pipeline over all of them."""
    plan = parse_plan(PLAN.read_text(encoding="utf-8"))
    grids = [_grids(rows_per_school, seed=school) for school in schools]
    runner: Callable[[Plan, list[list[str]], list[list[str]]], int] = _thidua if which == "thidua" else _baseline
    start = time.perf_counter()
    counted = sum(runner(plan, roster, f1) for roster, f1 in grids)
    seconds = time.perf_counter() - start
    queue.put({"seconds": seconds, "counted": counted,
               "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def run(rows: int = 1_000_000, rows_per_school: int = 4_000, processes: int = 2) -> list[dict[str, Any]]:
    """A city's registrations as schools of `rows_per_school` rows, shared among `processes` processes."""
    context = multiprocessing.get_context("spawn")
    schools = max(1, rows // rows_per_school)
    results = []
    for which in ("baseline", "thidua"):
        queue = context.Queue()
        workers = [context.Process(target=_worker, args=(which, range(i, schools, processes), rows_per_school, queue))
                   for i in range(processes)]
        for worker in workers:
            worker.start()
        parts = [queue.get() for _ in workers]
        for worker in workers:
            worker.join()
        results.append({"benchmark": f"core {which}", "rows": schools * rows_per_school, "processes": processes,
                        "seconds": max(p["seconds"] for p in parts), "counted": sum(p["counted"] for p in parts),
                        "peak_mib_per_process": max(p["peak_mib"] for p in parts)})
    base, ours = results
    ours["ratio_to_baseline"] = ours["seconds"] / base["seconds"] if base["seconds"] else float("nan")
    return results
