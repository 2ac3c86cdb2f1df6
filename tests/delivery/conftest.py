"""Fixtures for delivery tests: a real loopback SMTP server, real smtplib, and a real ledger on each database a
school or a district uses: a SQLite file, and a fresh database of the session's throwaway PostgreSQL cluster."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.ledger import SqlLedger
from connectors.local.smtp import SmtpMailer
from connectors.local.smtp_server import LoopbackSmtpServer
from tests.postgres import PostgresCluster

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


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty ledger database: a SQLite file, or a PostgreSQL database of its own (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
        return
    postgres: PostgresCluster = request.getfixturevalue("postgres")
    database = f"ledger_{uuid.uuid4().hex[:12]}"
    yield postgres.url(database, "psycopg")
    postgres.drop_database(database)


@pytest.fixture
def ledger(ledger_url: str, clock: FakeClock) -> Iterator[SqlLedger]:
    ledger = SqlLedger(ledger_url, clock=clock)
    yield ledger
    ledger.dispose()
