"""The demo's results for the clerk: summary.json's rows and the table printed at the end."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from rich.table import Table

from thidua.delivery_state import delivery_words
from thidua_cli.console import console


def summary_row(out: Path, result: Any) -> dict[str, Any]:
    """One deadline's result (flows.deadline.DeadlineResult) as summary.json holds it, paths relative to `out`."""
    report = result.pdf or result.docx
    return {
        "id": result.deadline_id,
        "due_before": result.due_before.isoformat(),
        "send_at": result.send_at.isoformat(),
        "sent_at": result.sent_at.isoformat() if result.sent_at else None,
        "late": result.late,
        "delivery": result.delivery_status,
        "recipients": list(result.recipients),
        "rows_read": result.collected.rows_read,
        "rows_accepted": result.collected.rows_accepted,
        "rows_rejected": result.collected.rows_rejected,
        "report": str(report.relative_to(out)),
        "docx": str(result.docx.relative_to(out)),
        "message_id": result.message_id,
        "approval": result.approved_by,
        "signed_sha256": getattr(result, "signed_sha256", ""),
    }


def print_summary(summary: list[dict[str, Any]], year: int) -> None:
    """The year's deadlines as one table: when each went out, how, approved by whom, and the rows counted."""
    table = Table(title=f"Kết quả các hạn báo cáo năm {year}")
    calls = ("Lệnh gọi API",) if summary and "api_calls" in summary[0] else ()  # Google backend: calls per report
    for column in ("Hạn", "Trước ngày", "Đã gửi lúc", "Gửi", "Phê duyệt", "Đọc", "Hợp lệ", "Loại", "Báo cáo", *calls):
        table.add_column(column, overflow="fold")
    for row in summary:
        sent_at = dt.datetime.fromisoformat(row["sent_at"]).strftime("%d/%m/%Y %H:%M") if row["sent_at"] else ""
        table.add_row(row["id"], dt.date.fromisoformat(row["due_before"]).strftime("%d/%m/%Y"), sent_at,
                      delivery_words(row["delivery"]), row["approval"], str(row["rows_read"]),
                      str(row["rows_accepted"]), str(row["rows_rejected"]), Path(row["report"]).name,
                      *([str(row["api_calls"])] if calls else []))
    console.print(table)
