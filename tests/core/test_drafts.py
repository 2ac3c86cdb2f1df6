"""The draft email's texts, the annual report's baseline and the clerk's per-team rows, decided in the core."""

from __future__ import annotations

from sample_data.generator import generate
from thidua.calendar import schedule
from thidua.drafts import baseline_deadline, draft_texts, team_rows
from thidua.pipeline import collect
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
