"""A real SMTP server on loopback that files every message it accepts into a maildir, byte for byte.

It is the local backend's "district office": flows and tests reach it with the real smtplib, and a resumed run
asks `message_ids_in(maildir)` whether a "maybe sent" report actually arrived.
"""

from __future__ import annotations

import asyncio
import os
import re
import ssl
import threading
from collections.abc import Collection
from email.parser import BytesHeaderParser
from email.policy import default
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")
_EML_NAME = re.compile(r"(\d+)-.*\.eml")


def message_ids_in(maildir: Path) -> set[str]:
    """The Message-IDs of all messages filed in `maildir` (empty if it does not exist yet)."""
    if not maildir.is_dir():
        return set()
    ids = set()
    for path in maildir.glob("*.eml"):
        with path.open("rb") as file:
            message_id = BytesHeaderParser(policy=default).parse(file)["Message-ID"]
        if message_id is not None:
            ids.add(str(message_id).strip())
    return ids


class _MaildirHandler:
    """aiosmtpd handler: writes each message atomically, so a reader never sees half a file."""

    def __init__(self, maildir: Path, refused_recipients: frozenset[str]) -> None:
        self.maildir = maildir
        self.refused_recipients = refused_recipients
        self._lock = threading.Lock()
        self._received = 0
        self._next_number = 1 + max(
            (int(m.group(1)) for p in maildir.glob("*.eml") if (m := _EML_NAME.fullmatch(p.name))), default=0
        )

    @property
    def received(self) -> int:
        with self._lock:
            return self._received

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.casefold() in self.refused_recipients:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content
        assert isinstance(raw, bytes)  # aiosmtpd keeps the undecoded bytes when decode_data is False
        message_id = BytesHeaderParser(policy=default).parsebytes(raw)["Message-ID"]
        label = _UNSAFE.sub("_", str(message_id).strip("<> ")) if message_id else "no-message-id"
        try:
            await asyncio.to_thread(self._file, raw, label[:120])
        except OSError:
            return "451 Requested action aborted: error in processing"
        return "250 Message accepted for delivery"

    def _file(self, raw: bytes, label: str) -> None:
        with self._lock:
            number = self._next_number
            self._next_number += 1
            final = self.maildir / f"{number}-{label}.eml"
            temporary = self.maildir / f".{number}.tmp"
            with temporary.open("wb") as file:
                file.write(raw)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, final)
            self._received += 1


class _Authenticator:
    """Accepts exactly one user and password (PLAIN or LOGIN)."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (self.user, self.password)
        return AuthResult(success=ok, handled=False)


class _EphemeralPortController(Controller):
    """A Controller that may bind port 0: it learns the real port before aiosmtpd's self-test connects to it."""

    def _create_server(self) -> Any:
        return self._bind()

    async def _bind(self) -> asyncio.AbstractServer:
        server = await super()._create_server()
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]
        return server


class LoopbackSmtpServer:
    """An SMTP server on 127.0.0.1 (a free port by default) filing messages into `maildir/<n>-<message-id>.eml`.

    `refused_recipients` are answered 550 at RCPT, to rehearse a mailbox that bounces. With `tls` the server
    behaves as a school's real one does: STARTTLS required before anything else (or, with `implicit_tls`, TLS from
    the first byte, as on port 465), and with `login` (user, password) AUTH required before MAIL.
    """

    def __init__(
        self, maildir: Path, host: str = "127.0.0.1", port: int = 0, *, refused_recipients: Collection[str] = (),
        tls: ssl.SSLContext | None = None, implicit_tls: bool = False, login: tuple[str, str] | None = None,
    ) -> None:
        if implicit_tls and tls is None:
            raise ValueError("implicit TLS needs a TLS context")
        self._tls = tls
        self._implicit_tls = implicit_tls
        self._login = login
        self.maildir = maildir
        self._refused_recipients = frozenset(r.casefold() for r in refused_recipients)
        self.host = host
        self._requested_port = port
        self._handler: _MaildirHandler | None = None
        self._controller: _EphemeralPortController | None = None

    @property
    def port(self) -> int:
        """The port the server actually listens on (it may have been chosen by the system)."""
        if self._controller is None:
            raise RuntimeError("the loopback SMTP server is not running")
        return int(self._controller.port)

    @property
    def received(self) -> int:
        """How many messages this server instance has filed since start()."""
        return self._handler.received if self._handler is not None else 0

    def start(self) -> int:
        """Start serving in a background thread; returns the bound port."""
        if self._controller is not None:
            raise RuntimeError("the loopback SMTP server is already running")
        self.maildir.mkdir(parents=True, exist_ok=True)
        self._handler = _MaildirHandler(self.maildir, self._refused_recipients)
        options: dict[str, Any] = {}
        if self._tls is not None and self._implicit_tls:
            options["ssl_context"] = self._tls
        elif self._tls is not None:
            options.update(tls_context=self._tls, require_starttls=True)
        if self._login is not None:
            # Over implicit TLS aiosmtpd does not know the session is encrypted; it is, from the first byte.
            options.update(auth_required=True, authenticator=_Authenticator(*self._login),
                           auth_require_tls=not self._implicit_tls)
        controller = _EphemeralPortController(
            self._handler, hostname=self.host, port=self._requested_port, server_hostname="localhost", **options
        )
        controller.start()
        self._controller = controller
        return self.port

    def stop(self) -> None:
        """Stops the server; stopping a stopped server does nothing."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
