"""The clerk's view of a deadline in the Prefect UI: a row per team, the counts, every reject, links to the
report, and a summary. Artifacts, not logs: they are what a person reads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact

from flows.delivery import Sending, SentReport
from flows.report import Draft
from thidua.delivery_state import delivery_words
from thidua.drafts import controls_note, team_rows
from thidua.plan import Plan


def publish_artifacts(plan: Plan, draft: Draft, deadline_id: str, note: str) -> None:
    """Publishes the deadline's tables, links and summary; `note` ends the summary (approval, delivery)."""
    key = f"{plan.id}-{deadline_id}".lower()
    deadline = plan.deadline(deadline_id)
    collected = draft.collected
    create_table_artifact(
        key=f"{key}-teams",
        table=team_rows(plan, deadline, collected, draft.missing),
        description=f"Theo tổ, hạn {deadline_id}: đã nộp, chưa nộp, hợp lệ (dòng bị loại: xem bảng lý do)",
    )
    create_table_artifact(
        key=f"{key}-counts",
        table=[{"Nguồn": c.source_id, "Số dòng": c.rows_read, "Hợp lệ": c.rows_accepted, "Bị loại": c.rows_rejected,
                "Nộp lại (lưu lịch sử)": c.superseded, "Ký tự ẩn đã xoá": c.controls_removed}
               for c in collected.counts],
        description=f"Số dòng đọc được cho hạn {deadline_id}",
    )
    if collected.rejects:
        create_table_artifact(
            key=f"{key}-rejects",
            table=[{"Nguồn": r.source_id, "Trang": r.sheet, "Dòng": r.row_number, "Cột": r.field, "Giá trị": r.value,
                    "Lý do": r.reason} for r in collected.rejects],
            description=f"Các dòng bị loại, cần thư ký sửa (hạn {deadline_id})",
        )
    _links(key, deadline_id, draft.docx, draft.pdf)
    create_markdown_artifact(
        key=f"{key}-summary",
        markdown=(
            f"## {deadline_id} — {deadline.title} — hạn trước {deadline.due_before:%d/%m/%Y}\n\n"
            f"- Số dòng: {collected.rows_read} đọc, {collected.rows_accepted} hợp lệ, "
            f"{collected.rows_rejected} bị loại\n"
            + (f"- {controls}\n" if (controls := controls_note(collected)) else "")
            + f"- Chưa nộp: {len(draft.missing.people)} người, {len(draft.missing.teams)} tổ\n"
            f"- Báo cáo: `{draft.report}`\n{note}\n"
        ),
        description=f"Tóm tắt hạn {deadline_id} ({len(collected.dataset.staff)} viên chức)",
    )


def publish_not_rebuilt(plan: Plan, kept: SentReport, deadline_id: str, said: str, note: str) -> None:
    """A version already sent and not built again: the summary says so and links the files kept from its build.
    The teams, counts and rejects stay those the build that was sent published (the latest under their keys)."""
    key = f"{plan.id}-{deadline_id}".lower()
    deadline = plan.deadline(deadline_id)
    _links(key, deadline_id, kept.docx, kept.pdf)
    create_markdown_artifact(
        key=f"{key}-summary",
        markdown=(f"## {deadline_id} — {deadline.title} — hạn trước {deadline.due_before:%d/%m/%Y}\n\n"
                  f"- {said}\n- Báo cáo: `{kept.report or 'không còn trên đĩa'}`\n{note}\n"),
        description=f"Tóm tắt hạn {deadline_id} (đã gửi, không dựng lại)",
    )


def _links(key: str, deadline_id: str, docx: Path | None, pdf: Path | None) -> None:
    for path, kind in ((docx, "DOCX"), (pdf, "PDF")):
        if path is not None:
            create_link_artifact(key=f"{key}-{kind.lower()}", link=path.resolve().as_uri(), link_text=path.name,
                                 description=f"Báo cáo {deadline_id} ({kind})")


def delivery_note(send_at: dt.datetime, late: bool, approved_by: str, sending: Sending, version: int,
                  reason: str) -> str:
    """The summary's lines on the send: when, approved by whom, to whom and what the delivery did."""
    return (
        f"- Thời điểm gửi theo lịch: {send_at:%d/%m/%Y %H:%M}{' (TRỄ HẠN)' if late else ''}\n"
        f"- Phê duyệt: {approved_by}\n"
        f"- Gửi tới: {', '.join(sending.recipients)} — {delivery_words(sending.status)} (phiên bản {version}, "
        f"Message-ID `{sending.message_id}`)"
        + (f"\n- Lý do gửi bản thay thế: {reason}" if reason else "")
    )
