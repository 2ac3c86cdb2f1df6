"""What each report says: a plain, template-agnostic context built from aggregates and rule flags.

Contexts hold only strings, lists and dicts so that any renderer (DOCX here, Google Docs later) and
any artifact can use them; every table carries its own caption, headers, rows and total row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from thidua import rules
from thidua.aggregate import Crosstab, Dataset, crosstab, ratio
from thidua.calendar import quarter_of
from thidua.plan import Deadline, Phase, Plan, ReportKind
from thidua.records import Completion, Record

SCHOOL_ROW = "Toàn trường"
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def vn_number(value: int) -> str:
    """1234 → "1.234": Vietnamese thousands separator."""
    return f"{value:,}".replace(",", ".")


def vn_percent(value: float) -> str:
    """0.125 → "12,5%"; one decimal, comma as decimal mark."""
    return f"{value * 100:.1f}".replace(".", ",") + "%"


def vn_date_words(day: dt.date) -> str:
    """Nghị định 30/2020 style: months and days below 3 take a leading zero ("ngày 05 tháng 01")."""
    day_text = f"{day.day:02d}" if day.day < 10 else str(day.day)
    month_text = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day_text} tháng {month_text} năm {day.year}"


@dataclass(frozen=True)
class ReportTable:
    caption: str
    headers: list[str]
    rows: list[list[str]]
    total: list[str] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"caption": self.caption, "headers": self.headers, "rows": self.rows, "total": self.total or []}


def _team_table(plan: Plan, caption: str, first: str, tab: Crosstab, labels: Sequence[str],
                extra: Callable[[str], list[str]] | None = None, extra_headers: Sequence[str] = (),
                extra_total: Sequence[str] = ()) -> ReportTable:
    """Rows per team in plan order with the school's total row; `extra` appends computed columns."""
    rows = []
    for team in plan.teams:
        cells = [vn_number(tab.count(team.id, c)) for c in tab.categories]
        rows.append([team.name, *cells, vn_number(tab.team_total(team.id)), *(extra(team.id) if extra else [])])
    total = [SCHOOL_ROW, *(vn_number(tab.school(c)) for c in tab.categories), vn_number(tab.school_total()),
             *extra_total]
    return ReportTable(caption, [first, *labels, "Tổng", *extra_headers], rows, total)


def _team_of(record: Record) -> str:
    return getattr(record, "team_id", "")


def _people_table(caption: str, headers: list[str], rows: list[list[str]]) -> ReportTable:
    return ReportTable(caption, ["STT", *headers], [[str(i), *r] for i, r in enumerate(rows, start=1)])


def _team_order(plan: Plan) -> Callable[[Any], tuple[int, int]]:
    """Plan's team order, then the sheet's row order: stable and what the clerk sees in the sheet."""
    order = {t.id: i for i, t in enumerate(plan.teams)}
    return lambda r: (order.get(r.team_id, len(order)), r.origin.row_number)


def _header(plan: Plan, deadline: Deadline, issued_on: dt.date) -> dict[str, Any]:
    nơi_nhận = [f"- {name};" for name in plan.recipient_names(deadline)]
    nơi_nhận += [f"- {name};" for name in plan.internal_recipients if not name.startswith("Lưu")]
    nơi_nhận.append("- Lưu: VT.")
    number = deadline.number or "      "
    return {
        "governing_body": plan.school.governing_body,
        "school_header": plan.school.header_name,
        "school_name": plan.school.name,
        "number": f"Số: {number}/BC-{plan.school.symbol}",
        "place_date": f"{plan.school.place}, {vn_date_words(issued_on)}",
        "kind_label": "BÁO CÁO",
        "title": deadline.title,
        "deadline_id": deadline.id,
        "due_before": deadline.due_before.strftime("%d/%m/%Y"),
        "signer_title": plan.signer.title,
        "signer_name": plan.signer.name,
        "recipients": nơi_nhận,
    }


def _registration(plan: Plan, data: Dataset) -> tuple[list[ReportTable], dict[str, Any]]:
    titles = plan.titles.individual
    staff = crosstab(plan, data.staff, _team_of, lambda r: "staff", ["staff"])
    registered = crosstab(plan, data.registrations, _team_of, lambda r: getattr(r, "title_id", ""),
                          [t.id for t in titles])

    def staff_and_ratio(team_id: str) -> list[str]:
        return [vn_number(staff.count(team_id, "staff")),
                vn_percent(ratio(registered.team_total(team_id), staff.count(team_id, "staff")))]

    individual = _team_table(
        plan, "Bảng 1. Đăng ký danh hiệu thi đua cá nhân theo tổ", "Tổ", registered, [t.name for t in titles],
        extra=staff_and_ratio, extra_headers=["Số viên chức", "Tỷ lệ đăng ký"],
        extra_total=[vn_number(staff.school("staff")),
                     vn_percent(ratio(registered.school_total(), staff.school("staff")))],
    )
    by_team = {c.team_id: c for c in data.collective}
    title_names = {t.id: t.name for t in plan.all_titles}
    collective = ReportTable(
        "Bảng 2. Đăng ký danh hiệu tập thể và giao ước thi đua",
        ["Tổ", "Số thành viên", "Danh hiệu tập thể đăng ký", "Giao ước thi đua"],
        [[t.name,
          str(by_team[t.id].members or "") if t.id in by_team else "",
          title_names.get(by_team[t.id].title_id, "") if t.id in by_team else "Chưa đăng ký",
          "; ".join(by_team[t.id].pledges) if t.id in by_team else ""] for t in plan.teams],
    )
    key = _team_order(plan)
    people = _people_table(
        "Bảng 3. Danh sách cá nhân đăng ký danh hiệu thi đua",
        ["Họ và tên", "Tổ", "Danh hiệu đăng ký", "Sáng kiến/đề tài"],
        [[r.full_name, plan.team(r.team_id).name, title_names[r.title_id], r.initiative]
         for r in sorted(data.registrations, key=key)],
    )
    registered_emails = {r.email for r in data.registrations}
    missing = _people_table(
        "Bảng 4. Viên chức, người lao động chưa đăng ký danh hiệu thi đua",
        ["Họ và tên", "Tổ"],
        [[s.full_name, plan.team(s.team_id).name] for s in sorted(data.staff, key=key)
         if s.email not in registered_emails],
    )
    numbers = {"staff": staff.school("staff"), "registered": registered.school_total(),
               "registered_by_title": {t.id: registered.school(t.id) for t in titles},
               "collective_registered": len(data.collective), "not_registered": len(missing.rows)}
    return [individual, collective, people, missing], numbers


def _exemplars(plan: Plan, data: Dataset, quarter: int) -> tuple[list[ReportTable], dict[str, Any]]:
    chosen = [e for e in data.exemplars if e.quarter == quarter]
    tab = crosstab(plan, chosen, _team_of, lambda r: "n", ["n"])
    counts = ReportTable(
        f"Bảng 1. Số gương điển hình tiên tiến quý {ROMAN[quarter]} theo tổ", ["Tổ", "Số gương được giới thiệu"],
        [[t.name, vn_number(tab.count(t.id, "n"))] for t in plan.teams], [SCHOOL_ROW, vn_number(tab.school("n"))],
    )
    people = _people_table(
        f"Bảng 2. Danh sách gương điển hình tiên tiến quý {ROMAN[quarter]}",
        ["Họ và tên", "Tổ", "Tóm tắt thành tích"],
        [[e.nominee, plan.team(e.team_id).name, e.summary] for e in sorted(chosen, key=_team_order(plan))],
    )
    return [counts, people], {"quarter": quarter, "exemplars": len(chosen)}


def _phase_section(plan: Plan, data: Dataset, phase: Phase, index: int) -> tuple[list[ReportTable], dict[str, int]]:
    """One phase's achievements by movement, then its per-team summary of achievements, initiatives, exemplars."""
    achievements = [a for a in data.achievements if a.phase_id == phase.id]
    by_movement = crosstab(plan, achievements, _team_of, lambda r: getattr(r, "movement", ""), list(plan.movements))
    movements = _team_table(plan, f"Bảng {index}a. Thành tích {phase.name} theo phong trào thi đua", "Tổ",
                            by_movement, list(plan.movements))
    submitted_in_phase = [i for i in data.initiatives
                          if i.origin.submitted_at is not None and phase.contains(i.origin.submitted_at.date())]
    initiatives = crosstab(plan, submitted_in_phase, _team_of,
                           lambda r: "recognised" if getattr(r, "recognised", None) else "submitted_only",
                           ["recognised", "submitted_only"])
    quarters = range(quarter_of(phase.start), quarter_of(phase.end) + 1)
    exemplars = crosstab(plan, [e for e in data.exemplars if e.quarter in quarters], _team_of, lambda r: "n", ["n"])

    def row(team_id: str | None) -> list[str]:
        def pick(tab: Crosstab, category: str) -> int:
            return tab.school(category) if team_id is None else tab.count(team_id, category)
        achieved = by_movement.school_total() if team_id is None else by_movement.team_total(team_id)
        submitted = pick(initiatives, "recognised") + pick(initiatives, "submitted_only")
        return [vn_number(achieved), vn_number(submitted), vn_number(pick(initiatives, "recognised")),
                vn_number(pick(exemplars, "n"))]

    summary = ReportTable(
        f"Bảng {index}b. Tổng hợp {phase.name} theo tổ",
        ["Tổ", "Thành tích", "Sáng kiến đăng ký", "Sáng kiến được công nhận", "Gương điển hình"],
        [[t.name, *row(t.id)] for t in plan.teams], [SCHOOL_ROW, *row(None)],
    )
    numbers = {"achievements": by_movement.school_total(), "initiatives": initiatives.school_total(),
               "initiatives_recognised": initiatives.school("recognised"), "exemplars": exemplars.school("n")}
    return [movements, summary], numbers


def _review(plan: Plan, data: Dataset, cutoff: dt.date, baseline: Dataset | None) -> tuple[
        list[ReportTable], dict[str, Any]]:
    tables: list[ReportTable] = []
    numbers: dict[str, Any] = {"phases": {}}
    started = [p for p in plan.phases if p.start <= cutoff]
    for index, phase in enumerate(started, start=1):
        phase_tables, numbers["phases"][phase.id] = _phase_section(plan, data, phase, index)
        tables.extend(phase_tables)
    titles = plan.titles.individual
    registered = crosstab(plan, data.registrations, _team_of, lambda r: getattr(r, "title_id", ""),
                          [t.id for t in titles])
    tables.append(_team_table(plan, f"Bảng {len(started) + 1}. Danh hiệu thi đua cá nhân đã đăng ký", "Tổ",
                              registered, [t.name for t in titles]))
    numbers["registered"] = registered.school_total()
    if baseline is not None:
        at_start = crosstab(plan, baseline.registrations, _team_of, lambda r: getattr(r, "title_id", ""),
                            [t.id for t in titles])
        proposed = crosstab(plan, data.evaluations, _team_of, lambda r: getattr(r, "proposed_title_id", "") or "",
                            [t.id for t in titles])
        headers = ["Tổ"]
        for t in titles:
            headers += [f"{t.name} – đăng ký đầu năm", f"{t.name} – đề nghị cuối năm"]

        def compare(team_id: str | None) -> list[str]:
            cells = []
            for t in titles:
                for tab in (at_start, proposed):
                    cells.append(vn_number(tab.school(t.id) if team_id is None else tab.count(team_id, t.id)))
            return cells

        tables.append(ReportTable(f"Bảng {len(started) + 2}. So sánh với đăng ký đầu năm", headers,
                                  [[t.name, *compare(t.id)] for t in plan.teams], [SCHOOL_ROW, *compare(None)]))
        numbers["registered_at_start"] = at_start.school_total()
        numbers["proposed"] = proposed.school_total()
    return tables, numbers


def _evaluation(plan: Plan, data: Dataset, flags: list[rules.Flag]) -> tuple[list[ReportTable], dict[str, Any]]:
    titles = plan.titles.individual
    completion = crosstab(plan, data.evaluations, _team_of, lambda r: str(int(getattr(r, "completion", 0))),
                          [str(int(c)) for c in reversed(Completion)])
    by_completion = _team_table(plan, "Bảng 1. Mức hoàn thành nhiệm vụ theo tổ", "Tổ", completion,
                                [c.label for c in reversed(Completion)])
    proposed = crosstab(plan, data.evaluations, _team_of, lambda r: getattr(r, "proposed_title_id", "") or "",
                        [t.id for t in titles])
    by_title = _team_table(plan, "Bảng 2. Danh hiệu đề nghị theo tổ", "Tổ", proposed, [t.name for t in titles])
    cap = rules.cap_arithmetic(plan, data)
    cap_table = ReportTable(
        "Bảng 3. Tỷ lệ Chiến sĩ thi đua cơ sở so với Lao động tiên tiến",
        ["Nội dung", "Số liệu"],
        [["Số cá nhân đề nghị Lao động tiên tiến (kể cả đề nghị Chiến sĩ thi đua cơ sở)", vn_number(cap.ldtt_count)],
         ["Tỷ lệ tối đa theo quy định", vn_percent(cap.share)],
         ["Số Chiến sĩ thi đua cơ sở tối đa", vn_number(cap.cap)],
         ["Số cá nhân đề nghị Chiến sĩ thi đua cơ sở", vn_number(cap.proposed)],
         ["Vượt tỷ lệ", vn_number(cap.excess)]],
    )
    title_names = {t.id: t.name for t in plan.all_titles}
    flagged_by_email: dict[str, list[str]] = {}
    for f in flags:
        flagged_by_email.setdefault(f.email, []).append(f.rule_id)
    people = _people_table(
        "Bảng 4. Kết quả bình xét từng cá nhân",
        ["Họ và tên", "Tổ", "Mức hoàn thành nhiệm vụ", "Số tháng công tác", "Kỷ luật", "Tín nhiệm",
         "Danh hiệu đề nghị", "Cần Hội đồng xem xét"],
        [[e.full_name, plan.team(e.team_id).name, e.completion.label, f"{e.months_worked:g}",
          e.discipline or "Không", vn_percent(e.confidence_vote / 100),
          title_names.get(e.proposed_title_id or "", ""), ", ".join(flagged_by_email.get(e.email, []))]
         for e in sorted(data.evaluations, key=_team_order(plan))],
    )
    team_names = {t.id: t.name for t in plan.teams}
    flag_table = _people_table(
        "Bảng 5. Các trường hợp cần Hội đồng Thi đua – Khen thưởng xem xét",
        ["Họ và tên", "Tổ", "Mã", "Nội dung", "Căn cứ"],
        [[f.full_name or SCHOOL_ROW, team_names.get(f.team_id, ""), f.rule_id, f.message, f.reference]
         for f in flags],
    )
    numbers = {"evaluated": len(data.evaluations),
               "proposed_by_title": {t.id: proposed.school(t.id) for t in titles},
               "flags": len(flags), "cap": cap.cap, "cstdcs_proposed": cap.proposed, "excess": cap.excess}
    return [by_completion, by_title, cap_table, people, flag_table], numbers


def build_context(plan: Plan, deadline: Deadline, data: Dataset, issued_on: dt.date,
                  baseline: Dataset | None = None) -> dict[str, Any]:
    """The report for `deadline` as of `issued_on`; `baseline` is the registration snapshot for annual reports."""
    flags = rules.check(plan, data)
    if deadline.kind is ReportKind.REGISTRATION:
        tables, numbers = _registration(plan, data)
    elif deadline.kind is ReportKind.EXEMPLARS:
        tables, numbers = _exemplars(plan, data, deadline.quarter or 1)
    elif deadline.kind is ReportKind.EVALUATION:
        tables, numbers = _evaluation(plan, data, flags)
    else:
        tables, numbers = _review(plan, data, issued_on, baseline if deadline.kind is ReportKind.ANNUAL else None)
    context = _header(plan, deadline, issued_on)
    context["kind"] = deadline.kind.value
    context["intro"] = (
        f"Thực hiện {plan.plan_document.title} (Kế hoạch số {plan.plan_document.number} ngày "
        f"{plan.plan_document.date:%d/%m/%Y}), {plan.school.name} báo cáo như sau:"
    )
    context["tables"] = [t.as_dict() for t in tables]
    context["numbers"] = numbers
    context["flags"] = [
        {"rule_id": f.rule_id, "full_name": f.full_name, "team_id": f.team_id, "message": f.message,
         "reference": f.reference} for f in flags
    ] if deadline.kind is ReportKind.EVALUATION else []
    return context
