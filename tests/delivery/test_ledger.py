"""The delivery ledger on SQLite and on PostgreSQL: idempotent begin, one winner among racing processes, times with
offsets. Tests taking `ledger` or `ledger_url` run on both; those taking `postgres` are about PostgreSQL only."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import uuid
from contextlib import closing
from datetime import datetime, timedelta, timezone
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors.ledger import LedgerError, SqlLedger
from connectors.ports import DeliveryKey, DeliveryState
from tests.postgres import PostgresCluster

from .support import DISTRICT, FakeClock, racing_processes

KEY = DeliveryKey("lax", "D3", 1)
MESSAGE_ID = "<thidua.lax.D3.v1@thcs-leanhxuan.edu.vn>"


def test_begin_records_pending_and_owns_the_send(ledger: SqlLedger, clock: FakeClock) -> None:
    record = ledger.begin(KEY, MESSAGE_ID, (DISTRICT,))
    assert record.owned
    assert (record.state, record.message_id, record.recipients) == (DeliveryState.PENDING, MESSAGE_ID, (DISTRICT,))
    assert (record.begun_at, record.sent_at, record.attempt) == (clock.now, None, 1)


def test_begin_twice_returns_the_same_record_without_ownership(ledger: SqlLedger, clock: FakeClock) -> None:
    first = ledger.begin(KEY, MESSAGE_ID, (DISTRICT,))
    clock.advance(timedelta(minutes=1))
    second = ledger.begin(KEY, MESSAGE_ID, (DISTRICT,))
    assert not second.owned
    assert second == ledger.get(KEY)
    assert (second.begun_at, second.attempt) == (first.begun_at, first.attempt)


def test_begin_after_sent_returns_the_sent_record(ledger: SqlLedger, clock: FakeClock) -> None:
    ledger.begin(KEY, MESSAGE_ID, (DISTRICT,))
    sent = ledger.mark_sent(KEY, clock.now)
    again = ledger.begin(KEY, MESSAGE_ID, (DISTRICT,))
    assert again.state is DeliveryState.SENT and not again.owned and again == sent


def test_mark_sent_keeps_the_first_time(ledger: SqlLedger, clock: FakeClock) -> None:
    ledger.begin(KEY, MESSAGE_ID, (DISTRICT,))
    first = ledger.mark_sent(KEY, clock.now)
    second = ledger.mark_sent(KEY, clock.now + timedelta(hours=1))
    assert first.sent_at == second.sent_at == clock.now


def test_mark_sent_without_begin_is_an_error(ledger: SqlLedger, clock: FakeClock) -> None:
    with pytest.raises(LedgerError):
        ledger.mark_sent(KEY, clock.now)


def test_times_are_stored_as_iso_8601_with_offset(ledger_url: str) -> None:
    ict = timezone(timedelta(hours=7))
    ledger = SqlLedger(ledger_url, clock=lambda: datetime(2024, 5, 21, 14, 0, tzinfo=ict))
    ledger.begin(KEY, MESSAGE_ID, (DISTRICT,))
    record = ledger.mark_sent(KEY, datetime(2024, 5, 21, 14, 0, 5, tzinfo=ict))
    ledger.dispose()
    assert record.begun_at.utcoffset() == timedelta(hours=7)
    engine = sa.create_engine(ledger_url, poolclass=sa.pool.NullPool)
    with engine.connect() as db:
        row = db.execute(sa.text("SELECT begun_at, sent_at FROM deliveries")).one()
    assert tuple(row) == ("2024-05-21T14:00:00+07:00", "2024-05-21T14:00:05+07:00")


def test_naive_times_are_refused(ledger: SqlLedger) -> None:
    ledger.begin(KEY, MESSAGE_ID, (DISTRICT,))
    with pytest.raises(ValueError, match="offset"):
        ledger.mark_sent(KEY, datetime(2024, 5, 21, 14, 0))


def test_one_message_id_cannot_serve_two_keys(ledger: SqlLedger) -> None:
    ledger.begin(KEY, MESSAGE_ID, (DISTRICT,))
    with pytest.raises(LedgerError):
        ledger.begin(DeliveryKey("lax", "D4", 1), MESSAGE_ID, (DISTRICT,))


def test_reclaim_is_won_by_exactly_one_caller(ledger: SqlLedger) -> None:
    seen = ledger.begin(KEY, MESSAGE_ID, (DISTRICT,))
    first = ledger.reclaim(KEY, seen.attempt)
    second = ledger.reclaim(KEY, seen.attempt)
    assert (first.owned, first.attempt) == (True, 2)
    assert (second.owned, second.attempt) == (False, 2)


def test_all_lists_records_in_key_order(ledger: SqlLedger) -> None:
    for deadline in ("D8", "D3"):
        ledger.begin(DeliveryKey("lax", deadline, 1), f"<thidua.lax.{deadline}.v1@x.vn>", (DISTRICT,))
    assert [r.key.deadline_id for r in ledger.all()] == ["D3", "D8"]


def test_the_first_approval_of_a_version_stands(ledger: SqlLedger, clock: FakeClock, tmp_path: Path) -> None:
    first = ledger.approve(KEY, tmp_path / "v1.pdf", "a" * 64, "Mai Thanh Bình", "Đồng ý")
    clock.advance(timedelta(minutes=5))
    again = ledger.approve(KEY, tmp_path / "other.pdf", "b" * 64, "Phó hiệu trưởng")
    assert again == first == ledger.approval(KEY)
    assert (first.approved_at, first.comment) == (clock.now - timedelta(minutes=5), "Đồng ý")


@pytest.mark.parametrize("driver", ["", "asyncpg"])
def test_postgresql_urls_for_other_drivers_open_with_psycopg(postgres: PostgresCluster, driver: str) -> None:
    """A bare `postgresql://` (psycopg2, not installed) or the Prefect server's async URL still opens the ledger."""
    database = postgres.create_database(f"ledger_{uuid.uuid4().hex[:12]}")
    try:
        ledger = SqlLedger(postgres.url(database, driver))
        assert ledger.begin(KEY, MESSAGE_ID, (DISTRICT,)).owned
        ledger.dispose()
    finally:
        postgres.drop_database(database)


def test_repeated_claims_log_no_errors_on_postgresql(postgres: PostgresCluster, tmp_path: Path) -> None:
    """Every re-run repeats `begin` (and a principal may approve twice): a shared server's log stays free of
    duplicate-key errors, which would bury real ones."""
    database = postgres.create_database(f"ledger_{uuid.uuid4().hex[:12]}")
    logged_before = postgres.log.read_text(errors="replace").count("duplicate key")
    try:
        ledger = SqlLedger(postgres.url(database))
        for _ in range(3):
            ledger.begin(KEY, MESSAGE_ID, (DISTRICT,))
            ledger.approve(KEY, tmp_path / "v1.pdf", "a" * 64, "Mai Thanh Bình")
        with pytest.raises(LedgerError):
            ledger.begin(DeliveryKey("lax", "D4", 1), MESSAGE_ID, (DISTRICT,))
        ledger.dispose()
    finally:
        postgres.drop_database(database)
    assert postgres.log.read_text(errors="replace").count("duplicate key") == logged_before


def _race_begin(url: str, barrier: Barrier, results: multiprocessing.Queue[bool]) -> None:
    ledger = SqlLedger(url)
    barrier.wait()
    results.put(ledger.begin(KEY, MESSAGE_ID, (DISTRICT,)).owned)


def test_processes_racing_begin_on_one_key_yield_exactly_one_owner(ledger_url: str) -> None:
    SqlLedger(ledger_url).dispose()
    context = racing_processes()
    racers = 6
    barrier = context.Barrier(racers)
    results: multiprocessing.Queue[bool] = context.Queue()
    processes = [context.Process(target=_race_begin, args=(ledger_url, barrier, results)) for _ in range(racers)]
    for process in processes:
        process.start()
    owned = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert sorted(owned) == [False] * (racers - 1) + [True]
    assert len(SqlLedger(ledger_url).all()) == 1


def test_workers_opening_a_fresh_ledger_at_once_all_get_its_tables(ledger_url: str) -> None:
    """A district's workers start together on an empty database: creating the tables must fail for none of them.

    Threads, not processes: each has its own engine and connection, and they reach CREATE TABLE close enough
    together to collide (PostgreSQL did, about one open in three, before the schema lock).
    """
    racers = 8
    barrier = threading.Barrier(racers)
    outcomes: list[str] = []

    def open_and_begin() -> None:
        barrier.wait()
        try:
            ledger = SqlLedger(ledger_url)
            outcomes.append("owned" if ledger.begin(KEY, MESSAGE_ID, (DISTRICT,)).owned else "seen")
            ledger.dispose()
        except Exception as error:  # shown by the assertion below
            outcomes.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=open_and_begin) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["owned"] + ["seen"] * (racers - 1)


def test_a_fresh_sqlite_file_another_connection_is_writing_waits_for_it_instead_of_failing(tmp_path: Path) -> None:
    """The race above, made certain: while another connection holds the write lock of a file not yet in WAL,
    SQLite refuses the switch to WAL at once, without its busy handler (CI saw it once in the racing test).
    Opening the ledger must wait for the writer, as the busy timeout says, and then work."""
    path = tmp_path / "ledger.sqlite3"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("CREATE TABLE written_first (x)")
    committer = threading.Timer(0.3, writer.execute, ("COMMIT",))
    committer.start()
    try:
        ledger = SqlLedger(f"sqlite:///{path}", busy_timeout=10)
        assert ledger.begin(KEY, MESSAGE_ID, (DISTRICT,)).owned
        ledger.dispose()
    finally:
        committer.join()
        writer.close()
    with closing(sqlite3.connect(path)) as reader:
        assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def _race_numbers(url: str, worker: int, count: int, barrier: Barrier,
                  results: multiprocessing.Queue[list[tuple[str, int]]]) -> None:
    ledger = SqlLedger(url)
    barrier.wait()
    taken = []
    for i in range(count):
        key = DeliveryKey("lax", f"D{worker}-{i}", 1)
        taken.append((key.deadline_id, ledger.take_number(key, 2024, "BC-LAX").number))
    results.put(taken)


def test_processes_taking_document_numbers_at_once_never_share_one(ledger_url: str) -> None:
    SqlLedger(ledger_url).dispose()
    context = racing_processes()
    racers, each = 4, 15
    barrier = context.Barrier(racers)
    results: multiprocessing.Queue[list[tuple[str, int]]] = context.Queue()
    processes = [context.Process(target=_race_numbers, args=(ledger_url, w, each, barrier, results))
                 for w in range(racers)]
    for process in processes:
        process.start()
    taken = [pair for _ in processes for pair in results.get(timeout=120)]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert sorted(number for _, number in taken) == list(range(1, racers * each + 1))  # no gap, no duplicate
    assert len({deadline for deadline, _ in taken}) == racers * each


def test_a_report_version_keeps_its_number_and_a_replacement_takes_a_new_one(ledger: SqlLedger) -> None:
    first = ledger.take_number(DeliveryKey("lax", "D3", 1), 2024, "BC-LAX")
    assert (first.number, first.year, first.symbol) == (1, 2024, "BC-LAX")
    assert ledger.take_number(DeliveryKey("lax", "D3", 1), 2024, "BC-LAX") == first  # a re-run: the same number
    assert ledger.take_number(DeliveryKey("lax", "D3", 2), 2024, "BC-LAX").number == 2  # never reused
    assert ledger.take_number(DeliveryKey("lax", "D4", 1), 2024, "KH-LAX").number == 1  # another symbol
    assert ledger.take_number(DeliveryKey("lax", "D1", 1), 2025, "BC-LAX").number == 1  # a new year from 01
    assert ledger.take_number(DeliveryKey("other", "D3", 1), 2024, "BC-LAX").number == 1  # another school
    assert ledger.number_of(DeliveryKey("lax", "D3", 1)) == first
    assert ledger.number_of(DeliveryKey("lax", "D9", 1)) is None
