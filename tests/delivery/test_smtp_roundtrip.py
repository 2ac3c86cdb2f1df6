"""A report email through real smtplib and a real loopback aiosmtpd server, parsed back from the .eml file."""

from __future__ import annotations

import socket
import unicodedata
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.local.smtp import MailPartiallyRejected, MailRejected, MailServerUnavailable, SmtpMailer
from connectors.local.smtp_server import LoopbackSmtpServer, message_ids_in
from thidua.mail import PDF_MIME, RecipientNotAllowed, build_report_email

from .support import ALLOW_LIST, ATTACHMENT_NAME, DISTRICT, PDF_BYTES, report_email


def _parse(path: Path) -> EmailMessage:
    parsed = message_from_bytes(path.read_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_vietnamese_report_arrives_intact(smtp_server: LoopbackSmtpServer, mailer: SmtpMailer) -> None:
    sent = report_email(version=2)
    mailer.send(sent)

    (eml,) = smtp_server.maildir.glob("*.eml")
    assert eml.name == "1-thidua.lax.D3.v2@thcs-leanhxuan.edu.vn.eml"
    assert eml.read_bytes() == sent.as_bytes()  # serialised with its own policy, as smtplib does
    received = _parse(eml)
    assert received["Message-ID"] == "<thidua.lax.D3.v2@thcs-leanhxuan.edu.vn>"
    assert str(received["Subject"]) == str(sent["Subject"])
    assert unicodedata.is_normalized("NFC", str(received["Subject"]))
    assert "bản thay thế" in str(received["Subject"])
    assert received["From"].addresses[0].display_name == "Trường THCS Lê Anh Xuân"
    assert [a.addr_spec for a in received["To"].addresses] == [DISTRICT]
    plain = received.get_body(("plain",))
    assert plain is not None and "Trân trọng,\r\nHIỆU TRƯỞNG\r\nMai Thanh Bình" in plain.get_content()
    (attachment,) = received.iter_attachments()
    assert attachment.get_content_type() == PDF_MIME
    assert attachment.get_filename() == ATTACHMENT_NAME
    assert attachment.get_content() == PDF_BYTES
    assert smtp_server.received == 1
    assert message_ids_in(smtp_server.maildir) == {"<thidua.lax.D3.v2@thcs-leanhxuan.edu.vn>"}


def test_recipient_outside_allow_list_means_nothing_is_sent(smtp_server: LoopbackSmtpServer) -> None:
    with pytest.raises(RecipientNotAllowed):
        report_email(recipients=(DISTRICT, "hieutruong.canhan@gmail.com"))
    assert smtp_server.received == 0
    assert list(smtp_server.maildir.iterdir()) == []


def test_port_zero_binds_a_real_free_port(tmp_path: Path) -> None:
    with LoopbackSmtpServer(tmp_path / "a") as first, LoopbackSmtpServer(tmp_path / "b") as second:
        assert first.port > 0 and second.port > 0 and first.port != second.port
        with socket.create_connection(("127.0.0.1", first.port), timeout=2) as conn:
            assert conn.recv(1024).startswith(b"220 ")


def test_restarted_server_keeps_numbering_in_the_same_maildir(maildir: Path) -> None:
    for version in (1, 2):
        with LoopbackSmtpServer(maildir) as server:
            SmtpMailer("127.0.0.1", server.port, timeout=5).send(report_email(version=version))
    assert sorted(p.name.split("-")[0] for p in maildir.glob("*.eml")) == ["1", "2"]
    assert message_ids_in(maildir) == {
        "<thidua.lax.D3.v1@thcs-leanhxuan.edu.vn>",
        "<thidua.lax.D3.v2@thcs-leanhxuan.edu.vn>",
    }


def test_a_bounced_recipient_is_reported_as_partial_and_the_message_still_arrives(maildir: Path) -> None:
    other = "pgddt@tanphu.edu.vn"
    with LoopbackSmtpServer(maildir, refused_recipients=[other]) as server:
        with pytest.raises(MailPartiallyRejected, match="từ chối một số người nhận") as partial:
            SmtpMailer("127.0.0.1", server.port, timeout=5).send(report_email(recipients=(DISTRICT, other)))
        assert list(partial.value.refused) == [other]
        assert server.received == 1


def test_all_recipients_refused_is_a_rejection_and_nothing_arrives(maildir: Path) -> None:
    with LoopbackSmtpServer(maildir, refused_recipients=[DISTRICT]) as server:
        with pytest.raises(MailRejected, match="từ chối mọi người nhận"):
            SmtpMailer("127.0.0.1", server.port, timeout=5).send(report_email())
        assert server.received == 0


def test_message_ids_in_a_missing_maildir_is_empty(tmp_path: Path) -> None:
    assert message_ids_in(tmp_path / "nowhere") == set()


def test_unreachable_server_raises_a_clear_error_quickly(tmp_path: Path) -> None:
    with LoopbackSmtpServer(tmp_path / "m") as server:
        port = server.port
    with pytest.raises(MailServerUnavailable, match="Không liên lạc được máy chủ thư"):
        SmtpMailer("127.0.0.1", port, timeout=2).send(report_email())


VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
ALPHABET = VIETNAMESE + VIETNAMESE.upper() + "0123456789 –-_.,:;()[]/&'\"?!%"
vietnamese_text = st.text(alphabet=ALPHABET, min_size=1, max_size=160)
decomposed_or_not: st.SearchStrategy[Literal["NFC", "NFD"]] = st.sampled_from(["NFC", "NFD"])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(subject=vietnamese_text, stem=vietnamese_text, form=decomposed_or_not)
def test_any_vietnamese_subject_and_filename_round_trip_through_the_eml(
    tmp_path_factory: pytest.TempPathFactory, subject: str, stem: str, form: Literal["NFC", "NFD"]
) -> None:
    expected_subject = unicodedata.normalize("NFC", " ".join(subject.split()))
    filename = stem.replace("/", " ").replace('"', " ").strip() + ".pdf"
    maildir = tmp_path_factory.mktemp("maildir")
    message = build_report_email(
        sender="vanthu@thcs-leanhxuan.edu.vn",
        sender_name="Trường THCS Lê Anh Xuân",
        recipients=[DISTRICT],
        allow_list=ALLOW_LIST,
        subject=unicodedata.normalize(form, subject) if expected_subject else "Báo cáo",
        body_text="Kính gửi",
        body_html="<p>Kính gửi</p>",
        attachment=PDF_BYTES,
        attachment_name=unicodedata.normalize(form, filename),
        attachment_mime=PDF_MIME,
        message_id="<thidua.lax.D3.v1@thcs-leanhxuan.edu.vn>",
    )
    with LoopbackSmtpServer(maildir) as server:
        SmtpMailer("127.0.0.1", server.port, timeout=5).send(message)
    (eml,) = maildir.glob("*.eml")
    received = _parse(eml)
    assert str(received["Subject"]) == (expected_subject or "Báo cáo")
    (attachment,) = received.iter_attachments()
    assert attachment.get_filename() == unicodedata.normalize("NFC", filename)
    assert attachment.get_content() == PDF_BYTES
