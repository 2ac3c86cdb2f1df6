"""deliver_once over the real loopback SMTP server and a real ledger (SQLite and PostgreSQL): never the same report
twice."""

from __future__ import annotations

import multiprocessing
import socket
import threading
from datetime import timedelta
from email.message import EmailMessage
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from connectors.delivery import DeliveryConflict, DeliveryInProgress, DeliveryStatus, deliver_once
from connectors.ledger import SqlLedger
from connectors.local.smtp import MailRejected, MailServerUnavailable, MailServerUnreachable, SmtpMailer
from connectors.local.smtp_server import LoopbackSmtpServer, message_ids_in
from connectors.ports import DeliveryKey, DeliveryState

from .support import DISTRICT, FakeClock, racing_processes, report_email

KEY = DeliveryKey("lax", "D3", 1)


def _deliver(
    ledger: SqlLedger, mailer: SmtpMailer, maildir: Path, clock: FakeClock, message: EmailMessage | None = None
) -> DeliveryStatus:
    outcome = deliver_once(
        ledger, mailer, message or report_email(), KEY, sent_ids=lambda: message_ids_in(maildir), now=clock
    )
    return outcome.status


def test_first_delivery_sends_and_records_sent(
    ledger: SqlLedger, mailer: SmtpMailer, smtp_server: LoopbackSmtpServer, clock: FakeClock
) -> None:
    outcome = deliver_once(
        ledger, mailer, report_email(), KEY, sent_ids=lambda: message_ids_in(smtp_server.maildir), now=clock
    )
    assert outcome.status is DeliveryStatus.SENT
    assert outcome.record.state is DeliveryState.SENT and outcome.record.sent_at == clock.now
    assert outcome.record.recipients == (DISTRICT,)
    assert smtp_server.received == 1


def test_second_delivery_of_the_same_key_sends_nothing(
    ledger: SqlLedger, mailer: SmtpMailer, smtp_server: LoopbackSmtpServer, clock: FakeClock
) -> None:
    assert _deliver(ledger, mailer, smtp_server.maildir, clock) is DeliveryStatus.SENT
    assert _deliver(ledger, mailer, smtp_server.maildir, clock) is DeliveryStatus.ALREADY_SENT
    assert smtp_server.received == 1


def test_crash_after_send_is_recovered_from_the_maildir_not_resent(
    ledger: SqlLedger, mailer: SmtpMailer, smtp_server: LoopbackSmtpServer, clock: FakeClock
) -> None:
    message = report_email()
    ledger.begin(KEY, message["Message-ID"], (DISTRICT,))
    mailer.send(message)  # ...and the run dies before mark_sent
    clock.advance(timedelta(hours=1))

    assert _deliver(ledger, mailer, smtp_server.maildir, clock) is DeliveryStatus.RECOVERED_FROM_PENDING
    assert smtp_server.received == 1
    record = ledger.get(KEY)
    assert record is not None and record.state is DeliveryState.SENT and record.sent_at == clock.now


def test_crash_before_send_waits_for_staleness_then_sends_once(
    ledger: SqlLedger, mailer: SmtpMailer, smtp_server: LoopbackSmtpServer, clock: FakeClock
) -> None:
    ledger.begin(KEY, report_email()["Message-ID"], (DISTRICT,))  # the run dies before sending
    with pytest.raises(DeliveryInProgress, match="Để tránh gửi trùng, hãy chạy lại sau 2024-05-21T07:10"):
        _deliver(ledger, mailer, smtp_server.maildir, clock)
    clock.advance(timedelta(minutes=11))

    assert _deliver(ledger, mailer, smtp_server.maildir, clock) is DeliveryStatus.RESENT_AFTER_CRASH
    assert _deliver(ledger, mailer, smtp_server.maildir, clock) is DeliveryStatus.ALREADY_SENT
    assert smtp_server.received == 1
    record = ledger.get(KEY)
    assert record is not None and record.attempt == 2


def test_an_unreachable_server_releases_the_claim_and_the_next_run_sends_at_once(
    ledger: SqlLedger, smtp_server: LoopbackSmtpServer, clock: FakeClock, tmp_path: Path
) -> None:
    with LoopbackSmtpServer(tmp_path / "gone") as stopped:
        dead_port = stopped.port
    with pytest.raises(MailServerUnreachable):
        _deliver(ledger, SmtpMailer("127.0.0.1", dead_port, timeout=2), smtp_server.maildir, clock)
    assert ledger.get(KEY) is None  # nothing left the school: no "maybe sent" to wait out

    live = SmtpMailer("127.0.0.1", smtp_server.port, timeout=5)
    assert _deliver(ledger, live, smtp_server.maildir, clock) is DeliveryStatus.SENT
    assert smtp_server.received == 1


def test_a_refused_message_releases_the_claim(ledger: SqlLedger, clock: FakeClock, tmp_path: Path) -> None:
    with LoopbackSmtpServer(tmp_path / "bounces", refused_recipients=[DISTRICT]) as bouncing:
        with pytest.raises(MailRejected):
            _deliver(ledger, SmtpMailer("127.0.0.1", bouncing.port, timeout=5), bouncing.maildir, clock)
        assert bouncing.received == 0
    assert ledger.get(KEY) is None


def _hang_up_after_the_data(listener: socket.socket) -> None:
    """An SMTP server that takes the whole message, then drops the line instead of answering the final dot."""
    connection, _ = listener.accept()
    with connection, connection.makefile("rb") as lines:
        connection.sendall(b"220 loopback\r\n")
        for line in lines:
            command = line.strip().upper()
            if command == b"DATA":
                connection.sendall(b"354 go on\r\n")
            elif command == b".":
                return
            elif command.startswith((b"EHLO", b"HELO", b"MAIL", b"RCPT")):
                connection.sendall(b"250 ok\r\n")


def test_a_connection_lost_after_the_data_went_out_stays_maybe_sent(
    ledger: SqlLedger, smtp_server: LoopbackSmtpServer, clock: FakeClock
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        server = threading.Thread(target=_hang_up_after_the_data, args=(listener,))
        server.start()
        with pytest.raises(MailServerUnavailable) as caught:
            _deliver(ledger, SmtpMailer("127.0.0.1", listener.getsockname()[1], timeout=5), smtp_server.maildir,
                     clock)
        server.join()
    assert not isinstance(caught.value, MailServerUnreachable)
    record = ledger.get(KEY)
    assert record is not None and record.state is DeliveryState.PENDING
    with pytest.raises(DeliveryInProgress):
        _deliver(ledger, SmtpMailer("127.0.0.1", smtp_server.port, timeout=5), smtp_server.maildir, clock)
    clock.advance(timedelta(minutes=11))

    live = SmtpMailer("127.0.0.1", smtp_server.port, timeout=5)
    assert _deliver(ledger, live, smtp_server.maildir, clock) is DeliveryStatus.RESENT_AFTER_CRASH
    assert smtp_server.received == 1


def test_a_rebuilt_email_with_another_message_id_is_a_conflict(
    ledger: SqlLedger, mailer: SmtpMailer, smtp_server: LoopbackSmtpServer, clock: FakeClock
) -> None:
    _deliver(ledger, mailer, smtp_server.maildir, clock)
    other = report_email()
    other.replace_header("Message-ID", "<thidua.lax.D3.v1@other-domain.vn>")
    with pytest.raises(DeliveryConflict):
        _deliver(ledger, mailer, smtp_server.maildir, clock, other)
    assert smtp_server.received == 1


def _race_deliver(
    ledger_url: str, port: int, maildir: Path, barrier: Barrier, results: multiprocessing.Queue[str]
) -> None:
    clock = FakeClock()
    ledger = SqlLedger(ledger_url, clock=clock)
    mailer = SmtpMailer("127.0.0.1", port, timeout=10)
    barrier.wait()
    try:
        results.put(str(_deliver(ledger, mailer, maildir, clock)))
    except DeliveryInProgress:
        results.put("in_progress")


def test_processes_racing_to_deliver_one_report_send_it_once(ledger_url: str, smtp_server: LoopbackSmtpServer) -> None:
    SqlLedger(ledger_url).dispose()
    context = racing_processes()
    racers = 4
    barrier = context.Barrier(racers)
    results: multiprocessing.Queue[str] = context.Queue()
    args = (ledger_url, smtp_server.port, smtp_server.maildir, barrier, results)
    processes = [context.Process(target=_race_deliver, args=args) for _ in range(racers)]
    for process in processes:
        process.start()
    statuses = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert statuses.count("sent") == 1
    assert smtp_server.received == 1
