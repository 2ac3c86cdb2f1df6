"""The demo's results for the clerk: summary.json's rows and the table printed at the end."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.table import Table

from connectors.local.rejects import write_rejects
from thidua.delivery_state import delivery_words
from thidua_cli.console import console


def summary_row(out: Path, result: Any) -> dict[str, Any]:
    """One deadline's result (flows.deadline.DeadlineResult) as summary.json holds it, paths relative to `out`. A
    version already sent is not read again: its row counts are null, its files those kept from the build sent."""
    report = result.pdf or result.docx
    collected = result.collected
    return {
        "id": result.deadline_id,
        "due_before": result.due_before.isoformat(),
        "send_at": result.send_at.isoformat(),
        "sent_at": result.sent_at.isoformat() if result.sent_at else None,
        "late": result.late,
        "delivery": result.delivery_status,
        "recipients": list(result.recipients),
        "rows_read": collected.rows_read if collected is not None else None,
        "rows_accepted": collected.rows_accepted if collected is not None else None,
        "rows_rejected": collected.rows_rejected if collected is not None else None,
        "report": str(report.relative_to(out)) if report is not None else None,
        "docx": str(result.docx.relative_to(out)) if result.docx is not None else None,
        "message_id": result.message_id,
        "approval": result.approved_by,
        "signed_sha256": getattr(result, "signed_sha256", ""),
    }


COUNTS = ("rows_read", "rows_accepted", "rows_rejected")


def _count(value: int | None) -> str:
    """A row count, or a dash when the run read nothing (the version was already sent)."""
    return "—" if value is None else str(value)


def print_summary(summary: list[dict[str, Any]], year: int) -> None:
    """The year's deadlines as one table: when each went out, how, approved by whom, and the rows counted."""
    table = Table(title=f"Kết quả các hạn báo cáo năm {year}")
    calls = ("Lệnh gọi API",) if summary and "api_calls" in summary[0] else ()  # Google backend: calls per report
    for column in ("Hạn", "Trước ngày", "Đã gửi lúc", "Gửi", "Phê duyệt", "Đọc", "Hợp lệ", "Loại", "Báo cáo", *calls):
        table.add_column(column, overflow="fold")
    for row in summary:
        sent_at = dt.datetime.fromisoformat(row["sent_at"]).strftime("%d/%m/%Y %H:%M") if row["sent_at"] else ""
        table.add_row(row["id"], dt.date.fromisoformat(row["due_before"]).strftime("%d/%m/%Y"), sent_at,
                      delivery_words(row["delivery"]), row["approval"], *(_count(row[k]) for k in COUNTS),
                      Path(row["report"]).name if row["report"] else "—",
                      *([str(row["api_calls"])] if calls else []))
    console.print(table)


def write_built_rejects(path: Path, results: Sequence[Any]) -> list[str]:
    """The rejected rows of the reports this run built; returns the deadlines it did not build. A version already
    sent is not read again, so a run that built none leaves the list of the run that built them."""
    built = [result for result in results if result.collected is not None]
    if built or not path.is_file():
        write_rejects(path, [reject for result in built for reject in result.collected.rejects])
    return [result.deadline_id for result in results if result.collected is None]


def say_not_rebuilt(skipped: Sequence[str], rejects_kept: bool) -> None:
    """One line for the reports a re-run found already sent: not read, not built, and what rejects.csv then holds."""
    if skipped:
        kept = "giữ nguyên từ lần dựng trước" if rejects_kept else "chỉ gồm các hạn được dựng lại lần này"
        console.print(f"{len(skipped)} báo cáo đã gửi trước đó ({', '.join(dict.fromkeys(skipped))}): không đọc lại "
                      f"dữ liệu, không dựng lại; rejects.csv {kept}.", highlight=False)
