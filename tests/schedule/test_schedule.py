"""The seed plan's runs against DOMAIN.md's calendar, in Vietnam time; moved dates; late runs; JSON and iCalendar."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import icalendar
import pytest

from thidua.calendar import calendar
from thidua.plan import Plan, parse_plan
from thidua.schedule import RunKind, is_late, runs

REPO = Path(__file__).resolve().parents[2]
PLAN = REPO / "examples" / "le-anh-xuan-2024" / "plan.yaml"
VN = dt.timezone(dt.timedelta(hours=7))

# DOMAIN.md, "Deadlines (the plan's section III)": each report must reach the district before these dates.
DOMAIN_DUE_BEFORE = {
    "D1": dt.date(2024, 3, 15), "D2": dt.date(2024, 3, 15), "D3": dt.date(2024, 5, 22), "D4": dt.date(2024, 6, 10),
    "D5": dt.date(2024, 6, 15), "D6": dt.date(2024, 8, 21), "D7": dt.date(2024, 9, 10), "D8": dt.date(2024, 11, 15),
    "D9": dt.date(2024, 12, 10),
}


@pytest.fixture(scope="module")
def plan() -> Plan:
    return parse_plan(PLAN.read_text(encoding="utf-8"))


def _at(day: dt.date, hour: int = 8) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), VN)


def test_seed_schedule_matches_domain_calendar_in_vietnam_time(plan: Plan) -> None:
    assert {d.id: d.due_before for d in plan.deadlines} == DOMAIN_DUE_BEFORE
    expected: dict[tuple[str, str], dt.datetime] = {}
    for deadline_id, due in DOMAIN_DUE_BEFORE.items():
        send = _at(due - dt.timedelta(days=2))  # by the end of the previous day, one margin day earlier, 08:00
        expected[(deadline_id, "send")] = send
        expected[(deadline_id, "draft")] = send - dt.timedelta(days=2)
        expected[(deadline_id, "check")] = _at(due - dt.timedelta(days=1), 12)  # 12 h before 24:00 of the eve
        if deadline_id != "D5":  # the evaluation is the council's sheet: nobody to remind
            expected[(deadline_id, "reminder-7d")] = send - dt.timedelta(days=7)
            expected[(deadline_id, "reminder-3d")] = send - dt.timedelta(days=3)
    got = {(r.deadline_id, r.name.split("-", 1)[1]): r.at for r in runs(plan)}
    assert got == expected
    assert all(at.utcoffset() == dt.timedelta(hours=7) for at in got.values())
    for item in calendar(plan):
        assert item.must_arrive_by == dt.datetime.combine(item.deadline.due_before, dt.time(0), VN) - dt.timedelta(
            microseconds=1)


def test_changing_a_date_moves_every_run_of_that_deadline_and_no_other(plan: Plan) -> None:
    text = PLAN.read_text(encoding="utf-8").replace("due_before: 2024-05-22", "due_before: 2024-05-29")
    moved = {r.name: r.at for r in runs(parse_plan(text))}
    before = {r.name: r.at for r in runs(plan)}
    assert moved.keys() == before.keys()
    for name, at in before.items():
        assert moved[name] - at == (dt.timedelta(days=7) if name.startswith("D3-") else dt.timedelta(0)), name


def test_runs_before_the_clock_are_late_and_the_plan_date_makes_d1_d2_sends_late(plan: Plan) -> None:
    deployed_on = _at(plan.plan_document.date)
    late_sends = [r.deadline_id for r in runs(plan) if r.kind is RunKind.SEND and is_late(r, deployed_on)]
    assert late_sends == ["D1", "D2"]


def test_plan_can_turn_approval_and_reminders_off(plan: Plan) -> None:
    text = PLAN.read_text(encoding="utf-8").replace("approval_required: true", "approval_required: false").replace(
        "reminder_days: [7, 3]", "reminder_days: []")
    kinds = {r.kind for r in runs(parse_plan(text))}
    assert kinds == {RunKind.SEND, RunKind.CHECK}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "thidua_cli.main", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120, check=True)


def test_calendar_json_lists_every_run_with_the_vietnam_offset(plan: Plan) -> None:
    rows = json.loads(_cli("calendar", str(PLAN), "--json").stdout)
    assert [(r["deadline"], r["kind"], dt.datetime.fromisoformat(r["at"])) for r in rows] == [
        (r.deadline_id, r.kind.value, r.at) for r in runs(plan)]
    assert all(r["at"].endswith("+07:00") for r in rows)


def test_calendar_ics_is_crlf_folded_and_reads_back_in_vietnam_time(plan: Plan, tmp_path: Path) -> None:
    path = tmp_path / "lich.ics"
    _cli("calendar", str(PLAN), "--ics", str(path))
    raw = path.read_bytes()
    lines = raw.split(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in lines)
    events = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    assert sorted(e.decoded("dtstart") for e in events) == sorted(r.at for r in runs(plan))
    assert len({str(e["uid"]) for e in events}) == len(events)
