"""DOCX → PDF through one long-lived LibreOffice per process, instead of starting LibreOffice for every file.

Starting LibreOffice costs seconds; converting a report in a running one costs a fraction of that. A
`PdfConverter` starts LibreOffice behind unoserver (its XML-RPC server, run by a Python that has Debian's `uno`
module) on first use, keeps it for the process's life, restarts it if it died, and stops it at exit. Every
LibreOffice runs in a private profile (`-env:UserInstallation`), so parallel converters never share one, and
every conversion has a timeout after which its LibreOffice is killed. When the server cannot start (no Python
with `uno`, LibreOffice too old), conversions fall back to the one-shot `soffice --convert-to pdf`.

A worker host runs each flow in a new process, so one LibreOffice per process still means one start per flow run.
With `THIDUA_PDF_HOST` naming a folder, the processes that share it share one LibreOffice instead: the first to
need it starts it and registers it there, the others use it, one conversion at a time under a file lock, and it
stops itself after a while without a conversion (connectors/libreoffice.py runs the servers).
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import importlib.util
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import xmlrpc.client
from pathlib import Path
from typing import Literal

from connectors.libreoffice import (
    HOST_ENV,
    Adopted,
    Running,
    Server,
    ServerUnavailable,
    ipc_socket,
    register_of,
    turn,
    uno_python,
)
from connectors.ports import OutputFullError
from connectors.writing import MIN_ROOM, is_full, no_room

log = logging.getLogger(__name__)

#: How long a LibreOffice behind unoserver may take to answer its first call before conversions fall back to
#: one-shot; unoserver itself waits 5 s before it serves, and a busy 2-core machine needs more.
STARTUP_SECONDS = 60.0

class PdfConversionError(Exception):
    """LibreOffice failed on a file; the message names the file and says why, in Vietnamese, for the clerk."""


class ConversionTimeout(PdfConversionError):
    """LibreOffice did not finish within the call's timeout and was killed."""


def find_soffice() -> str | None:
    """LibreOffice's command on PATH, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _timed_out(docx: Path, timeout: float) -> ConversionTimeout:
    return ConversionTimeout(f"LibreOffice không chuyển được {docx.name} sang PDF trong {timeout:g} giây.")


def _failed(docx: Path, detail: str) -> PdfConversionError:
    return PdfConversionError(f"LibreOffice không chuyển được {docx.name} sang PDF: {detail or 'không có tệp PDF'}.")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill a process started in its own session and everything it started (soffice → oosplash → soffice.bin).

    SIGKILL, not SIGTERM: oosplash blocks SIGTERM and would outlive its children; nothing of a throwaway profile
    needs a clean shutdown."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def convert_once(soffice: str, docx: Path, pdf: Path, timeout: float) -> None:
    """Convert by starting LibreOffice for this file only, in a throwaway profile: the slow path, kept as the
    fallback and as the benchmark's baseline."""
    if not docx.is_file():
        raise _failed(docx, "không có tệp")
    with tempfile.TemporaryDirectory(prefix="thidua-soffice-") as work:
        profile = Path(work) / "profile"
        command = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                   "--norestore", "--nolockcheck", "--convert-to", "pdf", "--outdir", work, str(docx)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                                   env={**os.environ, "TMPDIR": work})  # its temporary files go with the profile
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            process.communicate()
            ipc_socket(profile).unlink(missing_ok=True)
            raise _timed_out(docx, timeout) from None
        produced = Path(work) / f"{docx.stem}.pdf"
        if process.returncode != 0 or not produced.is_file():
            detail = stderr.decode("utf-8", "replace").strip()
            raise _failed(docx, f"mã {process.returncode}, {detail}" if detail else "")
        pdf.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(produced, pdf)


class PdfConverter:
    """Converts DOCX files to PDF with one LibreOffice kept running, one conversion at a time.

    Thread-safe. `timeout` bounds each conversion and, for the first one, the server's start; it does not count
    the wait behind another thread's conversion or a background start (`prewarm`). If the server cannot start,
    this converter converts one-shot from then on (`mode` says which way the last conversion went).

    With `host`, the LibreOffice is the host's shared one (module docstring): the wait for another process's
    conversion is not counted either, and `close` leaves it running for the others.
    """

    def __init__(self, soffice: str, python: str | None = None, startup_seconds: float = STARTUP_SECONDS,
                 host: Path | None = None) -> None:
        self.soffice = soffice
        self.python = python or uno_python(soffice)
        self.startup_seconds = startup_seconds
        self.host = host
        self.mode: Literal["server", "one-shot"] | None = None
        self._server: Running | None = None
        self._unavailable = self.python is None or importlib.util.find_spec("unoserver") is None
        self._lock = threading.Lock()
        self._closing = threading.Event()  # set by `close`: a start under way gives up instead of being waited for

    @property
    def server_pid(self) -> int | None:
        """The running server's process (group) id, None when none runs."""
        server = self._server
        return server.pid if server is not None and server.alive() else None

    def convert(self, docx: Path, pdf: Path, timeout: float) -> None:
        """Write `docx` as PDF to `pdf` (replaced whole: a retried task never reads a half-written file)."""
        if not docx.is_file():
            raise _failed(docx, "không có tệp")
        pdf.parent.mkdir(parents=True, exist_ok=True)
        partial = pdf.with_name(f".{pdf.stem}.partial.pdf")
        # LibreOffice locks the file it writes (".~lock.<name>#"); one killed mid-write (a killed worker) leaves
        # its lock, which the next LibreOffice, in another private profile, takes for another user's and refuses
        # to write over. Both are this report's own leftovers: nothing else writes `partial`.
        leftovers = (partial, partial.with_name(f".~lock.{partial.name}#"))
        for leftover in leftovers:
            leftover.unlink(missing_ok=True)
        try:
            with self._lock, self._turn():
                deadline = time.monotonic() + timeout
                if self._unavailable:
                    self.mode = "one-shot"
                    convert_once(self.soffice, docx, partial, timeout)
                else:
                    self._convert_on_server(docx, partial, timeout, deadline)
            partial.replace(pdf)
        except Exception as error:
            for leftover in leftovers:
                leftover.unlink(missing_ok=True)
            # LibreOffice says only that it failed; a folder with less room than the DOCX takes is the reason.
            if is_full(error) or no_room(pdf.parent, max(docx.stat().st_size if docx.is_file() else 0, MIN_ROOM)):
                raise OutputFullError(pdf, "bản PDF") from error
            raise

    def _convert_on_server(self, docx: Path, partial: Path, timeout: float, deadline: float) -> None:
        for attempt in (1, 2):
            try:
                server = self._running_server(deadline, docx, timeout)
            except ServerUnavailable as exc:
                log.warning("Long-lived LibreOffice unavailable (%s): converting one-shot from now on", exc)
                self._unavailable = True
                self.mode = "one-shot"
                try:
                    convert_once(self.soffice, docx, partial, max(deadline - time.monotonic(), 1.0))
                except ConversionTimeout:
                    raise _timed_out(docx, timeout) from None
                return
            self.mode = "server"
            remaining = max(deadline - time.monotonic(), 0.01)  # a socket refuses a timeout of 0 or less
            try:
                server.proxy(remaining).convert(str(docx.resolve()), None, str(partial.resolve()), None)
                if not partial.is_file():
                    raise _failed(docx, "không có tệp PDF")
                return
            except TimeoutError:
                self._stop_server()  # LibreOffice is stuck on this file; the next call starts a fresh one
                raise _timed_out(docx, timeout) from None
            except xmlrpc.client.Fault as fault:
                if server.alive():
                    raise _failed(docx, fault.faultString.strip().splitlines()[-1]) from None
            except (OSError, http.client.HTTPException):
                pass
            # The server died under this conversion (LibreOffice crashed or was killed): start again, once.
            log.warning("LibreOffice died converting %s (attempt %d): %s", docx.name, attempt,
                        self._server.log_tail() if self._server else "")
            self._stop_server()
        raise _failed(docx, "LibreOffice dừng đột ngột hai lần")

    def _running_server(self, deadline: float, docx: Path, timeout: float) -> Running:
        try:
            return self._start(deadline)
        except TimeoutError:
            if deadline <= time.monotonic():  # the call's own time ran out, not the start's
                raise _timed_out(docx, timeout) from None
            raise ServerUnavailable(f"no answer within {self.startup_seconds:g} s") from None

    def _turn(self) -> contextlib.AbstractContextManager[None]:
        """This process's turn at the host's shared LibreOffice, if it uses one (`libreoffice.turn`)."""
        return turn(self.host) if self.host is not None else contextlib.nullcontext()

    def _start(self, deadline: float) -> Running:
        """The running server, started (within the start's own limit and `deadline`) if none runs or it died; on a
        host, the one registered there if it answers (another process may have replaced the one used last)."""
        if self.host is not None:
            self._server = Adopted.find(register_of(self.host, self.soffice))
            if self._server is not None:
                return self._server
        elif self._server is not None and isinstance(self._server, Server) and self._server.owner == os.getpid() \
                and self._server.alive():
            return self._server
        self._stop_server()
        started = time.monotonic()
        self._server = Server(self.soffice, str(self.python), min(deadline, started + self.startup_seconds),
                               self.host, abandoned=self._closing)
        log.info("Started LibreOffice for PDF conversion in %.1f s (pid %d)", time.monotonic() - started,
                 self._server.pid)
        return self._server

    def prewarm(self) -> None:
        """Start the server in the background now, so its start overlaps the work done before the first
        conversion (rendering the DOCX); a conversion meanwhile waits for it."""
        if not self._unavailable and self.server_pid is None:
            threading.Thread(target=self._prewarm, name="thidua-pdf-prewarm", daemon=True).start()

    def _prewarm(self) -> None:
        with self._lock, self._turn():
            if self._unavailable or self._closing.is_set():
                return
            try:
                self._start(time.monotonic() + self.startup_seconds)
            except (ServerUnavailable, TimeoutError) as exc:
                if self._closing.is_set():
                    return  # abandoned by `close`, not a LibreOffice that cannot start
                log.warning("Long-lived LibreOffice unavailable (%s): converting one-shot from now on", exc)
                self._unavailable = True

    def _stop_server(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def close(self) -> None:
        """Stop the server (it is started again by the next conversion); a host's shared one is left running. A
        background start under way is abandoned and killed, not waited for: a run that failed before its first
        conversion (a full disk, a bad row) waited up to the start's 60 s at exit for a LibreOffice it never used."""
        self._closing.set()
        try:
            with self._lock:
                if self.host is None:
                    self._stop_server()
                self._server = None
        finally:
            self._closing.clear()


_converters: dict[str, PdfConverter] = {}
_converters_lock = threading.Lock()


def converter_for(soffice: str) -> PdfConverter:
    """This process's converter for a LibreOffice executable, created on first use and stopped at exit; the host's
    shared LibreOffice when `THIDUA_PDF_HOST` names a folder."""
    with _converters_lock:
        converter = _converters.get(soffice)
        if converter is None:
            host = os.environ.get(HOST_ENV)
            converter = _converters[soffice] = PdfConverter(soffice, host=Path(host) if host else None)
        return converter


@atexit.register
def _close_all() -> None:
    for converter in list(_converters.values()):
        converter.close()


def prewarm(soffice: str) -> None:
    """Start this process's long-lived LibreOffice in the background (see `PdfConverter.prewarm`)."""
    converter_for(soffice).prewarm()


def convert(docx: Path, pdf: Path, timeout: float, soffice: str) -> None:
    """Convert with the process's long-lived LibreOffice for `soffice` (see `PdfConverter.convert`)."""
    converter_for(soffice).convert(docx, pdf, timeout)
