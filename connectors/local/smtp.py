"""Sending report emails over SMTP with smtplib: explicit timeouts and errors a clerk can act on.

A real mail server gets STARTTLS (port 587) or implicit TLS (port 465) and a login; the password is read at send
time from a Prefect Secret block or an environment variable (`smtp_password`), so it is never a flow parameter,
never in a settings file and never logged.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path

from connectors.ports import NeverSent, PartlyRefused


class MailDeliveryError(Exception):
    """Sending failed; the message (Vietnamese) says what happened and what to check."""


class MailServerUnavailable(MailDeliveryError):
    """The SMTP server could not be reached or stopped answering.

    If this happens after the message data went out, the server may still have accepted it: "maybe sent".
    """


class MailServerUnreachable(MailServerUnavailable, NeverSent):
    """The connection failed before the message was handed over: certainly not sent."""


class MailAuthenticationFailed(MailDeliveryError, NeverSent):
    """The SMTP server refused the username/password or the TLS handshake."""


class MailRejected(MailDeliveryError, NeverSent):
    """The SMTP server refused the sender, every recipient, or the message itself; retrying will not help."""


class MailPartiallyRejected(MailDeliveryError, PartlyRefused):
    """The server accepted the message for some recipients only: it HAS been sent, so do not resend blindly."""

    def __init__(self, refused: dict[str, tuple[int, bytes]]) -> None:
        self.replies = refused
        self.refused = tuple(refused)
        details = "; ".join(
            f"{addr}: {code} {reply.decode(errors='replace')}" for addr, (code, reply) in refused.items()
        )
        super().__init__(f"Thư đã được gửi nhưng máy chủ thư từ chối một số người nhận ({details}).")


class MailPasswordMissing(MailAuthenticationFailed):
    """The login is configured but no password was found where it should be."""


def smtp_password(block: str, env: str) -> str:
    """The mail account's password: the Prefect Secret block `block` when named, else the environment variable
    `env`. Raises MailPasswordMissing, naming where it looked (never the value)."""
    if block:
        from prefect.blocks.system import Secret

        value = Secret.load(block).get()  # type: ignore[union-attr]
        if isinstance(value, str) and value:
            return value
        raise MailPasswordMissing(f"Prefect Secret block «{block}» không chứa mật khẩu hộp thư (cần một chuỗi).")
    value = os.environ.get(env, "")
    if not value:
        raise MailPasswordMissing(
            f"Chưa có mật khẩu hộp thư: đặt biến môi trường {env} (trên máy chạy worker) hoặc ghi tên Prefect Secret "
            "block ở mail.password_block trong thidua.toml.")
    return value


def tls_context(ca_file: Path | None = None) -> ssl.SSLContext:
    """The system's trusted certificates, plus `ca_file` when a school's server uses its own authority."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


class SmtpMailer:
    """A Mailer over one SMTP connection per message: simple, and nothing stale to recover between sends."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        timeout: float = 30.0,
        starttls: bool = False,
        implicit_tls: bool = False,
        username: str | None = None,
        password: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if (username is None) != (password is None):
            raise ValueError("username and password must be given together")
        if starttls and implicit_tls:
            raise ValueError("STARTTLS and implicit TLS exclude each other")
        self.host = host
        self.port = port
        self.timeout = timeout
        self.starttls = starttls
        self.implicit_tls = implicit_tls
        self.username = username
        self.password = password
        self.ssl_context = ssl_context

    def send(self, message: EmailMessage) -> None:
        """Send `message` to its To/Cc/Bcc; returns only when the server has accepted it for every recipient."""
        where = f"{self.host}:{self.port}"
        handing_over = False
        try:
            with self._connect() as smtp:
                if self.starttls:
                    smtp.starttls(context=self.ssl_context or ssl.create_default_context())
                if self.username is not None and self.password is not None:
                    self._login(smtp, self.username, self.password)
                handing_over = True
                refused = smtp.send_message(message)
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError, ssl.SSLError) as error:
            raise MailAuthenticationFailed(
                f"Máy chủ thư {where} không chấp nhận đăng nhập hoặc mã hoá TLS: {error}. "
                "Hãy kiểm tra tài khoản, mật khẩu và cấu hình TLS."
            ) from error
        except smtplib.SMTPRecipientsRefused as error:
            raise MailRejected(
                f"Máy chủ thư {where} từ chối mọi người nhận: {', '.join(error.recipients)}. "
                "Hãy kiểm tra địa chỉ người nhận trong tệp kế hoạch."
            ) from error
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            raise MailRejected(f"Máy chủ thư {where} từ chối thư: {error}.") from error
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as error:
            raise self._unavailable(where, error, handing_over) from error
        except smtplib.SMTPException as error:
            raise MailDeliveryError(f"Gửi thư qua {where} thất bại: {error}.") from error
        # SMTPException subclasses OSError, so this only catches socket errors and timeouts.
        except OSError as error:
            raise self._unavailable(where, error, handing_over) from error
        if refused:
            raise MailPartiallyRejected(refused)

    @staticmethod
    def _login(smtp: smtplib.SMTP, username: str, password: str) -> None:
        try:
            smtp.login(username, password)
        except UnicodeEncodeError:  # smtplib sends AUTH as ASCII; say so without echoing the password
            raise smtplib.SMTPAuthenticationError(
                535, b"ten dang nhap hoac mat khau co ky tu ngoai ASCII (smtplib khong gui duoc); hay dung mat khau "
                     b"ung dung chi gom chu khong dau, so va ky hieu") from None

    def _connect(self) -> smtplib.SMTP:
        if self.implicit_tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                    context=self.ssl_context or ssl.create_default_context())
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def _unavailable(self, where: str, error: Exception, handing_over: bool) -> MailServerUnavailable:
        """A failure while the message was going out may have been accepted; one before it was certainly not."""
        kind = MailServerUnavailable if handing_over else MailServerUnreachable
        return kind(
            f"Không liên lạc được máy chủ thư {where} (chờ tối đa {self.timeout:g} giây): {error}. "
            "Hãy kiểm tra máy chủ thư đang chạy, rồi chạy lại."
        )
