"""What a deadline run tells people besides the report itself: the draft email to the principal, and the clerk's
per-team counts. Pure, so the flows only send and publish what is decided here.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass
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


#: How many rejected rows, and how many names, a draft email lists before saying "and N more".
SHOWN = 5


@dataclass(frozen=True)
class DraftFacts:
    """What the principal must know before approving a draft, beyond the report itself; kept as JSON after each
    draft so that the next one can say what changed."""

    rows_read: int
    rows_accepted: int
    rows_rejected: int
    rejects: tuple[str, ...]  # "Trang «…», dòng 12: reason", in sheet and row order
    missing_people: tuple[str, ...]  # "Full Name (Tổ …)", in roster order
    missing_teams: tuple[str, ...]  # team names
    flags: tuple[str, ...]  # the rule flags' sentences

    def to_json(self) -> dict[str, Any]:
        """The facts as plain JSON, so the approval pause can store them in Prefect and the send reads the same
        figures."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DraftFacts:
        """Reads back what to_json stored, so the sent email states exactly what the approver saw."""
        return cls(int(data["rows_read"]), int(data["rows_accepted"]), int(data["rows_rejected"]),
                   tuple(data["rejects"]), tuple(data["missing_people"]), tuple(data["missing_teams"]),
                   tuple(data["flags"]))


def draft_facts(plan: Plan, collected: Collected, found: Missing, flags: list[dict[str, Any]]) -> DraftFacts:
    """The draft's rejected rows, who and which teams have not answered, and the rule flags (from the context)."""
    rejects = sorted(collected.rejects, key=lambda r: (r.sheet, r.row_number))
    return DraftFacts(
        rows_read=collected.rows_read, rows_accepted=collected.rows_accepted, rows_rejected=collected.rows_rejected,
        rejects=tuple(f"trang «{r.sheet}», dòng {r.row_number}: {r.reason}" for r in rejects),
        missing_people=tuple(f"{p.full_name} ({plan.team(p.team_id).name})" for p in found.people),
        missing_teams=tuple(plan.team(t).name for t in found.teams),
        flags=tuple(str(f["message"]) for f in flags),
    )


def _some(items: tuple[str, ...], unit: str) -> str:
    shown = "; ".join(items[:SHOWN])
    return shown + (f"; và {len(items) - SHOWN} {unit} khác" if len(items) > SHOWN else "")


def fact_lines(facts: DraftFacts) -> list[str]:
    """The draft's facts as the email's paragraphs: every count, and the first rows or names behind it."""
    lines = [f"Số liệu: đã đọc {facts.rows_read} dòng trả lời, {facts.rows_accepted} dòng hợp lệ, "
             f"{facts.rows_rejected} dòng bị loại (không được tính trong báo cáo)."]
    if facts.rejects:
        lines.append(f"Các dòng bị loại ({len(facts.rejects)}): {_some(facts.rejects, 'dòng')}. Người bị loại dòng "
                     "trả lời sẽ bị tính là chưa nộp cho đến khi thư ký sửa dòng đó.")
    if facts.missing_people:
        lines.append(f"Chưa nộp ({len(facts.missing_people)} người): {_some(facts.missing_people, 'người')}.")
    if facts.missing_teams:
        lines.append(f"Tổ chưa gửi biểu mẫu của tổ ({len(facts.missing_teams)}): {'; '.join(facts.missing_teams)}.")
    if not facts.missing_people and not facts.missing_teams:
        lines.append("Mọi người và mọi tổ đã nộp.")
    if facts.flags:
        lines.append(f"Trường hợp Hội đồng cần xem xét ({len(facts.flags)}): {_some(facts.flags, 'trường hợp')}")
    return lines


def changes(previous: DraftFacts | None, current: DraftFacts) -> list[str]:
    """What changed since the previous draft of the same report, as sentences; empty when nothing did."""
    if previous is None:
        return []
    out = []
    for label, before, after in (("dòng hợp lệ", previous.rows_accepted, current.rows_accepted),
                                 ("dòng bị loại", previous.rows_rejected, current.rows_rejected)):
        if before != after:
            out.append(f"số {label}: {before} → {after}")
    for label, before_items, after_items in (
            ("đã nộp thêm", current.missing_people, previous.missing_people),
            ("nay chưa nộp", previous.missing_people, current.missing_people),
            ("tổ đã gửi thêm", current.missing_teams, previous.missing_teams),
            ("dòng nay bị loại", previous.rejects, current.rejects),
            ("dòng đã được sửa", current.rejects, previous.rejects),
            ("trường hợp cần xem xét mới", previous.flags, current.flags),
            ("trường hợp cần xem xét đã hết", current.flags, previous.flags)):
        new = tuple(x for x in after_items if x not in set(before_items))
        if new:
            out.append(f"{label} ({len(new)}): {_some(new, 'mục')}")
    return out


def draft_texts(plan: Plan, deadline: Deadline, round_: int, comment: str, where: str,
                facts: DraftFacts | None = None, previous: DraftFacts | None = None,
                reply_by_email: bool = False) -> DraftTexts:
    """The email asking the principal to approve round `round_` of a draft, after `comment` when re-drafted, with
    the draft's `facts` and what changed since the `previous` draft; `where` is the place (the run's page) to
    answer, and `reply_by_email` says the principal may simply reply to this email."""
    changed = changes(previous, facts) if facts else []
    how = (f"Để phê duyệt, xin trả lời thư này, dòng đầu ghi «Duyệt»; nếu không duyệt, ghi «Không duyệt: lý do» "
           f"(có dấu hay không dấu đều được). Chỉ thư trả lời từ địa chỉ {plan.signer.email} được tính. "
           f"Có thể phê duyệt hoặc ghi ý kiến tại: {where}" if reply_by_email
           else f"Kính đề nghị phê duyệt hoặc ghi ý kiến tại: {where}")
    lines = [
        f"Kính gửi {plan.signer.title.capitalize()} {plan.signer.name},",
        f"Dự thảo báo cáo «{deadline.title}» (lần {round_}) được đính kèm theo thư này.",
        *([f"Đã lập lại theo ý kiến: «{comment}»."] if comment else []),
        *(fact_lines(facts) if facts else []),
        *([f"Thay đổi so với dự thảo trước: {'; '.join(changed)}."] if changed
          else ["Không có thay đổi về số liệu so với dự thảo trước."] if facts and previous else []),
        how,
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


def controls_note(collected: Collected) -> str:
    """The clerk's line on the control and invisible characters taken out of answers (ESC, NUL, U+FFFE…, which no
    document can hold), by source, so a changed answer is never a silent one; empty when none were."""
    counted = [c for c in collected.counts if c.controls_removed]
    if not counted:
        return ""
    total = sum(c.controls_removed for c in counted)
    where = ", ".join(f"{c.source_id}: {c.controls_removed}" for c in counted)
    return (f"Đã xoá {total} ký tự điều khiển hoặc ký tự ẩn khỏi câu trả lời ({where}): báo cáo không chứa được "
            "các ký tự này; phần còn lại của câu trả lời được giữ nguyên.")
