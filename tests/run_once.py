"""What a test run makes once and every xdist worker reads: the demo's output, the reports the document tests read.

Under pytest-xdist a session fixture runs once per worker. The first worker to ask makes the thing under a file lock
in the run's shared temporary directory and leaves it there; the others wait and read it (pytest-xdist's documented
pattern for a session fixture run once).
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest


def once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str,
                 make: Callable[[Path], Any]) -> tuple[Path, Any]:
    """The run's folder `name` and `make(folder)`'s record (JSON), made by the first process of the run to ask; the
    others wait for it and read the record, and only read the folder."""
    root = _run_root(tmp_path_factory)
    folder, record = root / name, root / f"{name}.json"
    with _exclusive(root / f"{name}.lock"):
        if not record.exists():
            record.write_text(json.dumps(make(folder)), encoding="utf-8")
        return folder, json.loads(record.read_text(encoding="utf-8"))


def _run_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's temporary directory, shared by every xdist worker (each worker's own is a child of it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    """Held by one process of the run at a time."""
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
