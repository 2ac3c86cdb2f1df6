"""Known failures end a command with the clerk's Vietnamese message and exit code 2, not a traceback."""

from __future__ import annotations

import logging
import os
from typing import Any

import typer

from thidua.plan import PlanError
from thidua_cli.console import console


def known_failure(error: BaseException) -> str | None:
    """The clerk's one-line Vietnamese explanation of a failure thidua knows (bad data, a damaged ledger, a full
    disk), or None for a bug, which keeps its traceback."""
    import errno
    import sqlite3

    from sqlalchemy.exc import DatabaseError as SqlDatabaseError

    from connectors.google.api import GoogleApiError
    from connectors.local.files import SourceFileError
    from connectors.local.smtp import MailDeliveryError
    from connectors.ports import DocumentError, OutputFullError
    from thidua.validate import SourceShapeError

    if isinstance(error, PlanError):
        return "\n".join(error.problems)
    if isinstance(error, SourceFileError | SourceShapeError | DocumentError | GoogleApiError | MailDeliveryError
                  | OutputFullError):
        return str(error)
    if isinstance(error, SqlDatabaseError | sqlite3.DatabaseError):
        return ("Sổ gửi thư (ledger) hỏng, bị cắt cụt hoặc không phải cơ sở dữ liệu; không gửi gì để tránh gửi "
                "trùng. Hãy khôi phục tệp từ bản sao lưu (hoặc chỉ đúng --ledger) rồi chạy lại.")
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return f"Ổ đĩa đã đầy khi ghi «{error.filename or ''}»; hãy giải phóng dung lượng rồi chạy lại."
    if isinstance(error, OSError) and error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Không có quyền ghi «{error.filename or ''}»; hãy kiểm tra quyền của thư mục."
    return None


class QuietKnownFailures(logging.Filter):
    """Prefect logs a failed task or flow run with its traceback; for a failure the command then explains in
    Vietnamese (`known_failure`) the traceback is noise on the clerk's console. THIDUA_DEBUG=1 keeps it."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and not os.environ.get("THIDUA_DEBUG") and known_failure(error) is not None:
            record.exc_info, record.exc_text = None, None
        return True


# The loggers Prefect's engines report a failed run on (filters on a logger stay when Prefect configures logging).
for _name in ("prefect.task_runs", "prefect.flow_runs", "prefect.engine"):
    logging.getLogger(_name).addFilter(QuietKnownFailures())


class ThiduaApp(typer.Typer):
    """A known failure ends the command with its Vietnamese message and exit code 2, no traceback;
    THIDUA_DEBUG=1 shows the traceback as well."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as error:
            message = known_failure(error)
            if message is None or os.environ.get("THIDUA_DEBUG"):
                raise
            console.print(f"[bold red]Lỗi:[/] {message}", highlight=False)
            raise SystemExit(2) from None
