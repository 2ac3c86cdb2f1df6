"""One place that turns "local" or "google" into the four parts a deadline run needs.

Flows ask for a `Backend` and use only its ports, so the same flow code runs on files + SMTP or on
Sheets/Forms + Docs + Gmail (the real Google, or the emulator at `google_base_url`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from connectors.google.api import DEFAULT_TIMEOUT_S, Charges, GoogleApi
from connectors.local.documents import BuiltReport, LocalDocumentBuilder
from connectors.local.files import FileSource
from connectors.local.smtp import SmtpMailer
from connectors.local.smtp_server import message_ids_in
from connectors.ports import Mailer
from thidua.plan import Plan, Source
from thidua.rows import Table


class RowSource(Protocol):
    def read_many(self, sources: Sequence[Source]) -> dict[str, Table]: ...


class DocumentBuilder(Protocol):
    def build(self, template_name: str, context: dict[str, Any], basename: str) -> BuiltReport: ...


class Outbox(Protocol):
    """Where a sent report can be found again by its Message-ID, after a crash."""

    def sent_ids(self, message_id: str) -> set[str]: ...


@dataclass
class Backend:
    source: RowSource
    documents: DocumentBuilder
    mailer: Mailer
    outbox: Outbox
    api_calls: Callable[[], int] = field(default=lambda: 0)


@dataclass(frozen=True)
class OneByOne:
    """A one-source reader as a RowSource: right for files and the Forms API, which have no batch read."""

    read: Callable[[Source], Table]

    def read_many(self, sources: Sequence[Source]) -> dict[str, Table]:
        return {source.id: self.read(source) for source in sources}


@dataclass(frozen=True)
class MaildirOutbox:
    """The loopback SMTP server's folder of received messages."""

    maildir: Path

    def sent_ids(self, message_id: str) -> set[str]:
        return message_ids_in(self.maildir) & {message_id}


def local_backend(data_dir: Path, templates_dir: Path, reports_dir: Path, smtp_host: str, smtp_port: int,
                  mail_dir: Path) -> Backend:
    return Backend(
        source=OneByOne(FileSource(data_dir).read),
        documents=LocalDocumentBuilder(templates_dir, reports_dir),
        mailer=SmtpMailer(smtp_host, smtp_port),
        outbox=MaildirOutbox(mail_dir),
    )


def google_backend(plan: Plan, reports_dir: Path, credential_info: Mapping[str, Any], base_url: str | None = None,
                   throttle: Callable[[Charges], None] | None = None,
                   timeout: float = DEFAULT_TIMEOUT_S) -> Backend:
    """Clients for the plan's Workspace (Google itself, or the emulator at `base_url`); the credentials are
    used, never logged."""
    from connectors.google import endpoints
    from connectors.google.auth import load_credentials
    from connectors.google.docs import GoogleDocsBuilder
    from connectors.google.gmail import GmailMailer
    from connectors.google.sheets import FormsSource, SheetsSource

    if plan.google is None:
        raise ValueError("backend: google needs the plan's google section")
    credentials = load_credentials(credential_info, plan.google.user, base_url)
    api = GoogleApi(throttle=throttle) if throttle else GoogleApi()

    def service(name: str, version: str) -> Any:
        return endpoints.build_service(name, version, credentials, base_url, timeout)

    source: RowSource
    if plan.google.read_from == "forms":
        source = OneByOne(FormsSource(service("forms", "v1"), api, ZoneInfo(plan.timezone)).read)
    else:
        source = SheetsSource(endpoints.gspread_client(credentials, base_url, timeout), api)
    mailer = GmailMailer(service("gmail", "v1"), api)
    return Backend(
        source=source,
        documents=GoogleDocsBuilder(plan, service("drive", "v3"), service("docs", "v1"), api, reports_dir),
        mailer=mailer,
        outbox=mailer.outbox,
        api_calls=lambda: sum(api.calls.values()),
    )

