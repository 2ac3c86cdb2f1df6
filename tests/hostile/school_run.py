"""The clerk's `thidua report … --send` on a small school, in a child process (optionally under a file-size limit),
against a loopback mailbox that files into the school's outbox: shared by the hostile tests that need a whole run."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from connectors.libreoffice import HOST_ENV
from connectors.local.files import write_sample
from tests.prefect_server import PrefectServer, free_port
from thidua.plan import parse_plan

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "examples" / "le-anh-xuan-2024" / "plan.yaml"
AS_OF = "2024-05-20T09:00+07:00"  # after D3's send slot, before its deadline
REPORT_ID = "<thidua.le-anh-xuan-2024.D3.v1@lax.example.edu.vn>"

LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing
limit = int(sys.argv[1])
if limit >= 0:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
sys.argv = ["thidua", *sys.argv[2:]]
from thidua_cli.main import app
app()
"""


class Mailbox:
    """A loopback SMTP server filing into the school's outbox; `after_filing` runs once a message is filed and
    before the server answers, while the sender waits for the answer."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir
        maildir.mkdir(parents=True, exist_ok=True)
        self.after_filing: Callable[[], None] = lambda: None

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        temporary = self.maildir / f".{uuid.uuid4().hex}.tmp"
        temporary.write_bytes(envelope.original_content)
        os.replace(temporary, self.maildir / f"{uuid.uuid4().hex}.eml")
        await asyncio.to_thread(self.after_filing)
        return "250 Message accepted for delivery"

    def reports(self) -> list[EmailMessage]:
        """The copies of the report received (the clerk's alerts are other messages)."""
        messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                    for p in sorted(self.maildir.glob("*.eml"))]
        return [m for m in messages if isinstance(m, EmailMessage) and m["Message-ID"] == REPORT_ID]


@contextmanager
def open_school(tmp_path: Path) -> Iterator[tuple[Path, Mailbox]]:
    """The seed school with 32 staff's sample answers (CSV), a thidua.toml, and its mailbox serving."""
    folder = tmp_path / "truong"
    folder.mkdir()
    (folder / "plan.yaml").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    write_sample(parse_plan(SEED.read_text(encoding="utf-8")), folder / "du-lieu", staff=32)
    for extra in (folder / "du-lieu").glob("*.xlsx"):
        extra.unlink()
    mailbox = Mailbox(folder / "ket-qua" / "mail")
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        (folder / "thidua.toml").write_text(
            'plan = "plan.yaml"\nout = "ket-qua"\ndata = "du-lieu"\n\n[mail]\nhost = "127.0.0.1"\n'
            f'port = {controller.port}\nsecurity = "none"\n', encoding="utf-8")
        yield folder, mailbox
    finally:
        controller.stop()


def send(school: Path, server: PrefectServer, limit: int = -1,
         started: Callable[[int], None] = lambda _: None) -> subprocess.CompletedProcess[str]:
    """`thidua report plan.yaml D3 --send` as the clerk runs it, in a child whose files may not outgrow `limit`
    bytes (-1: no limit, and the test run's shared LibreOffice); `started` gets the child's pid."""
    env = {**server.env, "COLUMNS": "200", "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false"}
    env.pop("THIDUA_DEBUG", None)
    if limit >= 0:
        env.pop(HOST_ENV, None)  # its own LibreOffice, which inherits the file-size limit as the clerk's would
    command = [sys.executable, "-c", LIMITED, str(limit), "report", "plan.yaml", "D3", "--as-of", AS_OF, "--send",
               "--auto-approve"]
    with subprocess.Popen(command, cwd=school, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as child:
        started(child.pid)
        stdout, stderr = child.communicate(timeout=600)
    return subprocess.CompletedProcess(command, child.returncode, stdout, stderr)
