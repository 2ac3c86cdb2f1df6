"""Fixtures for delivery tests: a real loopback SMTP server, real smtplib, a real SQLite ledger file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.local.ledger import SqliteLedger
from connectors.local.smtp import SmtpMailer
from connectors.local.smtp_server import LoopbackSmtpServer

from .support import FakeClock


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    return tmp_path / "maildir"


@pytest.fixture
def smtp_server(maildir: Path) -> Iterator[LoopbackSmtpServer]:
    with LoopbackSmtpServer(maildir) as server:
        yield server


@pytest.fixture
def mailer(smtp_server: LoopbackSmtpServer) -> SmtpMailer:
    return SmtpMailer("127.0.0.1", smtp_server.port, timeout=5.0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ledger(tmp_path: Path, clock: FakeClock) -> SqliteLedger:
    return SqliteLedger(tmp_path / "ledger.sqlite3", clock=clock)
