"""The delivery ledger in a SQLite file: one row per (school, deadline, version), written before and after sending.

The primary key makes `begin` a claim only one process can win; WAL and short IMMEDIATE transactions let
several processes (Prefect workers, the CLI) share the file safely.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from connectors.ports import DeliveryKey, DeliveryRecord, DeliveryState

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    school_id   TEXT    NOT NULL,
    deadline_id TEXT    NOT NULL,
    version     INTEGER NOT NULL CHECK (version >= 1),
    message_id  TEXT    NOT NULL UNIQUE,
    recipients  TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('pending', 'sent')),
    begun_at    TEXT    NOT NULL,
    sent_at     TEXT,
    attempt     INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (school_id, deadline_id, version),
    CHECK ((state = 'sent') = (sent_at IS NOT NULL))
)
"""
_COLUMNS = "school_id, deadline_id, version, message_id, recipients, state, begun_at, sent_at, attempt"
_WHERE_KEY = "school_id = ? AND deadline_id = ? AND version = ?"


class LedgerError(Exception):
    """The ledger was asked something inconsistent with what it holds."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    if moment.utcoffset() is None:
        raise ValueError(f"ledger times must carry a UTC offset, got naive {moment!r}")
    return moment.isoformat()


class SqliteLedger:
    """Ledger over a SQLite file; each call opens its own connection, so it is safe to use after fork."""

    def __init__(self, path: Path, *, clock: Callable[[], datetime] = _utc_now, busy_timeout: float = 30.0) -> None:
        self.path = path
        self._clock = clock
        self._busy_timeout = busy_timeout
        with self._transaction() as db:
            db.execute(_SCHEMA)

    def begin(self, key: DeliveryKey, message_id: str, recipients: tuple[str, ...]) -> DeliveryRecord:
        try:
            with self._transaction() as db:
                inserted = db.execute(
                    f"INSERT INTO deliveries ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, 'pending', ?, NULL, 1)"
                    " ON CONFLICT (school_id, deadline_id, version) DO NOTHING",
                    (*_key_values(key), message_id, json.dumps(list(recipients)), _iso(self._clock())),
                ).rowcount
                record = self._select(db, key)
        except sqlite3.IntegrityError as error:
            raise LedgerError(f"{message_id} is already recorded for another delivery than {key}") from error
        # Inserted or already there: either way read back in the same transaction.
        assert record is not None
        return replace(record, owned=True) if inserted else record

    def reclaim(self, key: DeliveryKey, attempt: int) -> DeliveryRecord:
        with self._transaction() as db:
            won = db.execute(
                f"UPDATE deliveries SET attempt = attempt + 1, begun_at = ?"
                f" WHERE {_WHERE_KEY} AND state = 'pending' AND attempt = ?",
                (_iso(self._clock()), *_key_values(key), attempt),
            ).rowcount
            record = self._select(db, key)
        if record is None:
            raise LedgerError(f"no delivery recorded for {key}")
        return replace(record, owned=True) if won else record

    def mark_sent(self, key: DeliveryKey, sent_at: datetime) -> DeliveryRecord:
        with self._transaction() as db:
            db.execute(
                f"UPDATE deliveries SET state = 'sent', sent_at = ? WHERE {_WHERE_KEY} AND state = 'pending'",
                (_iso(sent_at), *_key_values(key)),
            )
            record = self._select(db, key)
        if record is None:
            raise LedgerError(f"cannot mark {key} sent: it was never begun")
        return record

    def get(self, key: DeliveryKey) -> DeliveryRecord | None:
        with self._transaction() as db:
            return self._select(db, key)

    def all(self) -> list[DeliveryRecord]:
        with self._transaction() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM deliveries ORDER BY school_id, deadline_id, version")
            return [_record(row) for row in rows]

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: takes the write lock up front, so read-then-write cannot interleave."""
        with closing(sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None)) as db:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @staticmethod
    def _select(db: sqlite3.Connection, key: DeliveryKey) -> DeliveryRecord | None:
        row = db.execute(f"SELECT {_COLUMNS} FROM deliveries WHERE {_WHERE_KEY}", _key_values(key)).fetchone()
        return None if row is None else _record(row)


def _key_values(key: DeliveryKey) -> tuple[str, str, int]:
    return (key.school_id, key.deadline_id, key.version)


def _record(row: tuple[str, str, int, str, str, str, str, str | None, int]) -> DeliveryRecord:
    (school_id, deadline_id, version, message_id, recipients, state, begun_at, sent_at, attempt) = row
    return DeliveryRecord(
        key=DeliveryKey(school_id, deadline_id, version),
        message_id=message_id,
        recipients=tuple(json.loads(recipients)),
        state=DeliveryState(state),
        begun_at=datetime.fromisoformat(begun_at),
        sent_at=None if sent_at is None else datetime.fromisoformat(sent_at),
        attempt=attempt,
    )
