"""Every backend, registered once by name; the plan (`backend:`) chooses which one a run gets.

A backend is a factory from the plan and the run's places to a `connectors.ports.Backend`. Adding one means
writing its ports and registering its factory here with `@register("name")`: this registry is the only list of
backends, and a plan naming one that is not in it is refused (`backend_problem`).

Each factory imports its backend's modules itself: a process opens one backend (or none, for `thidua check` on a
plan alone), and the others' libraries (python-docx, aiosmtpd, the Google clients) take seconds to import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from connectors.google.api import DEFAULT_TIMEOUT_S, Charges
from connectors.ports import Backend, Mailer, OneByOne, RowSource
from thidua.plan import Plan

Throttle = Callable[[Charges], None]


class RunPlaces(Protocol):
    """What a backend may need of a run beyond the plan: folders, the SMTP server, the Google endpoint.

    `flows.settings.RunSettings` has exactly these; connectors never import it.
    """

    @property
    def data_dir(self) -> Path:
        """Where the local backend reads the sources' files."""

    @property
    def templates_dir(self) -> Path:
        """Where the DOCX report templates live."""

    @property
    def reports_dir(self) -> Path:
        """Where built reports (DOCX/PDF) are written, whatever the backend."""

    @property
    def mail_dir(self) -> Path:
        """The SMTP server's maildir, searched to find a message sent before a crash."""

    @property
    def smtp_host(self) -> str:
        """The SMTP server the local backend sends through."""

    @property
    def smtp_port(self) -> int:
        """The SMTP server's port."""

    @property
    def smtp_security(self) -> str:
        """How the SMTP connection is secured (none, starttls or tls)."""

    @property
    def smtp_username(self) -> str:
        """The SMTP login, empty for a server that needs none."""

    @property
    def smtp_password_block(self) -> str:
        """The Prefect Secret block holding the SMTP password, so it never sits in a file."""

    @property
    def smtp_password_env(self) -> str:
        """The environment variable holding the SMTP password, where no block is used."""

    @property
    def smtp_ca_file(self) -> Path | None:
        """A CA bundle to trust for the SMTP server's certificate (a school's own CA), or None."""

    @property
    def google_base_url(self) -> str:
        """The Google endpoint, empty for Google itself; the emulator's address in tests."""

    @property
    def google_secret_block(self) -> str:
        """The Prefect Secret block holding the Google credentials."""

    @property
    def google_timeout_seconds(self) -> float:
        """How long one Google call may take before the run gives up on it."""



#: Makes a throttle from the Workspace user and project, when the run shares Google's quotas with others.
ThrottleFor = Callable[[str, str], Throttle]
BackendFactory = Callable[[Plan, RunPlaces, "ThrottleFor | None"], Backend]
BACKENDS: dict[str, BackendFactory] = {}


def register(name: str) -> Callable[[BackendFactory], BackendFactory]:
    """Adds a backend under `name`, the word a plan's `backend:` uses for it."""

    def add(factory: BackendFactory) -> BackendFactory:
        BACKENDS[name] = factory
        return factory

    return add


class UnknownBackend(ValueError):
    """A plan names a backend nobody registered (a typo, or one this installation lacks): refused before any run."""


def backend_problem(plan: Plan) -> str | None:
    """Why the plan's `backend:` cannot be used, in the clerk's words with the registered names; None if it can.

    The registry is the only list of backends, so the plan model takes any name and this is where it is checked.
    """
    if plan.backend in BACKENDS:
        return None
    return (f"kế hoạch {plan.id}: backend «{plan.backend}» chưa được đăng ký; các backend có thể dùng: "
            f"{', '.join(sorted(BACKENDS))} (sửa khóa backend: trong tệp kế hoạch)")


def open_backend(plan: Plan, places: RunPlaces, throttle_for: ThrottleFor | None = None) -> Backend:
    """The backend the plan names, with its clients opened for this run; an unregistered name is UnknownBackend."""
    problem = backend_problem(plan)
    if problem is not None:
        raise UnknownBackend(problem)
    return BACKENDS[plan.backend](plan, places, throttle_for)


class MaildirOutbox:
    """The loopback SMTP server's folder of received messages."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir

    def sent_ids(self, message_id: str) -> set[str]:
        """The Message-ID if the server filed a message with it."""
        from connectors.local.smtp_server import message_ids_in

        return message_ids_in(self.maildir) & {message_id}


def local_backend(data_dir: Path, templates_dir: Path, reports_dir: Path, smtp_host: str, smtp_port: int,
                  mail_dir: Path) -> Backend:
    """Files in, DOCX/PDF out, SMTP to send, the SMTP server's maildir to find a sent message again."""
    from connectors.local.documents import LocalDocumentBuilder
    from connectors.local.files import FileSource
    from connectors.local.smtp import SmtpMailer

    return Backend(
        source=OneByOne(FileSource(data_dir).read),
        documents=LocalDocumentBuilder(templates_dir, reports_dir),
        mailer=SmtpMailer(smtp_host, smtp_port),
        outbox=MaildirOutbox(mail_dir),
        sources_ready=data_dir.is_dir,
    )


class LoginOnSend:
    """A mailer for a real server (TLS, login) whose password is read only when a message goes out, so commands
    that merely read (status, a preview) never need it, and it lives no longer than one send."""

    def __init__(self, places: RunPlaces) -> None:
        self.places = places

    def send(self, message: EmailMessage) -> None:
        """Opens an SMTP session with TLS and the login, and hands `message` over."""
        from connectors.local.smtp import SmtpMailer, smtp_password, tls_context

        p = self.places
        context = tls_context(p.smtp_ca_file) if p.smtp_security != "none" else None
        username = p.smtp_username or None
        password = smtp_password(p.smtp_password_block, p.smtp_password_env) if username else None
        SmtpMailer(p.smtp_host, p.smtp_port, starttls=p.smtp_security == "starttls",
                   implicit_tls=p.smtp_security == "tls", username=username, password=password,
                   ssl_context=context).send(message)


@register("local")
def _local(plan: Plan, places: RunPlaces, throttle_for: ThrottleFor | None) -> Backend:
    found = local_backend(places.data_dir, places.templates_dir, places.reports_dir, places.smtp_host,
                          places.smtp_port, places.mail_dir)
    if places.smtp_security != "none" or places.smtp_username:
        mailer: Mailer = LoginOnSend(places)
        found.mailer = mailer
    return found


def google_backend(plan: Plan, reports_dir: Path, credential_info: Mapping[str, Any], base_url: str | None = None,
                   throttle: Throttle | None = None, timeout: float = DEFAULT_TIMEOUT_S) -> Backend:
    """Clients for the plan's Workspace (Google itself, or the emulator at `base_url`); the credentials are
    used, never logged."""
    from connectors.google import endpoints
    from connectors.google.api import GoogleApi
    from connectors.google.auth import SCOPES, load_credentials
    from connectors.google.docs import GoogleDocsBuilder
    from connectors.google.gmail import GmailMailer, GmailReplies
    from connectors.google.sheets import FormsSource, SheetsSource

    if plan.google is None:
        raise ValueError("backend: google needs the plan's google section")
    credentials = load_credentials(credential_info, plan.google.user, base_url)
    api = GoogleApi(throttle=throttle, scopes=tuple(SCOPES)) if throttle else GoogleApi(scopes=tuple(SCOPES))

    def service(name: str, version: str) -> Any:
        return endpoints.build_service(name, version, credentials, base_url, timeout)

    source: RowSource
    if plan.google.read_from == "forms":
        source = OneByOne(FormsSource(service("forms", "v1"), api, ZoneInfo(plan.timezone)).read)
    else:
        source = SheetsSource(endpoints.gspread_client(credentials, base_url, timeout), api, ZoneInfo(plan.timezone))
    mailer = GmailMailer(service("gmail", "v1"), api)
    return Backend(
        source=source,
        documents=GoogleDocsBuilder(plan, service("drive", "v3"), service("docs", "v1"), api, reports_dir),
        mailer=mailer,
        outbox=mailer.outbox,
        api_calls=lambda: sum(api.calls.values()),
        replies=GmailReplies(service("gmail", "v1"), api),
    )


@register("google")
def _google(plan: Plan, places: RunPlaces, throttle_for: ThrottleFor | None) -> Backend:
    from connectors.google.api import GoogleAuthError
    from connectors.google.auth import credential_info, prefect_secret, scrub_secrets

    if plan.google is None:
        raise ValueError(f"kế hoạch {plan.id}: backend google cần mục google trong kế hoạch")
    block = places.google_secret_block
    info = credential_info(prefect_secret(block) if block else None)
    throttle = throttle_for(plan.google.user, str(info.get("project_id") or plan.id)) if throttle_for else None
    try:
        return google_backend(plan, places.reports_dir, info, places.google_base_url or None, throttle,
                              places.google_timeout_seconds)
    except GoogleAuthError:
        raise
    except Exception as error:  # a library's message about a key may quote it: scrubbed, and not chained
        reason = scrub_secrets(str(error))
        raise GoogleAuthError(f"Không khởi tạo được kết nối Google: {reason}") from None
