"""The report email as data: Vietnamese texts, structure, Message-ID, allow-list."""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date, datetime, timedelta, timezone

import pytest

from thidua.mail import (
    DOCX_MIME,
    PDF_MIME,
    XLSX_MIME,
    MailBuildError,
    RecipientNotAllowed,
    build_report_email,
    check_recipients,
    compose_report_texts,
    format_vietnamese_date,
    report_message_id,
)

from .support import ALLOW_LIST, ATTACHMENT_NAME, DISTRICT, PDF_BYTES, report_email


def _texts(version: int) -> tuple[str, str, str]:
    texts = compose_report_texts(
        school_name="Trường THCS Lê Anh Xuân",
        report_title="Báo cáo đăng ký thi đua năm 2024",
        recipient_office="Thường trực Hội đồng Thi đua – Khen thưởng quận Tân Phú",
        deadline=date(2024, 3, 15),
        signer_title="Hiệu trưởng",
        signer_name="Mai Thanh Bình",
        version=version,
    )
    return texts.subject, texts.body_text, texts.body_html


def test_vietnamese_date_follows_decree_30_leading_zeros() -> None:
    assert format_vietnamese_date(date(2024, 3, 15)) == "ngày 15 tháng 3 năm 2024"
    assert format_vietnamese_date(date(2024, 2, 5)) == "ngày 05 tháng 02 năm 2024"
    assert format_vietnamese_date(date(2024, 12, 10)) == "ngày 10 tháng 12 năm 2024"


def test_message_id_is_derived_from_the_delivery_key() -> None:
    assert report_message_id("lax", "D3", 2, "THCS-LAX.edu.vn") == "<thidua.lax.D3.v2@thcs-lax.edu.vn>"
    assert report_message_id("lax", "D3", 2, "thcs-lax.edu.vn") == report_message_id("lax", "D3", 2, "thcs-lax.edu.vn")


@pytest.mark.parametrize(
    ("school", "deadline", "version", "domain"),
    [("lê", "D3", 1, "a.vn"), ("lax", "D 3", 1, "a.vn"), ("lax", "D3", 0, "a.vn"), ("lax", "D3", 1, "localhost")],
)
def test_message_id_refuses_parts_that_would_not_round_trip(
    school: str, deadline: str, version: int, domain: str
) -> None:
    with pytest.raises(MailBuildError):
        report_message_id(school, deadline, version, domain)


def test_first_version_texts_greet_the_office_and_sign_off_in_vietnamese() -> None:
    subject, body_text, body_html = _texts(version=1)
    assert subject == (
        "[Trường THCS Lê Anh Xuân] Báo cáo đăng ký thi đua năm 2024 – hạn trước ngày 15 tháng 3 năm 2024"
    )
    assert body_text.startswith("Kính gửi: Thường trực Hội đồng Thi đua – Khen thưởng quận Tân Phú\n")
    assert "Trân trọng,\nHIỆU TRƯỞNG\nMai Thanh Bình\n" in body_text
    assert "thay thế" not in subject + body_text
    assert '<html lang="vi">' in body_html and "Mai Thanh Bình</p>" in body_html
    for text in (subject, body_text, body_html):
        assert unicodedata.is_normalized("NFC", text)


def test_replacement_version_says_so_in_subject_and_body() -> None:
    subject, body_text, _ = _texts(version=2)
    assert subject.endswith("(bản thay thế, phiên bản 2)")
    assert "Đây là bản thay thế (phiên bản 2)" in body_text


def test_decomposed_input_comes_out_nfc_and_html_is_escaped() -> None:
    texts = compose_report_texts(
        school_name=unicodedata.normalize("NFD", "Trường THCS Lê Anh Xuân"),
        report_title="Báo cáo <Tổng kết> & đề xuất",
        recipient_office="Phòng GDĐT",
        deadline=date(2024, 11, 15),
        signer_title="Hiệu trưởng",
        signer_name="Mai Thanh Bình",
        version=1,
    )
    assert "Trường THCS Lê Anh Xuân" in texts.subject
    assert "Báo cáo &lt;Tổng kết&gt; &amp; đề xuất" in texts.body_html


def test_allow_list_accepts_case_insensitively_and_with_display_names() -> None:
    check_recipients([DISTRICT.upper(), "pgddt@tanphu.edu.vn"], ALLOW_LIST)


def test_allow_list_refusal_names_the_address_in_vietnamese() -> None:
    with pytest.raises(RecipientNotAllowed) as refused:
        check_recipients([DISTRICT, "ai.do@gmail.com"], ALLOW_LIST)
    assert refused.value.refused == ("ai.do@gmail.com",)
    assert "không có trong danh sách người nhận được phép" in str(refused.value)
    assert "ai.do@gmail.com" in str(refused.value)


def test_no_recipient_is_refused() -> None:
    with pytest.raises(MailBuildError, match="chưa có người nhận"):
        check_recipients([], ALLOW_LIST)


def test_email_is_mixed_with_text_html_alternative_and_the_pdf() -> None:
    message = report_email()
    assert message.get_content_type() == "multipart/mixed"
    assert [p.get_content_type() for p in message.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "application/pdf",
    ]
    (attachment,) = message.iter_attachments()
    assert attachment.get_content() == PDF_BYTES
    assert attachment.get_filename() == ATTACHMENT_NAME
    # RFC 2231 (possibly split into continuations), never a raw UTF-8 header.
    assert re.search(r"filename\*(0\*)?=utf-8''B%C3%A1o", message.as_string())


def test_same_inputs_build_byte_identical_emails() -> None:
    assert report_email().as_bytes() == report_email().as_bytes()


def test_docx_attachment_gets_the_word_mime_type() -> None:
    message = build_report_email(
        sender="vanthu@thcs-leanhxuan.edu.vn",
        sender_name="Trường THCS Lê Anh Xuân",
        recipients=[DISTRICT],
        allow_list=ALLOW_LIST,
        subject="Báo cáo",
        body_text="Kính gửi",
        body_html="<p>Kính gửi</p>",
        attachment=b"PK\x03\x04",
        attachment_name="Báo cáo.docx",
        attachment_mime=DOCX_MIME,
        message_id="<thidua.lax.D8.v1@thcs-leanhxuan.edu.vn>",
    )
    (attachment,) = message.iter_attachments()
    assert attachment.get_content_type() == DOCX_MIME


def test_the_annex_workbook_follows_the_report_with_its_own_name_and_type() -> None:
    message = build_report_email(
        sender="vanthu@thcs-leanhxuan.edu.vn", sender_name="Trường THCS Lê Anh Xuân", recipients=[DISTRICT],
        allow_list=ALLOW_LIST, subject="Báo cáo", body_text="Kính gửi", body_html="<p>Kính gửi</p>",
        attachment=PDF_BYTES, attachment_name=ATTACHMENT_NAME, attachment_mime=PDF_MIME,
        message_id="<thidua.lax.D8.v1@thcs-leanhxuan.edu.vn>", annex=b"PK\x03\x04annex",
        annex_name="D8 - Phụ lục số liệu chi tiết.xlsx",
    )
    report, annex = message.iter_attachments()
    assert report.get_content() == PDF_BYTES
    assert annex.get_content_type() == XLSX_MIME
    assert annex.get_content() == b"PK\x03\x04annex"
    assert annex.get_filename() == "D8 - Phụ lục số liệu chi tiết.xlsx"
    with pytest.raises(MailBuildError, match="Tên tệp đính kèm"):
        build_report_email(
            sender="vanthu@thcs-leanhxuan.edu.vn", sender_name="Trường", recipients=[DISTRICT],
            allow_list=ALLOW_LIST, subject="Báo cáo", body_text="x", body_html="<p>x</p>", attachment=PDF_BYTES,
            attachment_name=ATTACHMENT_NAME, attachment_mime=PDF_MIME,
            message_id="<thidua.lax.D8.v1@thcs-leanhxuan.edu.vn>", annex=b"PK", annex_name="phu/luc.xlsx")


def test_other_attachment_types_are_refused() -> None:
    with pytest.raises(MailBuildError, match="chỉ gửi báo cáo dạng PDF hoặc DOCX"):
        build_report_email(
            sender="vanthu@thcs-leanhxuan.edu.vn",
            sender_name="Trường",
            recipients=[DISTRICT],
            allow_list=ALLOW_LIST,
            subject="Báo cáo",
            body_text="x",
            body_html="x",
            attachment=b"x",
            attachment_name="a.zip",
            attachment_mime="application/zip",
            message_id="<a.b@c.vn>",
        )


def test_date_header_is_written_from_an_aware_time_and_naive_is_refused() -> None:
    build = functools.partial(
        build_report_email,
        sender="vanthu@thcs-leanhxuan.edu.vn",
        sender_name="Trường THCS Lê Anh Xuân",
        recipients=[DISTRICT],
        allow_list=ALLOW_LIST,
        subject="Báo cáo",
        body_text="Kính gửi",
        body_html="<p>Kính gửi</p>",
        attachment=PDF_BYTES,
        attachment_name="Báo cáo.pdf",
        attachment_mime=PDF_MIME,
        message_id="<thidua.lax.D3.v1@thcs-leanhxuan.edu.vn>",
    )
    message = build(header_date=datetime(2024, 5, 21, 7, 0, tzinfo=timezone(timedelta(hours=7))))
    assert message["Date"] == "Tue, 21 May 2024 07:00:00 +0700"
    with pytest.raises(MailBuildError, match="múi giờ"):
        build(header_date=datetime(2024, 5, 21, 7, 0))


@pytest.mark.parametrize("subject", [
    # Both broke under CPython's header folder, which drops the space between two encoded words.
    "thay ký nhắc đăng thế, nhắc đăng sách Xuân năm thay nộp tháng khen văn nộp tháng báo báo tháng tháng tổ (bản hạn",
    "ký 2) ký nhở báo chưa cáo khen tổ tổ ký văn trước Trường – hạn Lê Trường Trường đua ngày nhở 2) khen",
])
def test_long_vietnamese_subjects_keep_every_space(subject: str) -> None:
    import email
    import email.policy

    message = build_report_email(
        sender="vanthu@lax.example.edu.vn", sender_name="Trường THCS Lê Anh Xuân", recipients=[DISTRICT],
        allow_list=ALLOW_LIST, subject=subject, body_text="x", body_html="<p>x</p>", attachment=PDF_BYTES,
        attachment_name=ATTACHMENT_NAME, attachment_mime=PDF_MIME, message_id="<a@lax.example.edu.vn>")
    raw = message.as_bytes()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert str(email.message_from_bytes(raw, policy=email.policy.default)["Subject"]) == subject


def test_replacement_says_why_when_a_reason_is_given() -> None:
    texts = compose_report_texts(school_name="Trường THCS Lê Anh Xuân", report_title="Sơ kết 6 tháng",
                                 recipient_office="Phòng GDĐT", deadline=date(2024, 5, 22), signer_title="Hiệu trưởng",
                                 signer_name="Mai Thanh Bình", version=2, reason="  sửa số liệu  tổ Toán ")
    assert "Lý do thay thế: sửa số liệu tổ Toán" in texts.body_text
    assert "Lý do thay thế: sửa số liệu tổ Toán" in texts.body_html
    first = compose_report_texts(school_name="Trường THCS Lê Anh Xuân", report_title="Sơ kết 6 tháng",
                                 recipient_office="Phòng GDĐT", deadline=date(2024, 5, 22), signer_title="Hiệu trưởng",
                                 signer_name="Mai Thanh Bình", version=1, reason="bỏ qua")
    assert "Lý do" not in first.body_text
