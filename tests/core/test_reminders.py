"""Reminders as data: a team head who has not answered gets their own reminder and their team's list, as two
notices with identities of their own (the ledger sends each identity once, so a shared one would drop the list)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from thidua.aggregate import Dataset
from thidua.plan import parse_plan
from thidua.records import Origin, StaffMember
from thidua.reminders import missing, reminder_emails

PLAN = parse_plan((Path(__file__).resolve().parents[2] / "examples" / "le-anh-xuan-2024" / "plan.yaml")
                  .read_text(encoding="utf-8"))


def _member(email: str, name: str, team_id: str, position: str, row: int) -> StaffMember:
    return StaffMember(Origin("roster", "roster", row, None), email, name, team_id, position, "2020-08-15")


def test_a_head_who_has_not_answered_gets_the_own_reminder_and_the_team_list() -> None:
    team = PLAN.teams[0]
    assert team.head_email
    dataset = Dataset(staff=[_member(team.head_email, "Lê Văn Phúc", team.id, "Tổ trưởng", 2),
                             _member("gv.a@lax.example.edu.vn", "Trần Thị An", team.id, "Giáo viên", 3)])
    deadline = PLAN.deadline("D1")
    now = dt.datetime(2024, 3, 6, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    found = missing(PLAN, deadline, dataset)
    reminders = reminder_emails(PLAN, deadline, found, dataset, days_before=7,
                                form_names={s.kind: s.name for s in PLAN.sources}, now=now)
    to_head = [r for r in reminders if str(r.message["To"]).endswith(team.head_email)]
    assert len(to_head) == 2
    own, listing = sorted(to_head, key=lambda r: "danh sách chưa nộp" in str(r.message["Subject"]))
    assert "Nhắc nộp" in str(own.message["Subject"]) and "danh sách chưa nộp" in str(listing.message["Subject"])
    body = listing.message.get_content()
    assert "Trần Thị An" in body and "Lê Văn Phúc" in body
    tags = [r.tag for r in reminders]
    ids = [str(r.message["Message-ID"]) for r in reminders]
    assert len(set(tags)) == len(tags) and len(set(ids)) == len(ids)
    assert all(r.tag in str(r.message["Message-ID"]) for r in reminders)
