"""Requests per second the emulator serves on this machine: ``uv run python -m emulator.bench``.

Measures ``spreadsheets.values.get`` (a 50×4 range) over loopback for a fixed time, from one client thread and
from several, through googleapiclient (the product's path) and through a bare requests session (less client
overhead), against the emulator in this process (client and server share the GIL) and in its own process
(``python -m emulator.cli``, as ``thidua emulator`` runs it), and prints a table.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import requests
import typer
from rich.console import Console
from rich.table import Table

from connectors.google import endpoints
from emulator.accounts import fake_service_account
from emulator.server import EmulatorConfig, WorkspaceEmulator
from emulator.testing import ALL_SCOPES, DEFAULT_USER

Row = tuple[str, str, int, int, float]


def _run(threads: int, seconds: float, make_call: Callable[[], Callable[[], object]]) -> tuple[int, float]:
    counts = [0] * threads
    calls = [make_call() for _ in range(threads)]
    stop = time.monotonic() + seconds

    def work(i: int) -> None:
        call = calls[i]
        while time.monotonic() < stop:
            call()
            counts[i] += 1

    started = time.monotonic()
    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(counts), time.monotonic() - started


@contextmanager
def _in_process() -> Iterator[str]:
    with WorkspaceEmulator(EmulatorConfig(quotas_enabled=False)) as emulator:
        yield emulator.base_url


@contextmanager
def _own_process() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator.cli", "--port", str(port), "--no-quotas"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(base_url + "/_emulator/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the emulator process did not start")
            time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=20)


def _measure(where: str, base_url: str, seconds: float, threads: int) -> list[Row]:
    account = fake_service_account()

    def credentials() -> object:
        return endpoints.service_account_credentials(account.info(base_url), ALL_SCOPES, DEFAULT_USER, base_url)

    sheets = endpoints.build_service("sheets", "v4", credentials(), base_url)  # type: ignore[arg-type]
    sid = sheets.spreadsheets().create(body={"properties": {"title": "Đo tốc độ"}}).execute()["spreadsheetId"]
    rows = [[f"Giáo viên {i}", "6A", i, f"=C{i + 1}*2"] for i in range(50)]
    sheets.spreadsheets().values().update(
        spreadsheetId=sid, range="A1", valueInputOption="USER_ENTERED", body={"values": rows}
    ).execute()

    def via_googleapiclient() -> Callable[[], object]:
        values = endpoints.build_service("sheets", "v4", credentials(), base_url).spreadsheets().values()  # type: ignore[arg-type]
        return lambda: values.get(spreadsheetId=sid, range="Sheet1!A1:D50").execute()

    def via_requests() -> Callable[[], object]:
        session = endpoints.authorized_session(credentials(), base_url)  # type: ignore[arg-type]
        url = f"https://sheets.googleapis.com/v4/spreadsheets/{sid}/values/Sheet1!A1:D50"
        return lambda: session.get(url).raise_for_status()

    results = []
    for label, maker in (("googleapiclient", via_googleapiclient), ("requests session", via_requests)):
        for count in sorted({1, threads}):
            done, elapsed = _run(count, seconds, maker)
            results.append((where, label, count, done, done / elapsed))
    return results


def bench(seconds: float = 5.0, threads: int = 4) -> list[Row]:
    results: list[Row] = []
    with _in_process() as base_url:
        results += _measure("same process", base_url, seconds, threads)
    with _own_process() as base_url:
        results += _measure("own process", base_url, seconds, threads)
    return results


def main(
    seconds: float = typer.Option(5.0, help="How long each measurement runs."),
    threads: int = typer.Option(4, help="Client threads for the concurrent runs."),
) -> None:
    table = Table(
        title=f"Workspace emulator: spreadsheets.values.get (50×4 cells) over loopback, {os.cpu_count()} CPUs"
    )
    for column in ("emulator", "client", "threads", "requests", "requests/s"):
        table.add_column(column)
    for where, label, count, done, rate in bench(seconds, threads):
        table.add_row(where, label, str(count), str(done), f"{rate:,.0f}")
    Console().print(table)


if __name__ == "__main__":
    typer.run(main)
