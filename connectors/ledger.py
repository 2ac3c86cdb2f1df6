"""The delivery ledger (connectors.ports.Ledger) on any SQLAlchemy database, for every backend: one row per
(school, deadline, version), before and after sending.

The primary key makes `begin` a claim only one process can win, and `reclaim` a compare-and-set on `attempt`, on
any database (SQLite by default, the Prefect server's Postgres in production). On SQLite, WAL and IMMEDIATE
transactions let several processes (Prefect workers, the CLI) share the file safely. On PostgreSQL, which a
district's workers share, READ COMMITTED makes the losing insert wait for the winner and then see its row, and a
lock serialises the first creation of the tables. The same database keeps the principal's approvals, so what was
approved is what gets sent, and the school's register of outgoing-document numbers, so that two workers never
take the same number.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from connectors.ports import Approval, DeliveryKey, DeliveryRecord, DeliveryState, DocumentNumber, OutputFullError
from connectors.writing import no_room

_metadata = sa.MetaData()
_deliveries = sa.Table(
    "deliveries", _metadata,
    sa.Column("school_id", sa.Text, primary_key=True),
    sa.Column("deadline_id", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, sa.CheckConstraint("version >= 1"), primary_key=True),
    sa.Column("message_id", sa.Text, nullable=False, unique=True),
    sa.Column("recipients", sa.Text, nullable=False),
    sa.Column("state", sa.Text, sa.CheckConstraint("state IN ('pending', 'sent')"), nullable=False),
    sa.Column("begun_at", sa.Text, nullable=False),
    sa.Column("sent_at", sa.Text),
    sa.Column("attempt", sa.Integer, nullable=False, server_default="1"),
    sa.CheckConstraint("(state = 'sent') = (sent_at IS NOT NULL)"),
)
_approvals = sa.Table(
    "approvals", _metadata,
    sa.Column("school_id", sa.Text, primary_key=True),
    sa.Column("deadline_id", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("report", sa.Text, nullable=False),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("approved_by", sa.Text, nullable=False),
    sa.Column("approved_at", sa.Text, nullable=False),
    sa.Column("comment", sa.Text, nullable=False, server_default=""),
)


_numbers = sa.Table(
    "document_numbers", _metadata,
    sa.Column("school_id", sa.Text, primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("symbol", sa.Text, primary_key=True),
    sa.Column("number", sa.Integer, sa.CheckConstraint("number >= 1"), primary_key=True),
    sa.Column("deadline_id", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("taken_at", sa.Text, nullable=False),
    sa.UniqueConstraint("school_id", "deadline_id", "version", name="one_number_per_report_version"),
)


# Held while the tables are created on PostgreSQL, where two workers' CREATE TABLE on an empty database collide.
_SCHEMA_LOCK = int.from_bytes(b"thidua/L", "big")


class LedgerError(Exception):
    """The ledger was asked something inconsistent with what it holds."""


# SQLite's primary result codes for "database or disk is full" and for an I/O error (which a write refused by the
# file-size limit, EFBIG, becomes); PostgreSQL's SQLSTATE disk_full.
_SQLITE_FULL, _SQLITE_IOERR, _PG_DISK_FULL = 13, 10, "53100"
_SQLITE_BUSY = 5


def _sqlite_code(error: sqlite3.Error) -> int:
    """SQLite's primary result code for the error (the extended code's low byte)."""
    return (getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF


def _disk_full(error: DBAPIError, engine: Engine) -> bool:
    """Whether the database refused a write for want of room."""
    original = error.orig
    if isinstance(original, sqlite3.Error):
        code = _sqlite_code(original)
        folder = Path(engine.url.database or ".").resolve().parent
        return code == _SQLITE_FULL or (code == _SQLITE_IOERR and no_room(folder))
    return getattr(original, "sqlstate", None) == _PG_DISK_FULL


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    if moment.utcoffset() is None:
        raise ValueError(f"ledger times must carry a UTC offset, got naive {moment!r}")
    return moment.isoformat()


def _sync_url(url: str) -> sa.URL:
    """PostgreSQL through psycopg 3, the sync driver installed: `postgresql://` would ask for psycopg2, and the
    Prefect server's `postgresql+asyncpg://` URL (which a district may reuse) is async only."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


def _enter_wal(dbapi_connection: sqlite3.Connection, busy_timeout: float) -> None:
    """Switches the file to WAL, waiting for other connections as the busy timeout says.

    A fresh file's switch needs its exclusive lock. When several workers open it at once, SQLite refuses one of
    them at once with SQLITE_BUSY, without calling the busy handler, because waiting could deadlock (sqlite.org,
    "Register A Callback To Handle SQLITE_BUSY Errors"); so the switch is tried again here. Once the file is in
    WAL, which lasts, the statement takes no lock.
    """
    give_up = time.monotonic() + busy_timeout
    while True:
        try:
            dbapi_connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if _sqlite_code(error) != _SQLITE_BUSY or time.monotonic() >= give_up:
                raise
            time.sleep(0.01)


def _engine(url: str, busy_timeout: float) -> Engine:
    parsed = _sync_url(url)
    # NullPool everywhere: a connection per call, so the ledger is safe to use after fork, holds no SQLite file
    # open, and keeps no idle PostgreSQL connections from every worker of a district.
    if parsed.get_backend_name() != "sqlite":
        # Explicit, not the server's default: the claims below rely on READ COMMITTED's re-read after a wait.
        return sa.create_engine(parsed, poolclass=sa.pool.NullPool, isolation_level="READ COMMITTED")
    engine = sa.create_engine(parsed, poolclass=sa.pool.NullPool, connect_args={"timeout": busy_timeout})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below be the only one
        _enter_wal(dbapi_connection, busy_timeout)
        dbapi_connection.execute("PRAGMA synchronous = FULL")

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock up front: no read-then-write interleaving

    return engine


class SqlLedger:
    """Ledger over a SQLAlchemy URL (`sqlite:///out/deliveries.sqlite`, `postgresql+psycopg://…`)."""

    def __init__(self, url: str, *, clock: Callable[[], datetime] = _utc_now, busy_timeout: float = 30.0) -> None:
        self.url = url
        self._clock = clock
        self._engine = _engine(url, busy_timeout)
        with self._transaction() as db:
            if db.dialect.name == "postgresql":
                db.execute(sa.select(sa.func.pg_advisory_xact_lock(_SCHEMA_LOCK)))
            _metadata.create_all(db)

    def begin(self, key: DeliveryKey, message_id: str, recipients: tuple[str, ...]) -> DeliveryRecord:
        """Claims a delivery as pending before sending, so a second run for the same report does not send it too."""
        begun_at = _iso(self._clock())
        with self._transaction() as db:
            won = _insert_unless_taken(db, _deliveries, {
                **_key_values(key), "message_id": message_id, "recipients": json.dumps(list(recipients)),
                "state": "pending", "begun_at": begun_at, "sent_at": None, "attempt": 1,
            })
            record = self._select(db, key)
        if record is None:  # nothing inserted and no row for the key: the Message-ID serves another key
            raise LedgerError(f"{message_id} is already recorded for another delivery than {key}")
        return replace(record, owned=True) if won else record

    def reclaim(self, key: DeliveryKey, attempt: int) -> DeliveryRecord:
        """Takes over a stale pending delivery for a new attempt; only one of several racing runs wins."""
        with self._transaction() as db:
            won = db.execute(
                _deliveries.update()
                .where(*_key_clause(_deliveries, key), _deliveries.c.state == "pending",
                       _deliveries.c.attempt == attempt)
                .values(attempt=_deliveries.c.attempt + 1, begun_at=_iso(self._clock()))
            ).rowcount
            record = self._select(db, key)
        if record is None:
            raise LedgerError(f"no delivery recorded for {key}")
        return replace(record, owned=True) if won else record

    def mark_sent(self, key: DeliveryKey, sent_at: datetime,
                  recipients: tuple[str, ...] | None = None) -> DeliveryRecord:
        """Records that the message left, with who actually got it when the server refused some."""
        values: dict[str, str] = {"state": "sent", "sent_at": _iso(sent_at)}
        if recipients is not None:  # the server refused the others: the record keeps who has it
            values["recipients"] = json.dumps(list(recipients))
        with self._transaction() as db:
            db.execute(
                _deliveries.update()
                .where(*_key_clause(_deliveries, key), _deliveries.c.state == "pending")
                .values(**values)
            )
            record = self._select(db, key)
        if record is None:
            raise LedgerError(f"cannot mark {key} sent: it was never begun")
        return record

    def release(self, key: DeliveryKey, attempt: int) -> None:
        """Drops a pending claim whose send certainly failed, so the next run may try again."""
        with self._transaction() as db:
            db.execute(_deliveries.delete().where(*_key_clause(_deliveries, key), _deliveries.c.state == "pending",
                                                  _deliveries.c.attempt == attempt))

    def get(self, key: DeliveryKey) -> DeliveryRecord | None:
        """The delivery record of one report version, or None if it was never begun."""
        with self._transaction() as db:
            return self._select(db, key)

    def all(self) -> list[DeliveryRecord]:
        """Every delivery, ordered by school, deadline and version, for status and the district roll-up."""
        with self._transaction() as db:
            rows = db.execute(sa.select(_deliveries).order_by(
                _deliveries.c.school_id, _deliveries.c.deadline_id, _deliveries.c.version))
            return [_record(row._mapping) for row in rows]

    def history(self, school_id: str, deadline_id: str) -> list[DeliveryRecord]:
        """Every version of one deadline's report, oldest first."""
        with self._transaction() as db:
            rows = db.execute(sa.select(_deliveries).where(
                _deliveries.c.school_id == school_id, _deliveries.c.deadline_id == deadline_id,
            ).order_by(_deliveries.c.version))
            return [_record(row._mapping) for row in rows]

    def approve(self, key: DeliveryKey, report: Path, sha256: str, approved_by: str, comment: str = "") -> Approval:
        """Record the approval of `report`; the first approval of a version stands (a repeat returns it)."""
        with self._transaction() as db:
            _insert_unless_taken(db, _approvals, {
                **_key_values(key), "report": str(report), "sha256": sha256, "approved_by": approved_by,
                "approved_at": _iso(self._clock()), "comment": comment,
            })
        found = self.approval(key)
        assert found is not None
        return found

    def approval(self, key: DeliveryKey) -> Approval | None:
        """The principal's decision on a report version, or None while none was recorded."""
        with self._transaction() as db:
            row = db.execute(sa.select(_approvals).where(*_key_clause(_approvals, key))).first()
        if row is None:
            return None
        values = row._mapping
        return Approval(key=key, report=Path(values["report"]), sha256=values["sha256"],
                        approved_by=values["approved_by"], approved_at=datetime.fromisoformat(values["approved_at"]),
                        comment=values["comment"])

    def take_number(self, key: DeliveryKey, year: int, symbol: str) -> DocumentNumber:
        """The next number of the register (school, year, symbol), taken once per report version. One allocator
        at a time per register: SQLite's IMMEDIATE transaction, PostgreSQL's transaction-scoped advisory lock
        (after which READ COMMITTED sees the previous holder's number); elsewhere the primary key refuses a
        duplicate and the allocation is tried again."""
        for _ in range(20):
            try:
                with self._transaction() as db:
                    if db.dialect.name == "postgresql":
                        db.execute(sa.select(sa.func.pg_advisory_xact_lock(_register_lock(key.school_id, year,
                                                                                          symbol))))
                    found = self._number(db, key)
                    if found is not None:
                        return found
                    highest = db.execute(sa.select(sa.func.max(_numbers.c.number)).where(
                        _numbers.c.school_id == key.school_id, _numbers.c.year == year,
                        _numbers.c.symbol == symbol)).scalar()
                    db.execute(_numbers.insert().values(
                        school_id=key.school_id, year=year, symbol=symbol, number=(highest or 0) + 1,
                        deadline_id=key.deadline_id, version=key.version, taken_at=_iso(self._clock())))
                    taken = self._number(db, key)
                    assert taken is not None
                    return taken
            except IntegrityError:  # another database, another allocator won this number: take the next
                continue
        raise LedgerError(f"could not take a document number for {key} in {year} {symbol}")

    def number_of(self, key: DeliveryKey) -> DocumentNumber | None:
        """The document number given to a report version, or None before one was given."""
        with self._transaction() as db:
            return self._number(db, key)

    @staticmethod
    def _number(db: Connection, key: DeliveryKey) -> DocumentNumber | None:
        row = db.execute(sa.select(_numbers).where(
            _numbers.c.school_id == key.school_id, _numbers.c.deadline_id == key.deadline_id,
            _numbers.c.version == key.version)).first()
        if row is None:
            return None
        values = row._mapping
        return DocumentNumber(key, values["year"], values["symbol"], values["number"],
                              datetime.fromisoformat(values["taken_at"]))

    def dispose(self) -> None:
        """Closes the database connections, so a finished run leaves none open."""
        self._engine.dispose()

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """One transaction; a full disk rolls it back whole (the ledger keeps what it held) and is said as such."""
        try:
            with self._engine.begin() as connection:
                yield connection
        except DBAPIError as error:
            if _disk_full(error, self._engine):
                raise OutputFullError(self._where(), "sổ gửi thư") from error
            raise

    def _where(self) -> str:
        """The ledger's file (SQLite) or its database's name, never a password."""
        url = self._engine.url
        if url.get_backend_name() == "sqlite":
            return str(Path(url.database or "").resolve())
        return url.render_as_string(hide_password=True)

    @staticmethod
    def _select(db: Connection, key: DeliveryKey) -> DeliveryRecord | None:
        row = db.execute(sa.select(_deliveries).where(*_key_clause(_deliveries, key))).first()
        return None if row is None else _record(row._mapping)


class SqliteLedger(SqlLedger):
    """The default: a SQLite file next to the run's output."""

    def __init__(self, path: Path, *, clock: Callable[[], datetime] = _utc_now, busy_timeout: float = 30.0) -> None:
        self.path = path
        super().__init__(f"sqlite:///{path}", clock=clock, busy_timeout=busy_timeout)


def _register_lock(school_id: str, year: int, symbol: str) -> int:
    """A PostgreSQL advisory lock key (signed 64-bit) for one register of outgoing documents."""
    digest = hashlib.sha256(f"thidua/numbers/{school_id}/{year}/{symbol}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _insert_unless_taken(db: Connection, table: sa.Table, values: dict[str, Any]) -> bool:
    """Insert the row unless a unique key is taken; True if inserted. ON CONFLICT DO NOTHING rather than catching
    IntegrityError: on PostgreSQL every re-run's repeated `begin` would otherwise log a duplicate-key ERROR."""
    dialect = {"postgresql": postgresql, "sqlite": sqlite}.get(db.dialect.name)
    if dialect is not None:
        # RETURNING, not rowcount: with psycopg, SQLAlchemy reports rowcount -1 for this insert, inserted or not.
        inserted = dialect.insert(table).values(**values).on_conflict_do_nothing().returning(table.c.school_id)
        return db.execute(inserted).first() is not None
    try:  # another database: a plain insert in a savepoint, its duplicate-key error meaning "taken"
        with db.begin_nested():
            db.execute(table.insert().values(**values))
        return True
    except IntegrityError:
        return False


def _key_values(key: DeliveryKey) -> dict[str, Any]:
    return {"school_id": key.school_id, "deadline_id": key.deadline_id, "version": key.version}


def _key_clause(table: sa.Table, key: DeliveryKey) -> tuple[sa.ColumnElement[bool], ...]:
    return (table.c.school_id == key.school_id, table.c.deadline_id == key.deadline_id,
            table.c.version == key.version)


def _record(row: Any) -> DeliveryRecord:
    return DeliveryRecord(
        key=DeliveryKey(row["school_id"], row["deadline_id"], row["version"]),
        message_id=row["message_id"],
        recipients=tuple(json.loads(row["recipients"])),
        state=DeliveryState(row["state"]),
        begun_at=datetime.fromisoformat(row["begun_at"]),
        sent_at=None if row["sent_at"] is None else datetime.fromisoformat(row["sent_at"]),
        attempt=row["attempt"],
    )
