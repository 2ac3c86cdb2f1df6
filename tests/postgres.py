"""A throwaway PostgreSQL cluster from Debian's server binaries: temporary directory, loopback only, trust auth.

A district's workers share one ledger and one Prefect server on PostgreSQL, so tests need a real one; CI machines
have the binaries (scripts/bootstrap.sh) but no running service we could or should touch. Independent of pytest, so
a benchmark or a one-off script can use it too:

    with temporary_cluster() as cluster:
        url = cluster.url("prefect", "asyncpg")  # the database is created on first use
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PG_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "postgres"
HOST = "127.0.0.1"

# Durability is pointless for data deleted at exit; max_connections covers a Prefect server's pool plus racing tests.
SETTINGS: Mapping[str, str] = {
    "listen_addresses": HOST,
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}

_DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class PostgresUnavailable(RuntimeError):
    """No usable PostgreSQL here: binaries missing, or root without the `postgres` user to run them as."""


def find_bindir(root: Path = PG_ROOT) -> Path | None:
    """The newest `/usr/lib/postgresql/<version>/bin` that has a server, or None."""
    found = [path.parent for path in root.glob("*/bin/postgres") if path.is_file()]

    def version(bindir: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))

    return max(found, key=version, default=None)


def _identifier(name: str) -> str:
    """`name` if it is a plain lower-case identifier: spliced into SQL unquoted, it cannot mean anything else."""
    if not _DATABASE_NAME.fullmatch(name):
        raise ValueError(f"database names here are lower-case identifiers, got {name!r}")
    return name


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _clean_env() -> dict[str, str]:
    """The caller's environment without PG* variables, which would redirect psql and pg_isready elsewhere."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("PG")}, "LC_ALL": "C"}


@dataclass
class PostgresCluster:
    """A running cluster: SQLAlchemy URLs for its databases, each created on first use, and psql for checks."""

    bindir: Path
    directory: Path
    port: int
    _databases: set[str] = field(default_factory=lambda: {"postgres"}, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def url(self, database: str = "postgres", driver: str = "psycopg") -> str:
        """`postgresql+<driver>://postgres@127.0.0.1:<port>/<database>`; `driver=""` gives plain `postgresql://`."""
        self.create_database(database)
        scheme = f"postgresql+{driver}" if driver else "postgresql"
        return f"{scheme}://{SUPERUSER}@{HOST}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create `name` unless it exists (lower-case identifiers only, so no quoting surprises); returns it."""
        with self._lock:
            if _identifier(name) not in self._databases:
                # \gexec runs the generated CREATE only when the database is missing: one round trip, idempotent.
                self.psql(f"SELECT 'CREATE DATABASE {name}' WHERE NOT EXISTS "
                          f"(SELECT FROM pg_database WHERE datname = '{name}')\\gexec")
                self._databases.add(name)
        return name

    def drop_database(self, name: str) -> None:
        """Drop `name` even if clients are still connected, so per-test databases do not pile up on disk."""
        with self._lock:
            self.psql(f"DROP DATABASE IF EXISTS {_identifier(name)} WITH (FORCE)")
            self._databases.discard(name)

    def psql(self, script: str, database: str = "postgres") -> str:
        """Run `script` through psql as the superuser; rows come back unaligned, `|`-separated, one a line."""
        result = subprocess.run(
            [str(self.bindir / "psql"), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
             "-h", HOST, "-p", str(self.port), "-U", SUPERUSER, "-d", database],
            input=script, capture_output=True, text=True, env=_clean_env(), timeout=60,
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed on {database}: {result.stderr.strip()}")
        return result.stdout.strip()

    @property
    def log(self) -> Path:
        return self.directory / "postgres.log"


def _as_postgres_user() -> dict[str, Any]:
    """Popen arguments that drop root to `postgres` (the server refuses to run as root); nothing otherwise."""
    if os.geteuid() != 0:
        return {}
    try:
        pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise PostgresUnavailable(
            "running as root, and PostgreSQL refuses root, but there is no 'postgres' user to run it as "
            "(Debian's postgresql package creates it: scripts/bootstrap.sh)") from None
    # Like `setpriv --reuid=postgres --regid=postgres --clear-groups`, without a wrapper process in between.
    return {"user": SUPERUSER, "group": SUPERUSER, "extra_groups": []}


def _wait_ready(cluster: PostgresCluster, process: subprocess.Popen[bytes], timeout: float) -> bool:
    """True once the server accepts connections; False if it exited first (e.g. its port was taken meanwhile)."""
    deadline = time.monotonic() + timeout
    command = [str(cluster.bindir / "pg_isready"), "-q", "-h", HOST, "-p", str(cluster.port), "-U", SUPERUSER,
               "-d", "postgres", "-t", "1"]
    while True:
        if process.poll() is not None:
            return False
        if subprocess.run(command, env=_clean_env(), check=False).returncode == 0:
            return True
        if time.monotonic() > deadline:
            raise RuntimeError(f"PostgreSQL did not accept connections within {timeout:.0f} s:\n"
                               f"{cluster.log.read_text(errors='replace')}")
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Fast shutdown (clients disconnected), then immediate, then kill: the data is thrown away anyway."""
    for sig, wait in ((signal.SIGINT, 20), (signal.SIGQUIT, 10), (signal.SIGKILL, 10)):
        if process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def temporary_cluster(bindir: Path | None = None, *, start_timeout: float = 60.0) -> Iterator[PostgresCluster]:
    """Start a cluster in a fresh temporary directory on a free loopback port; stop it and delete it on exit."""
    bindir = bindir or find_bindir()
    if bindir is None:
        raise PostgresUnavailable(f"no PostgreSQL server binaries under {PG_ROOT}/*/bin (scripts/bootstrap.sh)")
    as_postgres = _as_postgres_user()
    # Under the default temp dir, not a deep pytest one: the socket path must stay under ~100 bytes.
    directory = Path(tempfile.mkdtemp(prefix="thidua-pg-"))
    try:
        if as_postgres:
            shutil.chown(directory, SUPERUSER, SUPERUSER)
        data = directory / "data"
        initdb = subprocess.run(
            [str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8",
             "--locale=C", "--no-sync"],
            cwd=directory, env=_clean_env(), capture_output=True, text=True, timeout=120, **as_postgres,
        )
        if initdb.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{initdb.stdout}{initdb.stderr}")
        for _ in range(5):  # a free port can be taken between the probe and the server's bind: try another
            cluster = PostgresCluster(bindir, directory, _free_port())
            settings = {**SETTINGS, "port": str(cluster.port), "unix_socket_directories": str(directory)}
            with cluster.log.open("ab") as log:
                process = subprocess.Popen(
                    [str(bindir / "postgres"), "-D", str(data),
                     *(arg for name, value in settings.items() for arg in ("-c", f"{name}={value}"))],
                    cwd=directory, env=_clean_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                    **as_postgres,
                )
            try:
                if _wait_ready(cluster, process, start_timeout):
                    break
            except BaseException:
                _stop(process)
                raise
        else:
            raise RuntimeError(f"PostgreSQL did not start:\n{cluster.log.read_text(errors='replace')}")
        try:
            yield cluster
        finally:
            _stop(process)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
