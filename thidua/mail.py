"""The report email, built as data: Vietnamese texts, the attachment, and a Message-ID a resumed run can find.

Pure: no network, no clock, no files. Sending and the exactly-once bookkeeping live in connectors.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses

# Bodies are encoded (base64, 76 columns) when set; headers are then written unfolded up to RFC 5322's 998
# columns, because CPython's folder can drop the space between two encoded words when it breaks a long
# Vietnamese subject ("danh sách chưa" → "danh sáchchưa"; about one random subject in six).
UNFOLDED_HEADERS = SMTP.clone(max_line_length=998)

PDF_MIME = "application/pdf"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ATTACHMENT_MIME_BY_SUFFIX = {".pdf": PDF_MIME, ".docx": DOCX_MIME}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_ID_PART = re.compile(r"[A-Za-z0-9_-]+")
_DOMAIN = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_MESSAGE_ID = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>")


class MailBuildError(ValueError):
    """The report email cannot be built from what was given; the message says what to fix, in Vietnamese."""


class RecipientNotAllowed(MailBuildError):
    """A recipient is missing from the plan's allow-list, so nothing may be sent."""

    def __init__(self, refused: Sequence[str]) -> None:
        self.refused = tuple(refused)
        super().__init__(
            "Không gửi báo cáo: địa chỉ sau không có trong danh sách người nhận được phép của kế hoạch: "
            + ", ".join(self.refused)
            + ". Hãy kiểm tra lại địa chỉ, hoặc bổ sung vào danh sách người nhận trong tệp kế hoạch."
        )


@dataclass(frozen=True)
class ReportTexts:
    """Subject and bodies of one report email, NFC-normalised."""

    subject: str
    body_text: str
    body_html: str


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def format_vietnamese_date(day: date) -> str:
    """Write a date as administrative documents do (Nghị định 30/2020: day < 10 and months 1–2 get a leading 0)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def report_message_id(school_id: str, deadline_id: str, version: int, domain: str) -> str:
    """The Message-ID of a report email, derived from its delivery key so a resumed run can look it up."""
    for label, part in (("mã trường", school_id), ("mã thời hạn", deadline_id)):
        if not _ID_PART.fullmatch(part):
            raise MailBuildError(
                f"{label.capitalize()} {part!r} không dùng được trong Message-ID: chỉ được dùng chữ không dấu, "
                "chữ số, '-' và '_'."
            )
    if version < 1:
        raise MailBuildError(f"Số phiên bản báo cáo phải từ 1 trở lên, nhận được {version}.")
    if not _DOMAIN.fullmatch(domain):
        raise MailBuildError(f"Tên miền {domain!r} không hợp lệ cho Message-ID (ví dụ đúng: thcs-lax.edu.vn).")
    return f"<thidua.{school_id}.{deadline_id}.v{version}@{domain.lower()}>"


def check_recipients(recipients: Sequence[str], allow_list: Collection[str]) -> None:
    """Refuse the whole email if any recipient is outside the plan's allow-list (addresses compared case-blind)."""
    if not recipients:
        raise MailBuildError("Báo cáo chưa có người nhận: hãy khai báo địa chỉ nhận trong tệp kế hoạch.")
    allowed = {address.casefold() for _, address in getaddresses(list(allow_list))}
    refused = [r for r in recipients if _addr_spec(r).casefold() not in allowed]
    if refused:
        raise RecipientNotAllowed(refused)


def compose_report_texts(
    *,
    school_name: str,
    report_title: str,
    recipient_office: str,
    deadline: date,
    signer_title: str,
    signer_name: str,
    version: int,
    reason: str = "",
    document_number: str = "",
    attachments: Sequence[str] = (),
) -> ReportTexts:
    """The Vietnamese subject and bodies for a report sent to a district office; version 2+ is a replacement,
    and says why when `reason` is given; `document_number` ("05/BC-LAX") is the report's number and symbol;
    `attachments` are the files' names, counted and listed in the body."""
    school_name, report_title, recipient_office, signer_title, signer_name = (
        _nfc(" ".join(s.split())) for s in (school_name, report_title, recipient_office, signer_title, signer_name)
    )
    due = f"trước {format_vietnamese_date(deadline)}"
    replacement = version > 1
    numbered = f" số {document_number}" if document_number else ""
    subject = f"[{school_name}] {report_title}{f' (số {document_number})' if document_number else ''} – hạn {due}"
    paragraphs = [
        f"{school_name} trân trọng gửi Quý cơ quan văn bản{numbered}: {report_title} (thời hạn gửi: {due}).",
        _attached(attachments),
    ]
    if replacement:
        subject += f" (bản thay thế, phiên bản {version})"
        paragraphs.append(
            f"Đây là bản thay thế (phiên bản {version}) cho văn bản đã gửi trước đó; "
            "kính đề nghị Quý cơ quan sử dụng bản này."
        )
        if reason.strip():
            paragraphs.append(f"Lý do thay thế: {_nfc(' '.join(reason.split()))}")
    greeting = f"Kính gửi: {recipient_office}"
    closing = ["Trân trọng,", signer_title.upper(), signer_name]
    body_text = "\n\n".join([greeting, *paragraphs, "\n".join(closing)]) + "\n"
    body_html = (
        '<!DOCTYPE html>\n<html lang="vi">\n<head><meta charset="utf-8"></head>\n<body>\n'
        + "".join(f"<p>{html.escape(p)}</p>\n" for p in [greeting, *paragraphs])
        + "<p>"
        + "<br>\n".join(html.escape(line) for line in closing)
        + "</p>\n</body>\n</html>\n"
    )
    return ReportTexts(subject=_nfc(subject), body_text=_nfc(body_text), body_html=_nfc(body_html))


def _attached(names: Sequence[str]) -> str:
    """"Kèm theo thư này có 02 tệp: 1. …; 2. …." — the count with a leading zero, as documents write it."""
    if not names:
        return "Văn bản được đính kèm theo thư này."
    listed = "; ".join(f"{number}. {_nfc(name)}" for number, name in enumerate(names, start=1))
    return f"Kèm theo thư này có {len(names):02d} tệp: {listed}."


def build_report_email(
    *,
    sender: str,
    sender_name: str,
    recipients: Sequence[str],
    allow_list: Collection[str],
    subject: str,
    body_text: str,
    body_html: str,
    attachment: bytes,
    attachment_name: str,
    attachment_mime: str,
    message_id: str,
    header_date: datetime | None = None,
    annex: bytes | None = None,
    annex_name: str = "",
) -> EmailMessage:
    """The report email, ready for any Mailer: plain text + HTML alternative, the report attached, and the annex
    workbook (per-person tables, for the district's own sums) after it when there is one.

    Headers are RFC 2047-encoded and the filename RFC 2231-encoded by the email package; bodies are base64 so
    the message is 7-bit clean through any relay. Same inputs, same bytes: a rebuilt email is identical. The
    subject's whitespace is collapsed to single spaces, since a folded header cannot carry runs of spaces reliably.
    `header_date` (aware) becomes the Date header, which RFC 5322 requires: this pure module has no clock to add it.
    """
    check_recipients(recipients, allow_list)
    if attachment_mime not in ATTACHMENT_MIME_BY_SUFFIX.values():
        raise MailBuildError(
            f"Kiểu tệp đính kèm {attachment_mime!r} không được hỗ trợ: chỉ gửi báo cáo dạng PDF hoặc DOCX."
        )
    attachment_name = _attachment_name(attachment_name)
    if annex is not None:
        annex_name = _attachment_name(annex_name)
    if not _MESSAGE_ID.fullmatch(message_id):
        raise MailBuildError(f"Message-ID {message_id!r} không đúng dạng <...@...>.")
    subject = _nfc(" ".join(subject.split()))
    if not subject:
        raise MailBuildError("Thư báo cáo chưa có tiêu đề.")

    message = EmailMessage(policy=SMTP)
    message["From"] = Address(display_name=_nfc(sender_name), addr_spec=sender)
    message["To"] = [_address(r) for r in recipients]
    message["Subject"] = subject
    message["Message-ID"] = message_id
    if header_date is not None:
        if header_date.utcoffset() is None:
            raise MailBuildError("Ngày gửi thư phải có múi giờ.")
        message["Date"] = format_datetime(header_date)
    message.set_content(_nfc(body_text), subtype="plain", charset="utf-8", cte="base64")
    message.add_alternative(_nfc(body_html), subtype="html", charset="utf-8", cte="base64")
    maintype, subtype = attachment_mime.split("/")
    message.add_attachment(attachment, maintype=maintype, subtype=subtype, filename=attachment_name)
    if annex is not None:
        message.add_attachment(annex, maintype="application", subtype=XLSX_MIME.split("/")[1], filename=annex_name)
    # Boundaries from the Message-ID rather than random: the same report always serialises to the same bytes.
    # They cannot occur in the parts, whose bodies are base64 (no '-' or '_').
    token = hashlib.sha256(message_id.encode()).hexdigest()[:32]
    message.set_boundary(f"=_thidua-mixed-{token}")
    alternative = message.get_payload(0)
    assert isinstance(alternative, EmailMessage)
    alternative.set_boundary(f"=_thidua-alt-{token}")
    message.policy = UNFOLDED_HEADERS
    return message


def _attachment_name(name: str) -> str:
    name = _nfc(name.strip())
    if not name or any(c in name for c in '/\\\r\n"'):
        raise MailBuildError(
            f"Tên tệp đính kèm {name!r} không hợp lệ: tên không được để trống, không chứa '/', '\\', "
            "dấu ngoặc kép hay xuống dòng."
        )
    return name


def _addr_spec(recipient: str) -> str:
    parsed = getaddresses([recipient])
    if len(parsed) != 1 or "@" not in parsed[0][1]:
        raise MailBuildError(f"Địa chỉ người nhận {recipient!r} không hợp lệ.")
    return parsed[0][1]


def _address(recipient: str) -> Address:
    name, addr_spec = getaddresses([recipient])[0]
    return Address(display_name=_nfc(name), addr_spec=addr_spec)
