"""Snapshot format: one JSON file per service (``drive.json``, ``sheets.json``, ...) in a folder.

``thidua emulator --seed DIR`` loads the same files a snapshot writes, so a seeded school can be prepared once
and replayed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.state import Workspace

SERVICES = ("drive", "sheets", "docs", "forms", "gmail")


def save(workspace: Workspace, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in workspace.to_json().items():
        target = folder / f"{name}.json"
        tmp = target.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(target)


def load(workspace: Workspace, folder: Path) -> None:
    if not folder.is_dir():
        raise FileNotFoundError(f"Seed folder {folder} does not exist.")
    data = {}
    for name in SERVICES:
        path = folder / f"{name}.json"
        if path.exists():
            data[name] = json.loads(path.read_text(encoding="utf-8"))
    workspace.load_json(data)
