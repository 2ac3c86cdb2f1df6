"""One LibreOffice for a host's processes (`THIDUA_PDF_HOST`): the flow runs of a worker host, each its own
process, convert with one LibreOffice instead of starting one each; a conversion that times out kills it for
everyone and the next starts another; left idle, it stops itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from connectors import libreoffice
from connectors.libreoffice import HOST_ENV, stop_host
from connectors.local.documents import BuiltReport, pdf_text
from connectors.pdf import ConversionTimeout, PdfConverter, find_soffice

from .conftest import ROOT
from .test_converter import _wait_gone

SOFFICE = find_soffice()
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (scripts/bootstrap.sh)")

_CHILD = """
import sys
from pathlib import Path
from connectors.pdf import converter_for
converter = converter_for(sys.argv[1])
converter.convert(Path(sys.argv[2]), Path(sys.argv[3]), 120)
print(converter.server_pid, flush=True)
"""


def _registered_pid(host: Path) -> int | None:
    """The pid of the host's registered server (one LibreOffice executable here, so one register)."""
    registers = list(host.glob("server-*.json"))
    assert len(registers) <= 1, registers
    return int(json.loads(registers[0].read_text(encoding="utf-8"))["pid"]) if registers else None


def test_the_processes_of_a_host_convert_with_one_libreoffice_that_outlives_them(
        built: dict[str, BuiltReport], tmp_path: Path) -> None:
    assert SOFFICE is not None
    host = tmp_path / "host"
    env = {**os.environ, HOST_ENV: str(host)}
    command = [sys.executable, "-c", _CHILD, SOFFICE]
    children = [subprocess.Popen([*command, str(built[d].docx), str(tmp_path / f"{d}.pdf")], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for d in ("D1", "D2")]  # at once: one waits for the other's turn
    outputs = [child.communicate(timeout=300) for child in children]
    assert [child.returncode for child in children] == [0, 0], [err[-3000:] for _, err in outputs]
    pids = {int(out) for out, _ in outputs}
    assert len(pids) == 1 and pids == {_registered_pid(host)}, pids
    for deadline_id in ("D1", "D2"):
        assert "\n" in pdf_text(tmp_path / f"{deadline_id}.pdf")
    (pid,) = pids
    assert _wait_gone(pid, 0)  # both processes are gone; the host's LibreOffice is not
    stop_host(host)
    assert _wait_gone(pid, 20) == [] and _registered_pid(host) is None


def test_a_timeout_kills_the_shared_libreoffice_and_the_next_conversion_starts_another(
        built: dict[str, BuiltReport], tmp_path: Path) -> None:
    assert SOFFICE is not None
    host = tmp_path / "host"
    converter = PdfConverter(SOFFICE, host=host)
    try:
        converter.convert(built["D2"].docx, tmp_path / "first.pdf", timeout=120)
        first = _registered_pid(host)
        with pytest.raises(ConversionTimeout):
            converter.convert(built["D1"].docx, tmp_path / "late.pdf", timeout=0.05)
        assert first is not None and _wait_gone(first, 20) == [] and _registered_pid(host) is None
        converter.convert(built["D2"].docx, tmp_path / "again.pdf", timeout=120)
        assert _registered_pid(host) not in (None, first)
    finally:
        converter.close()
        stop_host(host)


def test_a_shared_libreoffice_left_idle_stops_itself_and_a_later_conversion_starts_another(
        built: dict[str, BuiltReport], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert SOFFICE is not None
    monkeypatch.setattr(libreoffice, "HOST_IDLE_SECONDS", 2.0)
    host = tmp_path / "host"
    converter = PdfConverter(SOFFICE, host=host)
    try:
        converter.convert(built["D2"].docx, tmp_path / "first.pdf", timeout=120)
        first = _registered_pid(host)
        assert first is not None
        converter.close()  # what a flow-run process does at exit: the host's LibreOffice stays
        time.sleep(0.5)
        assert _wait_gone(first, 0)
        assert _wait_gone(first, 30) == []  # about 2 s idle, then the watchdog's next look
        converter.convert(built["D2"].docx, tmp_path / "later.pdf", timeout=120)
        assert _registered_pid(host) not in (None, first)
    finally:
        converter.close()
        stop_host(host)
