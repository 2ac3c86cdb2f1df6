"""A disk that fills up during a deadline's send (issue 18): the run stops with a Vietnamese message naming the
file, leaves no half-written file, sends nothing truncated, and a re-run once space is freed sends exactly once.

The full disk is real, without root: the clerk's `thidua report … --send` runs in a child process whose file-size
limit (RLIMIT_FSIZE, with SIGXFSZ ignored) makes the kernel refuse a write past it (EFBIG), as a full disk refuses
one with ENOSPC. The limit is per file, so each case picks a size that the file it targets outgrows first; to fill
the disk while the email is out, the mail server lowers the running child's limit to 0 (prlimit) before it
answers. Works as root or not, with no mount; real SMTP server, real Prefect server, real SQLite ledger.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.ledger import SqlLedger
from connectors.ports import DeliveryKey, DeliveryState
from tests.hostile.school_run import Mailbox, open_school, send
from tests.prefect_server import PrefectServer

REPO = Path(__file__).resolve().parents[2]

KEY = DeliveryKey("le-anh-xuan-2024", "D3", 1)


@pytest.fixture
def school(tmp_path: Path) -> Iterator[tuple[Path, Mailbox]]:
    with open_school(tmp_path) as opened:
        yield opened


def refused_for_full_disk(run: subprocess.CompletedProcess[str], what: str, file: Path) -> None:
    """The run ended with the clerk's message naming the file, exit code 2, no traceback, nothing half-written."""
    said = " ".join(run.stdout.split())  # the console wraps long lines
    assert run.returncode == 2, run.stdout + run.stderr[-4000:]
    assert f"Ổ đĩa đã đầy khi ghi {what} «{file}»" in said, said
    assert "Traceback" not in run.stdout + run.stderr
    left = [p for p in file.parents[1].rglob("*") if ".partial" in p.name or p.name.endswith(".tmp")]
    assert not left, left


def ledger_record(out: Path) -> Any:
    ledger = SqlLedger(f"sqlite:///{out / 'deliveries.sqlite'}")
    try:
        return ledger.get(KEY)
    finally:
        ledger.dispose()


def test_a_disk_full_at_each_file_stops_the_send_by_name_and_the_run_after_sends_the_whole_report_once(
        school: tuple[Path, Mailbox], prefect_server: PrefectServer) -> None:
    folder, mailbox = school
    out = folder / "ket-qua"
    reports = out / "reports"
    docx, pdf = reports / "le-anh-xuan-2024_D3_interim.docx", reports / "le-anh-xuan-2024_D3_interim.pdf"

    # The ledger is the first file a send writes (the report's number is taken in it): ~37 KB on SQLite.
    first = send(folder, prefect_server, limit=16_000)
    refused_for_full_disk(first, "sổ gửi thư", (out / "deliveries.sqlite").resolve())
    assert not mailbox.reports() and not docx.exists()

    # The ledger and the report's content fit; the DOCX (~118 KB) does not.
    second = send(folder, prefect_server, limit=64_000)
    refused_for_full_disk(second, "báo cáo", docx)
    assert not mailbox.reports() and not docx.exists()
    assert ledger_record(out) is None

    # The DOCX fits; LibreOffice, which inherits the limit, cannot write the PDF (~141 KB).
    third = send(folder, prefect_server, limit=129_000)
    refused_for_full_disk(third, "bản PDF", pdf)
    assert docx.stat().st_size < 129_000 and not pdf.exists()
    assert not mailbox.reports() and ledger_record(out) is None

    # The disk fills while the email is out: the server has the report, the ledger cannot record it.
    child: list[int] = []

    def fill_the_disk() -> None:
        mailbox.after_filing = lambda: None
        resource.prlimit(child[0], resource.RLIMIT_FSIZE, (0, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    mailbox.after_filing = fill_the_disk
    fourth = send(folder, prefect_server, started=child.append)
    refused_for_full_disk(fourth, "sổ gửi thư", (out / "deliveries.sqlite").resolve())
    assert len(mailbox.reports()) == 1
    record = ledger_record(out)
    assert record is not None and record.state is DeliveryState.PENDING  # consistent: claimed, not yet recorded

    # Space freed: the re-run finds the report in the mailbox and records it, sending nothing; and again.
    for attempt in range(2):
        again = send(folder, prefect_server)
        assert again.returncode == 0, again.stdout + again.stderr[-4000:]
        assert "D3: " in again.stdout and "Traceback" not in again.stdout + again.stderr, attempt
    (sent,) = mailbox.reports()
    record = ledger_record(out)
    assert record is not None and record.state is DeliveryState.SENT
    (attachment,) = [p for p in sent.iter_attachments() if p.get_content_type() == "application/pdf"]
    approved = out / "approved" / "le-anh-xuan-2024_D3_interim_v1.pdf"
    body = attachment.get_content()
    assert body == approved.read_bytes() and body.startswith(b"%PDF") and body.rstrip().endswith(b"%%EOF")


WRITE = """
import resource, signal, sys
from pathlib import Path
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
from connectors.ports import OutputFullError
out = Path(sys.argv[2])
many = ["Nguyễn Thị Lan – thành tích %d" % n for n in range(4000)]
try:
    if out.suffix == ".xlsx":
        from connectors.annex import write_annex
        write_annex({"title": "Phụ lục", "tables": [{"caption": "Bảng 1", "headers": ["A"],
                                                     "rows": [[m] for m in many]}]}, out)
    elif out.suffix == ".csv":
        from connectors.local.rejects import write_rejects
        from thidua.records import Reject
        write_rejects(out, [Reject("F1", "Trang 1", n, "Họ và tên", m, "Thiếu") for n, m in enumerate(many)])
    else:
        from connectors.writing import write_text_whole
        write_text_whole(out, "\\n".join(many), "nội dung báo cáo")
except OutputFullError as error:
    print(error)
    sys.exit(2)
"""


@pytest.mark.parametrize(("name", "what"), [("phu_luc.xlsx", "phụ lục"), ("rejects-D3.csv", "danh sách dòng bị loại"),
                                            ("context.json", "nội dung báo cáo")])
def test_a_full_disk_leaves_each_output_as_it_was_and_names_it(tmp_path: Path, name: str, what: str) -> None:
    out = tmp_path / name
    out.write_bytes(b"the previous run's file")
    run = subprocess.run([sys.executable, "-c", WRITE, "20000", str(out)], cwd=REPO, capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"Ổ đĩa đã đầy khi ghi {what} «{out}»" in run.stdout
    assert out.read_bytes() == b"the previous run's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
