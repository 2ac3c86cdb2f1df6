"""How the quota wait talks to a Prefect server: a write refused because SQLite was busy is tried again at once,
a full limit waits what the server says, and a missing limit is an error, not a free pass.

The server here is a loopback HTTP server answering as Prefect's does (prefect/server/api/server.py answers 503
`{"exception_message": "Service Unavailable"}` when SQLite is busy; concurrency_limits_v2.py answers 423 with
Retry-After when a limit is full). A real server's lost write race cannot be provoked on purpose; its other
answers are pinned against a real server in test_quota.py.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.quota import occupy

Answer = tuple[int, dict[str, str], object]

NAME = "google-drive_queries-user-a"
BUSY: Answer = (503, {}, {"exception_message": "Service Unavailable"})
LIMIT = {"id": "6f0c1d1e-0000-4000-8000-000000000000", "name": NAME, "limit": 1200}


class PrefectLike:
    """Answers each increment with the next scripted (status, headers, body), recording when it came."""

    def __init__(self) -> None:
        self.answers: list[Answer] = []
        self.increments: list[float] = []
        self.client: SyncPrefectClient
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the client asks for a CSRF token first; Prefect's default has none
                self._answer(422, {}, {"detail": "CSRF protection is disabled."})

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                assert self.path == "/api/v2/concurrency_limits/increment", self.path
                owner.increments.append(time.monotonic())
                self._answer(*owner.answers.pop(0))

            def _answer(self, status: int, headers: dict[str, str], body: object) -> None:
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(json.dumps(body).encode())

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/api"


@pytest.fixture
def prefect_like() -> Iterator[PrefectLike]:
    server = PrefectLike()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    with temporary_settings({PREFECT_API_URL: server.url}), get_client(sync_client=True) as client:
        server.client = client
        yield server
    server.server.shutdown()
    server.server.server_close()


def test_a_write_refused_for_a_busy_database_is_tried_again_within_a_moment(prefect_like: PrefectLike) -> None:
    """Prefect's own client waits about 2 s before each retry of a 503 (1.6 s at the least, with its jitter)."""
    prefect_like.answers = [BUSY, BUSY, BUSY, (200, {}, [LIMIT])]
    occupy(prefect_like.client, [NAME], 1, timeout_seconds=30)
    assert len(prefect_like.increments) == 4
    gaps = [later - earlier for earlier, later in itertools.pairwise(prefect_like.increments)]
    assert max(gaps) < 1.0, gaps


def test_a_full_limit_waits_the_retry_after_the_server_gives(prefect_like: PrefectLike) -> None:
    prefect_like.answers = [(423, {"Retry-After": "0.4"}, {"detail": "Locked"}), (200, {}, [LIMIT])]
    occupy(prefect_like.client, [NAME], 1, timeout_seconds=30)
    first, second = prefect_like.increments
    assert second - first >= 0.4


def test_a_wait_longer_than_the_timeout_fails_without_waiting_it_out(prefect_like: PrefectLike) -> None:
    prefect_like.answers = [(423, {"Retry-After": "300"}, {"detail": "Locked"})]
    with pytest.raises(TimeoutError, match="no room in google-drive_queries-user-a within 5 s"):
        occupy(prefect_like.client, [NAME], 1, timeout_seconds=5)
    assert len(prefect_like.increments) == 1


def test_a_limit_the_server_does_not_have_is_an_error(prefect_like: PrefectLike) -> None:
    prefect_like.answers = [(200, {}, [LIMIT])]  # two names asked, one known: Prefect skips the unknown one
    with pytest.raises(LookupError, match="run ensure_limits first"):
        occupy(prefect_like.client, [NAME, "google-drive_queries-project-p"], 1, timeout_seconds=5)


def test_any_other_refusal_is_raised(prefect_like: PrefectLike) -> None:
    prefect_like.answers = [(500, {}, {"exception_message": "Internal Server Error"})]
    with pytest.raises(Exception, match="500"):
        occupy(prefect_like.client, [NAME], 1, timeout_seconds=5)
