"""A real mail server demands TLS and a login: the mailer speaks STARTTLS or implicit TLS, logs in with a
password read from the environment, and fails in the clerk's words when either is wrong."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.backends import LoginOnSend
from connectors.local.smtp import MailAuthenticationFailed, MailPasswordMissing, SmtpMailer, tls_context
from connectors.local.smtp_server import LoopbackSmtpServer, message_ids_in
from flows.settings import RunSettings
from tests.tls import SelfSigned, self_signed

from .support import report_email

USER, PASSWORD = "vanthu@thcs-leanhxuan.edu.vn", "mat-khau dung 2024"


@pytest.fixture
def cert(tmp_path: Path) -> SelfSigned:
    return self_signed(tmp_path / "tls")


@pytest.fixture(params=["starttls", "tls"])
def secure_server(request: pytest.FixtureRequest, tmp_path: Path, cert: SelfSigned) -> Iterator[
        tuple[LoopbackSmtpServer, str]]:
    implicit = request.param == "tls"
    with LoopbackSmtpServer(tmp_path / "mail", tls=cert.server_context(), implicit_tls=implicit,
                            login=(USER, PASSWORD)) as server:
        yield server, request.param


def _settings(tmp_path: Path, port: int, security: str, cert: SelfSigned) -> RunSettings:
    return RunSettings(plan_path=tmp_path / "plan.yaml", data_dir=tmp_path, out_dir=tmp_path, smtp_port=port,
                       smtp_security=security, smtp_username=USER, smtp_password_env="TEST_SMTP_PASSWORD",
                       smtp_ca_file=cert.cert)


def test_report_goes_through_tls_and_login_with_the_password_from_the_environment(
        secure_server: tuple[LoopbackSmtpServer, str], cert: SelfSigned, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    server, security = secure_server
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    message = report_email()
    LoginOnSend(_settings(tmp_path, server.port, security, cert)).send(message)
    assert message_ids_in(server.maildir) == {str(message["Message-ID"])}


def test_wrong_password_is_refused_and_said_so_without_the_password(
        secure_server: tuple[LoopbackSmtpServer, str], cert: SelfSigned, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    server, security = secure_server
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "sai-mat-khau")
    with pytest.raises(MailAuthenticationFailed) as refused:
        LoginOnSend(_settings(tmp_path, server.port, security, cert)).send(report_email())
    assert "sai-mat-khau" not in str(refused.value)
    assert server.received == 0


def test_missing_password_names_the_variable_to_set(secure_server: tuple[LoopbackSmtpServer, str],
                                                     cert: SelfSigned, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    server, security = secure_server
    monkeypatch.delenv("TEST_SMTP_PASSWORD", raising=False)
    with pytest.raises(MailPasswordMissing, match="TEST_SMTP_PASSWORD"):
        LoginOnSend(_settings(tmp_path, server.port, security, cert)).send(report_email())
    assert server.received == 0


def test_server_demanding_starttls_refuses_a_plain_session(tmp_path: Path, cert: SelfSigned) -> None:
    with LoopbackSmtpServer(tmp_path / "mail", tls=cert.server_context(), login=(USER, PASSWORD)) as server:
        with pytest.raises(MailAuthenticationFailed):
            SmtpMailer("127.0.0.1", server.port, timeout=5, username=USER, password=PASSWORD).send(report_email())
        assert server.received == 0


def test_an_untrusted_certificate_is_refused(tmp_path: Path, cert: SelfSigned) -> None:
    with LoopbackSmtpServer(tmp_path / "mail", tls=cert.server_context(), login=(USER, PASSWORD)) as server:
        with pytest.raises(MailAuthenticationFailed, match="TLS"):
            SmtpMailer("127.0.0.1", server.port, timeout=5, starttls=True, username=USER, password=PASSWORD,
                       ssl_context=tls_context()).send(report_email())
        assert server.received == 0


def test_password_with_vietnamese_letters_is_refused_in_words_without_echoing_it(
        secure_server: tuple[LoopbackSmtpServer, str], cert: SelfSigned, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    server, security = secure_server
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "Ưu-tiên-9")
    with pytest.raises(MailAuthenticationFailed, match="ASCII") as refused:
        LoginOnSend(_settings(tmp_path, server.port, security, cert)).send(report_email())
    assert "Ưu-tiên" not in str(refused.value)
    assert server.received == 0
