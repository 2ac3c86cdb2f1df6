"""Mail faults (issue 18, findings 3 and 4): a recipient the server refused is a failed delivery to that
recipient, said every time the deadline runs; a lost ledger does not mean a second email when the mailbox has
the first. Real loopback SMTP server, real SQLite ledgers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from connectors.delivery import DeliveryPartlyRefused, DeliveryStatus, deliver_once
from connectors.ledger import SqlLedger
from connectors.local.smtp import SmtpMailer
from connectors.local.smtp_server import LoopbackSmtpServer, message_ids_in
from connectors.ports import DeliveryKey, DeliveryState
from tests.delivery.support import ALLOW_LIST, DISTRICT, FakeClock, report_email

KEY = DeliveryKey("lax", "D3", 1)
PGD = "pgddt@tanphu.edu.vn"
assert any(PGD in allowed for allowed in ALLOW_LIST)


def _ledger(path: Path, clock: FakeClock) -> SqlLedger:
    return SqlLedger(f"sqlite:///{path}", clock=clock)


def test_a_recipient_refused_by_the_server_fails_the_delivery_every_time_and_nothing_is_resent(
        tmp_path: Path) -> None:
    clock = FakeClock()
    ledger = _ledger(tmp_path / "ledger.sqlite", clock)
    message = report_email(recipients=(DISTRICT, PGD))
    with LoopbackSmtpServer(tmp_path / "mail", refused_recipients=[PGD]) as server:
        mailer = SmtpMailer("127.0.0.1", server.port, timeout=5)
        for attempt in range(3):  # the task's own retries and a re-run of the deadline
            with pytest.raises(DeliveryPartlyRefused) as caught:
                deliver_once(ledger, mailer, message, KEY, sent_ids=lambda: message_ids_in(server.maildir), now=clock)
            assert caught.value.refused == (PGD,), attempt
            assert PGD in str(caught.value) and "thidua resend" in str(caught.value)
            clock.advance(timedelta(hours=1))
        assert server.received == 1
    record = ledger.get(KEY)
    assert record is not None and record.state is DeliveryState.SENT
    assert record.recipients == (DISTRICT,)


def test_a_lost_ledger_finds_the_sent_report_in_the_mailbox_and_sends_nothing(tmp_path: Path) -> None:
    clock = FakeClock()
    with LoopbackSmtpServer(tmp_path / "mail") as server:
        mailer = SmtpMailer("127.0.0.1", server.port, timeout=5)
        first = deliver_once(_ledger(tmp_path / "ledger.sqlite", clock), mailer, report_email(), KEY,
                             sent_ids=lambda: message_ids_in(server.maildir), now=clock)
        assert first.status is DeliveryStatus.SENT
        (tmp_path / "ledger.sqlite").unlink()  # the disk died; a fresh ledger knows nothing
        clock.advance(timedelta(days=1))
        fresh = _ledger(tmp_path / "ledger-restored.sqlite", clock)
        again = deliver_once(fresh, mailer, report_email(), KEY, sent_ids=lambda: message_ids_in(server.maildir),
                             now=clock)
        assert again.status is DeliveryStatus.FOUND_IN_MAILBOX
        assert server.received == 1
    record = fresh.get(KEY)
    assert record is not None and record.state is DeliveryState.SENT
