"""Shared test data for delivery tests: the D3 report email and a hand-moved clock."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from multiprocessing.context import ForkServerContext

from thidua.mail import PDF_MIME, build_report_email, compose_report_texts, report_message_id

DISTRICT = "thuongtruc.tdkt@tanphu.hochiminhcity.gov.vn"
ALLOW_LIST = (DISTRICT, "Phòng GDĐT quận Tân Phú <pgddt@tanphu.edu.vn>")
PDF_BYTES = b"%PDF-1.4\r\n.\r\n..\n\x00\xff binary tail\r\n.\r\n"
ATTACHMENT_NAME = "Báo cáo sơ kết 6 tháng – THCS Lê Anh Xuân.pdf"
KEY_FIELDS = ("lax", "D3")
DOMAIN = "thcs-leanhxuan.edu.vn"


def racing_processes() -> ForkServerContext:
    """Processes for the race tests, forked from one server process that has already imported what the racers run:
    each starts in milliseconds, where with "spawn" each imported SQLAlchemy, the ledger and pytest again (1.5–2.4 s
    of CPU, 28 of them a test run). They are still separate processes, each with its own database connection."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["pytest", "sqlalchemy", "connectors.ledger", "connectors.delivery",
                                    "connectors.local.smtp"])
    return context


class FakeClock:
    """A clock the test moves by hand, shared by the ledger and deliver_once."""

    def __init__(self) -> None:
        self.now = datetime(2024, 5, 21, 7, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def report_email(version: int = 1, recipients: tuple[str, ...] = (DISTRICT,)) -> EmailMessage:
    texts = compose_report_texts(
        school_name="Trường THCS Lê Anh Xuân",
        report_title="Báo cáo sơ kết 6 tháng công tác thi đua – khen thưởng năm 2024",
        recipient_office="Thường trực Hội đồng Thi đua – Khen thưởng quận Tân Phú",
        deadline=date(2024, 5, 22),
        signer_title="Hiệu trưởng",
        signer_name="Mai Thanh Bình",
        version=version,
    )
    return build_report_email(
        sender="vanthu@thcs-leanhxuan.edu.vn",
        sender_name="Trường THCS Lê Anh Xuân",
        recipients=recipients,
        allow_list=ALLOW_LIST,
        subject=texts.subject,
        body_text=texts.body_text,
        body_html=texts.body_html,
        attachment=PDF_BYTES,
        attachment_name=ATTACHMENT_NAME,
        attachment_mime=PDF_MIME,
        message_id=report_message_id(*KEY_FIELDS, version, DOMAIN),
    )
