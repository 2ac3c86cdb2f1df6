"""The draft email's texts, the annual report's baseline and the clerk's per-team rows, decided in the core."""

from __future__ import annotations

import json
from dataclasses import replace

from sample_data.generator import generate
from thidua.calendar import schedule
from thidua.drafts import SHOWN, DraftFacts, baseline_deadline, changes, draft_facts, draft_texts, team_rows
from thidua.pipeline import Collected, collect
from thidua.plan import Plan, ReportKind
from thidua.reminders import missing
from thidua.rows import Table


def test_draft_email_names_the_round_the_comment_and_where_to_answer(plan: Plan) -> None:
    deadline = plan.deadlines[0]
    texts = draft_texts(plan, deadline, 2, "Sửa số liệu tổ Toán", "http://ui/runs/1")
    assert texts.subject == f"[Dự thảo chờ phê duyệt] {deadline.title}"
    assert "(lần 2)" in texts.body_text and "«Sửa số liệu tổ Toán»" in texts.body_text
    assert "http://ui/runs/1" in texts.body_text and texts.body_text.endswith(f"{plan.clerk.name}\n")
    first = draft_texts(plan, deadline, 1, "", "x")
    assert "Đã lập lại" not in first.body_text and "<p>" in first.body_html


def test_only_the_annual_report_reads_the_registration_as_its_baseline(plan: Plan) -> None:
    annual = next(d for d in plan.deadlines if d.kind is ReportKind.ANNUAL)
    baseline = baseline_deadline(plan, annual)
    assert baseline is not None and baseline.kind is ReportKind.REGISTRATION
    assert all(baseline_deadline(plan, d) is None for d in plan.deadlines if d.kind is not ReportKind.ANNUAL)


def test_team_rows_count_each_team_and_name_who_has_not_answered(plan: Plan) -> None:
    deadline = next(d for d in plan.deadlines if d.kind is ReportKind.REGISTRATION)
    sample = generate(plan, seed=3, staff=60)
    tables = {s.id: Table.from_cells(s.id, s.name, sample.grids[s.id]) for s in plan.sources}
    collected = collect(plan, tables, schedule(plan, deadline).send_at)
    found = missing(plan, deadline, collected.dataset)
    rows = team_rows(plan, deadline, collected, found)
    assert [r["Tổ"] for r in rows] == [t.name for t in plan.teams]
    assert sum(r["Viên chức"] for r in rows) == len(collected.dataset.staff)
    assert sum(r["Viên chức"] - r["Đã nộp"] for r in rows) == len(found.people)


def _registration_facts(plan: Plan, staff: int, seed: int = 3) -> tuple[DraftFacts, Collected]:
    deadline = next(d for d in plan.deadlines if d.kind is ReportKind.REGISTRATION)
    sample = generate(plan, seed=seed, staff=staff)
    tables = {s.id: Table.from_cells(s.id, s.name, sample.grids[s.id]) for s in plan.sources}
    collected = collect(plan, tables, schedule(plan, deadline).send_at)
    return draft_facts(plan, collected, missing(plan, deadline, collected.dataset), []), collected


def test_the_draft_email_counts_rejected_rows_and_names_the_first_and_who_is_missing(plan: Plan) -> None:
    facts, collected = _registration_facts(plan, staff=60)
    assert collected.rows_rejected > SHOWN  # the sample's messy rows
    deadline = next(d for d in plan.deadlines if d.kind is ReportKind.REGISTRATION)
    body = draft_texts(plan, deadline, 1, "", "x", facts).body_text
    assert f"{collected.rows_rejected} dòng bị loại" in body
    first = sorted(collected.rejects, key=lambda r: (r.sheet, r.row_number))[0]
    assert f"trang «{first.sheet}», dòng {first.row_number}: {first.reason}" in body
    assert f"và {len(collected.rejects) - SHOWN} dòng khác" in body
    assert f"Chưa nộp ({len(facts.missing_people)} người)" in body
    assert facts.missing_people[0] in body and "Thay đổi" not in body
    assert DraftFacts.from_json(json.loads(json.dumps(facts.to_json()))) == facts


def test_the_next_draft_says_what_changed_and_the_flags_are_listed(plan: Plan) -> None:
    before, _ = _registration_facts(plan, staff=60)
    after = replace(before, rows_accepted=before.rows_accepted + 1, missing_people=before.missing_people[1:],
                    rejects=before.rejects[1:], flags=("Nguyễn Văn A đề nghị Chiến sĩ thi đua cơ sở khi chưa có "
                                                       "sáng kiến được công nhận.",))
    said = changes(before, after)
    assert f"số dòng hợp lệ: {before.rows_accepted} → {before.rows_accepted + 1}" in said
    assert f"đã nộp thêm (1): {before.missing_people[0]}" in said
    assert f"dòng đã được sửa (1): {before.rejects[0]}" in said
    assert any(s.startswith("trường hợp cần xem xét mới (1): Nguyễn Văn A") for s in said)
    assert changes(before, before) == [] and changes(None, before) == []
    deadline = plan.deadlines[0]
    body = draft_texts(plan, deadline, 2, "", "x", after, before, reply_by_email=True).body_text
    assert "Thay đổi so với dự thảo trước: số dòng hợp lệ" in body
    assert "Trường hợp Hội đồng cần xem xét (1)" in body
    assert "«Duyệt»" in body and "«Không duyệt: lý do»" in body and plan.signer.email in body
    same = draft_texts(plan, deadline, 2, "", "x", before, before).body_text
    assert "Không có thay đổi về số liệu so với dự thảo trước." in same and "«Duyệt»" not in same
