"""Session-wide fixtures: one real Prefect server (`prefect server start`, SQLite, loopback) for the whole run, and,
for what a district shares, a throwaway PostgreSQL cluster (the district's Prefect server on it lives only as long
as tests/server/test_district_server.py, its one user: an idle Prefect server costs about 2.5 s of CPU a minute).

Start them once, not per test: tests that run flows in this process use `prefect_api`, which points Prefect's client
at the server; tests that start workers or the CLI pass `PrefectServer.env` to their subprocesses.

Under pytest-xdist (scripts/test.sh runs `--dist loadfile`) the controller starts the SQLite server as the run
begins and every worker uses it (a server's start costs 20-25 s of CPU), as a school's flows share the school's
server. Tests on it therefore never look a run up by its name alone: each filters by a tag of its own, its run's id,
or its plan's path, since another worker may be running the same plan's deadline at the same moment. Each test
module stays on one worker (its module fixtures run once), and the slowest modules are handed out first, so the
last one to start is a short one.

Every process a test worker starts (flow runs, the CLI, demos, emulators) converts its PDFs with the worker's one
LibreOffice (`THIDUA_PDF_HOST`, connectors/pdf.py), as a worker host's flow runs do, instead of starting its own.
Tests that need a process's own LibreOffice (its limits inherited, its life tied to the process) remove the variable.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.libreoffice import HOST_ENV, stop_host
from tests.postgres import PG_ROOT, PostgresCluster, find_bindir, temporary_cluster
from tests.prefect_server import PrefectServer, pointing_at, serving_prefect, starting_prefect, wait_until_healthy

REPO = Path(__file__).resolve().parents[1]
SHARED_SERVER_ENV = "THIDUA_TEST_PREFECT_SERVER"  # the controller's server, for every xdist worker
_CONTROLLER_RESOURCES = pytest.StashKey[contextlib.ExitStack]()

# Slowest first (pytest --durations), then every other module in collection order: xdist hands the first N modules
# to its N workers one each, then the next to whichever worker is free.
SLOWEST_MODULES = (
    "tests/server/test_real_server.py",
    "tests/server/test_district_server.py",
    "tests/e2e/test_demo.py",  # the local demo, which test_google_demo.py compares with at its end
    "tests/e2e/test_google_demo.py",
    "tests/e2e/test_district_demo.py",
    "tests/golive/test_report_command.py",
    "tests/hostile/test_disk_full.py",
    "tests/google/test_doctor.py",
    "tests/server/test_approval.py",
)


def _runs_tests(config: pytest.Config) -> bool:
    """An xdist worker, or a run without xdist; not an xdist controller, which runs (and converts) nothing."""
    return hasattr(config, "workerinput") or not config.getoption("numprocesses", None)


def pytest_configure(config: pytest.Config) -> None:
    """This test process's PDF host, inherited by every process it starts (one per xdist worker, so the workers
    never wait for each other's conversions); on an xdist controller, the run's Prefect server, started before the
    workers are (they inherit its address) and waited for by the first test that needs it."""
    if _runs_tests(config):
        os.environ[HOST_ENV] = tempfile.mkdtemp(prefix="thidua-pdf-host-")
        return
    resources = config.stash[_CONTROLLER_RESOURCES] = contextlib.ExitStack()
    home = Path(tempfile.mkdtemp(prefix="thidua-prefect-home-"))
    resources.callback(shutil.rmtree, home, ignore_errors=True)
    server, _ = resources.enter_context(starting_prefect(home))
    os.environ[SHARED_SERVER_ENV] = server.to_json()


def pytest_unconfigure(config: pytest.Config) -> None:
    host = os.environ.get(HOST_ENV)
    if host and _runs_tests(config):
        stop_host(Path(host))
        shutil.rmtree(host, ignore_errors=True)
    if _CONTROLLER_RESOURCES in config.stash:
        config.stash[_CONTROLLER_RESOURCES].close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slowest modules first (a stable sort: each module's own order is kept); harmless without xdist."""
    rank = {module: n for n, module in enumerate(SLOWEST_MODULES)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    shared = os.environ.get(SHARED_SERVER_ENV)
    if shared:
        server = PrefectServer.from_json(shared)
        wait_until_healthy(server)
        yield server
        return
    with serving_prefect(tmp_path_factory.mktemp("prefect-home")) as server:
        yield server


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL cluster for the run (tests/postgres.py); each user creates its own databases."""
    if find_bindir() is None:
        pytest.skip(f"PostgreSQL is not installed: no server binaries under {PG_ROOT}/*/bin "
                    "(scripts/bootstrap.sh installs Debian's postgresql)")
    with temporary_cluster() as cluster:
        yield cluster


@pytest.fixture
def prefect_api(prefect_server: PrefectServer) -> Iterator[PrefectServer]:
    """Flows run in this process talk to the session's server."""
    with pointing_at(prefect_server) as server:
        yield server
