"""`thidua demo --schools 2 --staff 24 --rollup-to phong-gddt` through the real CLI: every school's every deadline
delivered once, each report holding only its own school, and the district office's roll-up once per deadline."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import run_demo
from tests.prefect_server import PrefectServer
from tests.server.support import assert_only_own_school, received
from thidua.plan import Plan, parse_plan

SCHOOLS = 2
# What is pinned here (every report once, each school's own data, the roll-up's sums) does not depend on the size of
# the staff; the local and Google demos run the default 80. 24 took 120 s against 143 s at 80 (alone, 2026-12-02).
STAFF = 24


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory,
             prefect_server: PrefectServer) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("district")
    return out, run_demo(out, "--schools", str(SCHOOLS), "--staff", str(STAFF), "--rollup-to", "phong-gddt",
                       server=prefect_server)


@pytest.fixture(scope="module")
def plans(district: tuple[Path, subprocess.CompletedProcess[str]]) -> dict[str, Plan]:
    out, run = district
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    found = [parse_plan(p.read_text(encoding="utf-8")) for p in sorted((out / "plans").glob("*.yaml"))]
    return {p.id: p for p in found}


def test_summary_has_a_row_per_school_and_deadline_all_sent(
        district: tuple[Path, subprocess.CompletedProcess[str]], plans: dict[str, Plan]) -> None:
    out, _ = district
    rows: list[dict[str, Any]] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert len(plans) == SCHOOLS
    assert sorted((r["school"], r["id"]) for r in rows) == sorted(
        (school, d.id) for school, plan in plans.items() for d in plan.deadlines)
    assert {r["delivery"] for r in rows} == {"sent"}
    assert not any(r["late"] for r in rows)


def test_every_report_emailed_once_and_one_rollup_per_deadline(
        district: tuple[Path, subprocess.CompletedProcess[str]], plans: dict[str, Plan]) -> None:
    out, _ = district
    messages = received(out / "mail")
    ids = Counter(str(m["Message-ID"]) for m in messages)
    assert all(n == 1 for n in ids.values()), ids.most_common(3)
    reports = [m for m in messages if "tong-hop-quan" not in str(m["Message-ID"])]
    rollups = [m for m in messages if "tong-hop-quan" in str(m["Message-ID"])]
    assert len(reports) == sum(len(p.deadlines) for p in plans.values())
    senders = Counter(m["From"].addresses[0].addr_spec for m in reports)
    assert senders == {p.delivery.sender: len(p.deadlines) for p in plans.values()}
    seed = next(iter(plans.values()))
    office = next(r for r in seed.recipients if r.id == "phong-gddt")
    assert len(rollups) == len(seed.deadlines)
    assert {str(m["To"]) for m in rollups} == {office.email}
    body = rollups[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"{SCHOOLS}/{SCHOOLS} trường đã gửi" in body
    assert all(p.school.name in body for p in plans.values())


def test_no_school_reads_another_schools_data(district: tuple[Path, subprocess.CompletedProcess[str]],
                                             plans: dict[str, Plan]) -> None:
    assert_only_own_school(district[0], plans)


def test_rollup_totals_are_the_sum_of_the_schools_own_reports(
        district: tuple[Path, subprocess.CompletedProcess[str]], plans: dict[str, Plan]) -> None:
    out, _ = district
    rollups = json.loads((out / "rollup.json").read_text(encoding="utf-8"))
    seed = next(iter(plans.values()))
    names = {t.id: t.name for t in seed.all_titles}
    for deadline in seed.deadlines:
        expected: Counter[str] = Counter()
        for school_id in plans:
            context = out / "schools" / school_id / "contexts" / f"{school_id}_{deadline.id}_{deadline.kind.value}.json"
            expected.update(json.loads(context.read_text(encoding="utf-8"))["title_counts"])
        rollup = rollups[deadline.id]
        assert (rollup["schools"], rollup["delivered"], rollup["on_time"]) == (SCHOOLS, SCHOOLS, SCHOOLS)
        assert {row[0]: int(row[1].replace(".", "")) for row in rollup["titles"]["rows"]} == {
            names[t]: n for t, n in expected.items()}
