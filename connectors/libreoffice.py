"""A LibreOffice behind unoserver's XML-RPC server, as connectors/pdf.py uses one: started in its own process
group with a private profile under a watchdog, and, for a host's processes, registered in a folder where the
others find it (`Adopted`) instead of starting their own.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import http.client
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path

#: The environment variable naming the folder where the processes of a host share one LibreOffice.
HOST_ENV = "THIDUA_PDF_HOST"

#: A shared LibreOffice stops itself after this long without a conversion.
HOST_IDLE_SECONDS = 300.0

#: In a host's folder: the lock that gives one conversion (or start) at a time, and the stamp whose age is the
#: shared servers' idle time.
HOST_LOCK, HOST_USED = "lock", "used"

#: Runs unoserver's server under a watchdog. A process's own server: when the Python that started it dies
#: without its atexit (SIGKILL, a killed worker). A host's shared server: when nobody holds the host's lock (no
#: conversion or start under way) and no conversion has ended for the idle time; it then strikes itself from
#: the register before the lock is free again, so nobody adopts it as it dies. Either way the server removes its
#: directory (profile and temporary files included) and LibreOffice's IPC socket, and kills its own process group,
#: LibreOffice included, instead of lingering.
_LAUNCHER = """
import fcntl, json, os, shutil, signal, socket, sys, threading, time
parent, idle, lock_path, used, register, pipe = int(sys.argv[1]), float(sys.argv[2]), *sys.argv[3:7]
def stale():
    if parent:
        return os.getppid() != parent
    with open(lock_path, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        try:
            if time.time() - os.path.getmtime(used) <= idle:
                return False
        except OSError:
            pass
        try:
            with open(register, encoding="utf-8") as named:
                if json.load(named).get("pid") == os.getpid():
                    os.unlink(register)
        except (OSError, ValueError):
            pass
        return True
def watch():
    while not stale():
        time.sleep(1)
    shutil.rmtree(os.getcwd(), ignore_errors=True)
    try:
        os.unlink(pipe)
    except OSError:
        pass
    os.killpg(0, signal.SIGKILL)
threading.Thread(target=watch, daemon=True).start()
sys.argv = ["unoserver", *sys.argv[7:]]
import unoserver.server
class _Clock:
    # unoserver sleeps a fixed 5 s after starting LibreOffice, then tries to connect every 2 s. Instead of the
    # first sleep, wait until LibreOffice listens on its UNO port (checked every 50 ms), so the first try
    # usually succeeds; every other sleep is kept.
    waited = False
    def __getattr__(self, name):
        return getattr(time, name)
    def sleep(self, seconds):
        if seconds != 5 or self.waited:
            return time.sleep(seconds)
        self.waited = True
        port = int(sys.argv[sys.argv.index("--uno-port") + 1])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
unoserver.server.time = _Clock()
sys.exit(unoserver.server.main())
"""


def ipc_socket(profile: Path) -> Path:
    """The socket a LibreOffice makes for its single-instance IPC, which a killed one leaves behind: always under
    /tmp (its osl pipes ignore TMPDIR), named from its profile's URL as desktop/source/app/officeipcthread.cxx does
    (the MD5 of the URL in UTF-16, each byte in hex without padding)."""
    digest = hashlib.md5(profile.as_uri().encode("utf-16-le"), usedforsecurity=False).digest()
    return Path("/tmp") / f"OSL_PIPE_{os.getuid()}_SingleOfficeIPC_{''.join(f'{byte:x}' for byte in digest)}"


class ServerUnavailable(Exception):
    """The long-lived LibreOffice could not be started; the caller converts one-shot instead."""


def uno_python(soffice: str) -> str | None:
    """A Python that can import LibreOffice's `uno`: this one, LibreOffice's own (Windows, macOS), or Debian's
    /usr/bin/python3 with python3-uno. Our virtualenv's Python usually cannot, hence a separate process."""
    if importlib.util.find_spec("uno") is not None:
        return sys.executable
    bundled = Path(os.path.realpath(soffice)).parent / "python"
    if bundled.is_file() and os.access(bundled, os.X_OK):
        return str(bundled)
    return "/usr/bin/python3" if Path("/usr/bin/python3").is_file() else shutil.which("python3")


def _unoserver_path(into: Path) -> Path:
    """A directory holding only our unoserver package (and its metadata, which it reads for its version), for
    the server's PYTHONPATH: the system Python must not see the rest of our virtualenv."""
    spec = importlib.util.find_spec("unoserver")
    if spec is None or spec.origin is None:
        raise ServerUnavailable("unoserver is not installed")
    package = Path(spec.origin).parent
    into.mkdir()
    (into / "unoserver").symlink_to(package, target_is_directory=True)
    for metadata in package.parent.glob("unoserver-*.dist-info"):
        (into / metadata.name).symlink_to(metadata, target_is_directory=True)
    return into


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _Transport(xmlrpc.client.Transport):
    """XML-RPC over HTTP with a socket timeout, so a hung LibreOffice cannot hold a call forever."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host: tuple[str, dict[str, str]] | str) -> http.client.HTTPConnection:
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection


class Running:
    """A unoserver + LibreOffice process group with its private profile in `work`, answering on `port`."""

    pid: int
    port: int
    work: Path
    register: Path | None = None  # a host's shared server: the file that names it to the host's processes

    def proxy(self, timeout: float) -> xmlrpc.client.ServerProxy:
        """A client whose every call gives up after `timeout` seconds."""
        return xmlrpc.client.ServerProxy(f"http://127.0.0.1:{self.port}", transport=_Transport(timeout),
                                         allow_none=True)

    def alive(self) -> bool:
        """Whether it still runs."""
        raise NotImplementedError

    def log_tail(self) -> str:
        """The end of unoserver's log, for a message saying why it failed."""
        with contextlib.suppress(OSError):
            return " ".join((self.work / "unoserver.log").read_text("utf-8", "replace").split()[-40:])
        return ""

    def killable(self) -> bool:
        """Whether `pid` is surely this server's process group, so that killing it kills nothing else."""
        return True

    def stop(self) -> None:
        """Kill it; a host's shared server is also struck from the host's register, where it is the one named."""
        if self.killable():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
        shutil.rmtree(self.work, ignore_errors=True)
        ipc_socket(self.work / "profile").unlink(missing_ok=True)
        if self.register is not None and _registered(self.register).get("pid") == self.pid:
            self.register.unlink(missing_ok=True)


def register_of(host: Path, soffice: str) -> Path:
    """Where a host names its shared server for one LibreOffice executable."""
    return host / f"server-{hashlib.sha256(soffice.encode()).hexdigest()[:12]}.json"


def _registered(register: Path) -> dict[str, object]:
    try:
        found = json.loads(register.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


class Server(Running):
    """One started by this process: its own (stopped with it), or a host's shared one (registered, left running
    for the host's other processes, stopping itself when idle)."""

    def __init__(self, soffice: str, python: str, deadline: float, host: Path | None,
                 abandoned: threading.Event) -> None:
        """Starts it and waits until it answers; gives up (and kills it) at `deadline` or once `abandoned` is set."""
        self.owner = os.getpid()
        self.work = Path(tempfile.mkdtemp(prefix="thidua-unoserver-"))
        self.port = _free_port()
        uno_port = _free_port()
        while uno_port == self.port:
            uno_port = _free_port()
        environment = {k: v for k, v in os.environ.items() if k not in {"PYTHONHOME", "VIRTUAL_ENV"}}
        (self.work / "tmp").mkdir()
        # LibreOffice's temporary files (an lu….tmp folder a start) go with the rest of its folder, not to /tmp.
        environment |= {"PYTHONPATH": str(_unoserver_path(self.work / "pythonpath")), "TMPDIR": str(self.work / "tmp"),
                        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1"}
        if host is None:
            self.register = None
            watch = [str(os.getpid()), "0", "", "", ""]
        else:
            self.register = register_of(host, soffice)
            (host / HOST_USED).touch()  # the idle clock starts with the server
            watch = ["0", str(HOST_IDLE_SECONDS), str(host / HOST_LOCK), str(host / HOST_USED), str(self.register)]
        watch.append(str(ipc_socket(self.work / "profile")))
        command = [python, "-c", _LAUNCHER, *watch, "--executable", soffice,
                   "--interface", "127.0.0.1", "--port", str(self.port),
                   "--uno-interface", "127.0.0.1", "--uno-port", str(uno_port),
                   "--user-installation", str(self.work / "profile")]
        with (self.work / "unoserver.log").open("wb") as log_file:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file,
                                            cwd=self.work, env=environment, start_new_session=True)
        self.pid = self.process.pid
        try:
            self._wait_ready(deadline, abandoned)
        except BaseException:
            self.stop()
            raise
        if self.register is not None:
            written = self.register.with_name(f".{self.register.name}.{os.getpid()}")
            written.write_text(json.dumps({"pid": self.pid, "port": self.port, "work": str(self.work)}),
                               encoding="utf-8")
            written.replace(self.register)

    def _wait_ready(self, deadline: float, abandoned: threading.Event) -> None:
        while True:
            if self.process.poll() is not None:
                raise ServerUnavailable(f"unoserver exited with {self.process.returncode}: {self.log_tail()}")
            if abandoned.is_set():
                raise ServerUnavailable("the start was abandoned (the converter is closing)")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            try:
                self.proxy(min(remaining, 2.0)).info()
                return
            except (OSError, http.client.HTTPException, xmlrpc.client.Fault):
                abandoned.wait(min(0.2, max(remaining, 0)))

    def alive(self) -> bool:
        """Whether its launcher still runs."""
        return self.process.poll() is None

    def stop(self) -> None:
        """Kill it, from the process that started it only."""
        if self.owner == os.getpid():  # a forked child must not stop its parent's server
            super().stop()
            self.process.wait()


class Adopted(Running):
    """A host's shared server that another process started, found in the host's register."""

    def __init__(self, register: Path, pid: int, port: int, work: Path) -> None:
        self.register, self.pid, self.port, self.work = register, pid, port, work

    @classmethod
    def find(cls, register: Path) -> Adopted | None:
        """The server `register` names if it answers; one that does not is killed and struck off."""
        entry = _registered(register)
        pid, port, work = entry.get("pid"), entry.get("port"), entry.get("work")
        if not (isinstance(pid, int) and isinstance(port, int) and isinstance(work, str)):
            return None
        found = cls(register, pid, port, Path(work))
        try:
            found.proxy(2.0).info()
            return found
        except (OSError, http.client.HTTPException, xmlrpc.client.Fault):
            found.stop()
            return None

    def alive(self) -> bool:
        """Whether `pid` is still this server's launcher: another process started and reaped it, so the number
        may since belong to anything."""
        try:
            return str(self.work) in Path(f"/proc/{self.pid}/cmdline").read_text("utf-8", "replace")
        except OSError:
            return False

    def killable(self) -> bool:
        """Only while `pid` is surely still its launcher."""
        return self.alive()


@contextlib.contextmanager
def turn(host: Path) -> Iterator[None]:
    """A process's turn at the host's shared LibreOffice: one conversion (or start) at a time; its end starts the
    shared servers' idle clock again."""
    host.mkdir(parents=True, exist_ok=True)
    with (host / HOST_LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            (host / HOST_USED).touch()
            fcntl.flock(handle, fcntl.LOCK_UN)


def stop_host(host: Path) -> None:
    """Stop a host's shared LibreOffices now (the end of a test run; each would stop itself when idle)."""
    for register in host.glob("server-*.json"):
        found = Adopted.find(register)
        if found is not None:
            found.stop()
