"""The SQLite delivery ledger: idempotent begin, one winner among racing processes, times with offsets."""

from __future__ import annotations

import multiprocessing
import sqlite3
from datetime import datetime, timedelta, timezone
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from connectors.local.ledger import LedgerError, SqliteLedger
from connectors.ports import DeliveryKey, DeliveryState

from .support import DISTRICT, FakeClock

KEY = DeliveryKey("lax", "D3", 1)
MESSAGE_ID = "<thidua.lax.D3.v1@thcs-leanhxuan.edu.vn>"


def test_begin_records_pending_and_owns_the_send(ledger: SqliteLedger, clock: FakeClock) -> None:
    record = ledger.begin(KEY, MESSAGE_ID, (DISTRICT,))
    assert record.owned
    assert (record.state, record.message_id, record.recipients) == (DeliveryState.PENDING, MESSAGE_ID, (DISTRICT,))
    assert (record.begun_at, record.sent_at, record.attempt) == (clock.now, None, 1)


def test_begin_twice_returns_the_same_record_without_ownership(ledger: SqliteLedger, clock: FakeClock) -> None:
    first = ledger.begin(KEY, MESSAGE_ID, (DISTRICT,))
    clock.advance(timedelta(minutes=1))
    second = ledger.begin(KEY, MESSAGE_ID, (DISTRICT,))
    assert not second.owned
    assert second == ledger.get(KEY)
    assert (second.begun_at, second.attempt) == (first.begun_at, first.attempt)


def test_begin_after_sent_returns_the_sent_record(ledger: SqliteLedger, clock: FakeClock) -> None:
    ledger.begin(KEY, MESSAGE_ID, (DISTRICT,))
    sent = ledger.mark_sent(KEY, clock.now)
    again = ledger.begin(KEY, MESSAGE_ID, (DISTRICT,))
    assert again.state is DeliveryState.SENT and not again.owned and again == sent


def test_mark_sent_keeps_the_first_time(ledger: SqliteLedger, clock: FakeClock) -> None:
    ledger.begin(KEY, MESSAGE_ID, (DISTRICT,))
    first = ledger.mark_sent(KEY, clock.now)
    second = ledger.mark_sent(KEY, clock.now + timedelta(hours=1))
    assert first.sent_at == second.sent_at == clock.now


def test_mark_sent_without_begin_is_an_error(ledger: SqliteLedger, clock: FakeClock) -> None:
    with pytest.raises(LedgerError):
        ledger.mark_sent(KEY, clock.now)


def test_times_are_stored_as_iso_8601_with_offset(tmp_path: Path) -> None:
    ict = timezone(timedelta(hours=7))
    ledger = SqliteLedger(tmp_path / "l.sqlite3", clock=lambda: datetime(2024, 5, 21, 14, 0, tzinfo=ict))
    ledger.begin(KEY, MESSAGE_ID, (DISTRICT,))
    ledger.mark_sent(KEY, datetime(2024, 5, 21, 14, 0, 5, tzinfo=ict))
    with sqlite3.connect(tmp_path / "l.sqlite3") as db:
        row = db.execute("SELECT begun_at, sent_at FROM deliveries").fetchone()
    assert row == ("2024-05-21T14:00:00+07:00", "2024-05-21T14:00:05+07:00")


def test_naive_times_are_refused(ledger: SqliteLedger) -> None:
    ledger.begin(KEY, MESSAGE_ID, (DISTRICT,))
    with pytest.raises(ValueError, match="offset"):
        ledger.mark_sent(KEY, datetime(2024, 5, 21, 14, 0))


def test_one_message_id_cannot_serve_two_keys(ledger: SqliteLedger) -> None:
    ledger.begin(KEY, MESSAGE_ID, (DISTRICT,))
    with pytest.raises(LedgerError):
        ledger.begin(DeliveryKey("lax", "D4", 1), MESSAGE_ID, (DISTRICT,))


def test_reclaim_is_won_by_exactly_one_caller(ledger: SqliteLedger) -> None:
    seen = ledger.begin(KEY, MESSAGE_ID, (DISTRICT,))
    first = ledger.reclaim(KEY, seen.attempt)
    second = ledger.reclaim(KEY, seen.attempt)
    assert (first.owned, first.attempt) == (True, 2)
    assert (second.owned, second.attempt) == (False, 2)


def test_all_lists_records_in_key_order(ledger: SqliteLedger) -> None:
    for deadline in ("D8", "D3"):
        ledger.begin(DeliveryKey("lax", deadline, 1), f"<thidua.lax.{deadline}.v1@x.vn>", (DISTRICT,))
    assert [r.key.deadline_id for r in ledger.all()] == ["D3", "D8"]


def _race_begin(path: Path, barrier: Barrier, results: multiprocessing.Queue[bool]) -> None:
    ledger = SqliteLedger(path)
    barrier.wait()
    results.put(ledger.begin(KEY, MESSAGE_ID, (DISTRICT,)).owned)


def test_processes_racing_begin_on_one_key_yield_exactly_one_owner(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    SqliteLedger(path)
    context = multiprocessing.get_context("spawn")
    racers = 6
    barrier = context.Barrier(racers)
    results: multiprocessing.Queue[bool] = context.Queue()
    processes = [context.Process(target=_race_begin, args=(path, barrier, results)) for _ in range(racers)]
    for process in processes:
        process.start()
    owned = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert sorted(owned) == [False] * (racers - 1) + [True]
    assert len(SqliteLedger(path).all()) == 1
