"""What a deadline run tells people besides the report itself: the draft email to the principal, and the clerk's
per-team counts. Pure, so the flows only send and publish what is decided here.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from thidua.pipeline import Collected
from thidua.plan import Deadline, Plan, ReportKind
from thidua.reminders import INDIVIDUAL_FORM, Missing

#: Who approved a rehearsal's report (the demo, `--auto-approve`): said wherever an approver's name is shown.
AUTO_APPROVER = "phê duyệt tự động (chạy thử)"
#: Who approved when the plan asks for no approval.
NO_APPROVAL = "không yêu cầu phê duyệt (kế hoạch tắt)"


@dataclass(frozen=True)
class DraftTexts:
    """The draft email's subject and bodies; only the principal and the clerk may receive it."""

    subject: str
    body_text: str
    body_html: str


def draft_texts(plan: Plan, deadline: Deadline, round_: int, comment: str, where: str) -> DraftTexts:
    """The email asking the principal to approve round `round_` of a draft, after `comment` when re-drafted;
    `where` is the place (the run's page) to answer."""
    lines = [
        f"Kính gửi {plan.signer.title.capitalize()} {plan.signer.name},",
        f"Dự thảo báo cáo «{deadline.title}» (lần {round_}) được đính kèm theo thư này.",
        *([f"Đã lập lại theo ý kiến: «{comment}»."] if comment else []),
        f"Kính đề nghị phê duyệt hoặc ghi ý kiến tại: {where}",
        f"Trân trọng,\n{plan.clerk.name}",
    ]
    return DraftTexts(
        subject=f"[Dự thảo chờ phê duyệt] {deadline.title}",
        body_text="\n\n".join(lines) + "\n",
        body_html="".join(f"<p>{html.escape(p)}</p>\n" for p in lines),
    )


def baseline_deadline(plan: Plan, deadline: Deadline) -> Deadline | None:
    """The deadline whose data a report compares against: the annual review reads the year's registration."""
    if deadline.kind is not ReportKind.ANNUAL:
        return None
    return next((d for d in plan.deadlines if d.kind is ReportKind.REGISTRATION), None)


def team_rows(plan: Plan, deadline: Deadline, collected: Collected, found: Missing) -> list[dict[str, Any]]:
    """A row per team for the clerk: staff, who has answered and who not, and the team's accepted answers."""
    dataset = collected.dataset
    individual = deadline.kind in INDIVIDUAL_FORM
    rows = []
    for team in plan.teams:
        staff = [s for s in dataset.staff if s.team_id == team.id]
        missing_people = found.people_of(team.id)
        accepted = sum(1 for records in (dataset.registrations, dataset.collective, dataset.achievements,
                                         dataset.exemplars, dataset.initiatives, dataset.evaluations)
                       for r in records if r.team_id == team.id)
        rows.append({
            "Tổ": team.name,
            "Viên chức": len(staff),
            "Đã nộp": len(staff) - len(missing_people) if individual else "",
            "Chưa nộp": ", ".join(p.full_name for p in missing_people)
            + (" (tổ chưa gửi biểu mẫu của tổ)" if team.id in found.teams else ""),
            "Câu trả lời hợp lệ": accepted,
        })
    return rows
