"""The long-lived LibreOffice converter (connectors.pdf): one start for many files, a private profile, a timeout
that kills, a restart after a crash, a one-shot fallback, and no LibreOffice left behind by a process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import pytest

from connectors.libreoffice import HOST_ENV, ipc_socket
from connectors.local.documents import BuiltReport, pdf_text
from connectors.pdf import ConversionTimeout, PdfConversionError, PdfConverter, convert_once, find_soffice

from .conftest import ROOT, load_context

SOFFICE = find_soffice()
#: A child's environment without the test run's shared LibreOffice: the child starts (and stops) its own.
OWN_LIBREOFFICE = {k: v for k, v in os.environ.items() if k != HOST_ENV}
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (scripts/bootstrap.sh)")


def _group(pgid: int) -> list[str]:
    """Command lines of the processes still in a process group."""
    lines = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    lines.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
            except (ProcessLookupError, FileNotFoundError, PermissionError):
                continue
    return [line for line in lines if line]  # zombies have an empty command line


def _wait_gone(pgid: int, seconds: float) -> list[str]:
    deadline = time.monotonic() + seconds
    while (left := _group(pgid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def _fake_soffice(tmp_path: Path) -> str:
    """A LibreOffice that never answers; once started it leaves `<itself>.started` beside it."""
    fake = tmp_path / "bin" / "soffice"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\ntouch "$0.started"\nsleep 30\n')
    fake.chmod(0o755)
    return str(fake)


def test_one_libreoffice_converts_several_reports_in_a_private_profile(built: dict[str, BuiltReport],
                                                                      tmp_path: Path) -> None:
    assert SOFFICE is not None
    converter = PdfConverter(SOFFICE)
    try:
        converter.convert(built["D1"].docx, tmp_path / "d1.pdf", timeout=120)
        pid = converter.server_pid
        converter.convert(built["D2"].docx, tmp_path / "d2.pdf", timeout=120)
        assert converter.mode == "server" and pid is not None and converter.server_pid == pid
        assert load_context("D2")["title"].split()[0] in pdf_text(tmp_path / "d2.pdf")
        office = [line for line in _group(pid) if "soffice.bin" in line]
        assert len(office) == 1 and "-env:UserInstallation=file:///tmp/thidua-unoserver-" in office[0]
    finally:
        converter.close()
    assert _wait_gone(pid, 10) == []


def test_a_crashed_libreoffice_is_started_again_by_the_next_conversion(built: dict[str, BuiltReport],
                                                                      tmp_path: Path) -> None:
    assert SOFFICE is not None
    converter = PdfConverter(SOFFICE)
    try:
        converter.convert(built["D2"].docx, tmp_path / "first.pdf", timeout=120)
        crashed = converter.server_pid
        assert crashed is not None
        os.killpg(crashed, signal.SIGKILL)
        assert _wait_gone(crashed, 10) == []
        converter.convert(built["D2"].docx, tmp_path / "second.pdf", timeout=120)
        assert converter.mode == "server" and converter.server_pid not in (None, crashed)
        assert (tmp_path / "second.pdf").read_bytes().startswith(b"%PDF")
    finally:
        converter.close()


def test_without_a_python_that_has_uno_the_conversion_falls_back_to_one_shot(built: dict[str, BuiltReport],
                                                                             tmp_path: Path) -> None:
    assert SOFFICE is not None
    converter = PdfConverter(SOFFICE, python=sys.executable)  # the virtualenv's Python cannot import uno
    converter.convert(built["D2"].docx, tmp_path / "d2.pdf", timeout=120)
    assert converter.mode == "one-shot" and converter.server_pid is None
    assert (tmp_path / "d2.pdf").read_bytes().startswith(b"%PDF")


def test_a_libreoffice_that_never_answers_is_killed_at_the_call_timeout(built: dict[str, BuiltReport],
                                                                      tmp_path: Path) -> None:
    fake = _fake_soffice(tmp_path)
    converter = PdfConverter(fake)
    started = time.monotonic()
    with pytest.raises(ConversionTimeout, match="trong 2 giây"):
        converter.convert(built["D2"].docx, tmp_path / "out.pdf", timeout=2)
    assert time.monotonic() - started < 10
    assert not (tmp_path / "out.pdf").exists() and converter.server_pid is None
    leftovers = subprocess.run(["pgrep", "-f", fake], capture_output=True, text=True, check=False).stdout.split()
    assert leftovers == []


def test_one_shot_conversion_is_killed_at_its_timeout(built: dict[str, BuiltReport], tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(ConversionTimeout, match="trong 1 giây"):
        convert_once(_fake_soffice(tmp_path), built["D2"].docx, tmp_path / "out.pdf", timeout=1)
    assert time.monotonic() - started < 10


def test_a_prewarmed_libreoffice_is_the_one_the_first_conversion_uses(built: dict[str, BuiltReport],
                                                                    tmp_path: Path) -> None:
    assert SOFFICE is not None
    converter = PdfConverter(SOFFICE)
    try:
        converter.prewarm()
        deadline = time.monotonic() + 60
        while converter.server_pid is None and time.monotonic() < deadline:
            time.sleep(0.1)
        pid = converter.server_pid
        assert pid is not None  # started before any conversion was asked for
        converter.convert(built["D2"].docx, tmp_path / "d2.pdf", timeout=120)
        assert converter.mode == "server" and converter.server_pid == pid
    finally:
        converter.close()


_PREWARM_THEN_FAIL = """
import sys, time
from pathlib import Path
from connectors.pdf import converter_for
converter_for(sys.argv[1]).prewarm()
started = Path(sys.argv[1] + ".started")
while not started.exists():  # the start is under way, holding the converter
    time.sleep(0.01)
sys.exit("the run failed before its first conversion")
"""


def test_a_run_that_fails_while_libreoffice_starts_exits_at_once_and_leaves_none(tmp_path: Path) -> None:
    """A run that fails before its first conversion (a full disk, a bad row) while the background start is still
    waiting for LibreOffice does not wait out the start's 60 s at exit, and its half-started LibreOffice goes."""
    fake = _fake_soffice(tmp_path)
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-c", _PREWARM_THEN_FAIL, fake], cwd=ROOT, env=OWN_LIBREOFFICE,
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 1 and "failed before its first conversion" in run.stderr
    assert time.monotonic() - started < 20, "exit waited for the LibreOffice start"
    leftovers = subprocess.run(["pgrep", "-f", fake], capture_output=True, text=True, check=False).stdout
    assert leftovers.split() == []


def test_a_missing_file_is_named_without_starting_libreoffice(tmp_path: Path) -> None:
    assert SOFFICE is not None
    converter = PdfConverter(SOFFICE)
    with pytest.raises(PdfConversionError, match=r"không-có\.docx"):
        converter.convert(tmp_path / "không-có.docx", tmp_path / "out.pdf", timeout=60)
    assert converter.server_pid is None


_CHILD = """
import sys
from pathlib import Path
from connectors.pdf import converter_for
converter = converter_for(sys.argv[1])
converter.convert(Path(sys.argv[2]), Path(sys.argv[3]), 120)
print(converter.server_pid, flush=True)
sys.stdin.read()
"""


@pytest.mark.parametrize("ending", ["exits", "killed"])
def test_no_libreoffice_outlives_the_process_that_started_it(built: dict[str, BuiltReport], tmp_path: Path,
                                                             ending: str) -> None:
    """At a normal exit atexit stops the server; when the process is SIGKILLed, the server's watchdog does. Nothing
    of it is left in /tmp either: its temporary files were in its own folder, and its IPC socket is removed."""
    assert SOFFICE is not None
    child = subprocess.Popen([sys.executable, "-c", _CHILD, SOFFICE, str(built["D2"].docx), str(tmp_path / "x.pdf")],
                             cwd=ROOT, env=OWN_LIBREOFFICE, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    pgid = int(child.stdout.readline())
    office = [line for line in _group(pgid) if "soffice.bin" in line]
    assert len(office) == 1
    profile = Path(unquote(office[0].split("-env:UserInstallation=file://", 1)[1].split()[0]))
    work = profile.parent
    assert ipc_socket(profile).is_socket()
    assert list((work / "tmp").glob("lu*.tmp")), "LibreOffice's temporary files are not in its own folder"
    if ending == "killed":
        child.kill()
    else:
        child.stdin.close()  # type: ignore[union-attr]
    assert child.wait(60) in (0, -signal.SIGKILL)
    assert _wait_gone(pgid, 20) == []
    assert not work.exists() and not ipc_socket(profile).exists()


def test_a_lock_left_by_a_libreoffice_killed_mid_write_does_not_stop_the_next_conversion(
        built: dict[str, BuiltReport], tmp_path: Path) -> None:
    """A worker killed while its LibreOffice wrote the PDF leaves LibreOffice's lock file beside the half-written
    PDF (seen in the district worker-kill test); the re-run's LibreOffice, in another private profile, took it for
    another user's and refused to write, so the re-run failed. The lock below is as LibreOffice writes one."""
    assert SOFFICE is not None
    pdf = tmp_path / "d2.pdf"
    partial = tmp_path / ".d2.partial.pdf"
    lock = tmp_path / f".~lock.{partial.name}#"
    lock.write_text(f",root,vm,01.12.2026 18:58,file://{tmp_path}/killed-profile/profile;", encoding="utf-8")
    partial.write_bytes(b"%PDF-1.7\n")  # what the killed LibreOffice had written so far
    converter = PdfConverter(SOFFICE)
    try:
        converter.convert(built["D2"].docx, pdf, timeout=120)
    finally:
        converter.close()
    assert pdf.read_bytes().startswith(b"%PDF") and "\n" in pdf_text(pdf)
    assert not lock.exists() and not partial.exists()
