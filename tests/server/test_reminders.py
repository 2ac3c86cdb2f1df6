"""Reminders reach exactly the people missing (roster minus those who answered), team heads get their lists,
nobody outside the roster and the plan is written to, and a re-run reminds nobody twice."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from connectors.local.smtp_server import LoopbackSmtpServer
from flows.reminders import reminders_flow
from thidua.calendar import schedule
from thidua.text import fold

from .support import addresses, received, sample_school, seed_plan

VN = dt.timezone(dt.timedelta(hours=7))


def _valid_rows(data: Path, file: str, source_id: str) -> list[dict[str, str]]:
    spoiled = {int(r) for r in json.loads((data / "expected_rejects.json").read_text())[source_id]}
    with (data / file).open(encoding="utf-8", newline="") as handle:
        return [row for number, row in enumerate(csv.DictReader(handle), start=2) if number not in spoiled]


def test_reminders_reach_exactly_the_people_missing_and_their_team_heads(prefect_api: object, tmp_path: Path) -> None:
    plan = seed_plan()
    deadline = plan.deadline("D1")
    now = schedule(plan, deadline).send_at - dt.timedelta(days=7)
    with LoopbackSmtpServer(tmp_path / "mail") as smtp:
        settings = sample_school(tmp_path, smtp.port)
        reminders_flow(settings, "D1", 7, now)
        first = received(tmp_path / "mail")
        reminders_flow(settings, "D1", 7, now)
        assert len(received(tmp_path / "mail")) == len(first), "a re-run reminded someone twice"

    # Independently of the core: the roster, minus whoever has a valid F1 answer stamped before `now`.
    roster = {r["Email"].strip().lower(): r for r in _valid_rows(settings.data_dir, "roster.csv", "roster")}
    f1 = _valid_rows(settings.data_dir, "F1_dang_ky_ca_nhan.csv", "F1")
    answered = {r["Địa chỉ email"].strip().lower() for r in f1
                if dt.datetime.strptime(r["Dấu thời gian"].strip(), "%d/%m/%Y %H:%M:%S").replace(tzinfo=VN) <= now}
    expected_people = set(roster) - answered
    assert expected_people, "the sample should leave someone to remind a week before D1"
    people = {next(iter(addresses(m))) for m in first if str(m["Subject"]).startswith(f"[{plan.school.name}] Nhắc nộp")}
    assert people == expected_people

    heads = {t.head_email.lower(): t for t in plan.teams}
    spellings = {fold(s): t.name for t in plan.teams for s in (t.name, *t.aliases)} | {
        fold(typed): plan.team(team_id).name for typed, team_id in plan.team_aliases.items()}

    def team_of(address: str) -> str:
        return spellings[fold(roster[address]["Tổ"])]

    to_heads = [m for m in first if next(iter(addresses(m))) in heads and "danh sách chưa nộp" in str(m["Subject"])]
    for message in to_heads:
        team = heads[next(iter(addresses(message)))]
        body = message.get_content()
        assert isinstance(body, str)
        names = {roster[e]["Họ và tên"].strip() for e in expected_people if team_of(e) == team.name}
        assert all(name in body for name in names), team.name
    teams_with_missing = {team_of(e) for e in expected_people}
    assert {heads[next(iter(addresses(m)))].name for m in to_heads} >= teams_with_missing
    allowed = set(roster) | set(heads)
    assert all(addresses(m) <= allowed for m in first)
    assert len(first) == len(people) + len(to_heads)
