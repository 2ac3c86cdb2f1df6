"""Where one run reads and writes: the plan, the sheets' exports, the output folder and the mail server."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PLAN = REPO_ROOT / "examples" / "le-anh-xuan-2024" / "plan.yaml"
DEFAULT_TEMPLATES = REPO_ROOT / "templates"


class RunSettings(BaseModel):
    """Plain paths and a host/port, so that Prefect can record them as flow parameters."""

    model_config = ConfigDict(frozen=True)

    plan_path: Path
    data_dir: Path
    out_dir: Path
    templates_dir: Path = DEFAULT_TEMPLATES
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    # A real mail server: "starttls" (port 587) or "tls" (implicit TLS, port 465); "none" only for a loopback
    # server. The password is never here: it is read at send time from the Prefect Secret block
    # `smtp_password_block`, else from the environment variable `smtp_password_env`.
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str = ""
    smtp_password_block: str = ""
    smtp_password_env: str = "THIDUA_SMTP_PASSWORD"
    # A CA bundle to trust besides the system's (a school's own mail server with an internal CA).
    smtp_ca_file: Path | None = None
    # Any SQLAlchemy URL for the delivery ledger; empty means a SQLite file in the output folder.
    ledger_url: str = ""
    # The backend is the plan's (`backend:`). On Google, `google_base_url` points the clients at an emulator
    # (empty = Google itself) and the credentials come from the Prefect Secret block named here, else from
    # THIDUA_GOOGLE_CREDENTIALS — never from a parameter.
    google_base_url: str = ""
    google_secret_block: str = ""
    google_rate_limits: bool = True
    # How long one Google call may take; a large school's PDF export can need more than the default.
    google_timeout_seconds: float = 60
    # The mailbox the SMTP server files into, when not OUT/mail: a district's schools share one (the lookup of
    # "was it sent before the crash?" must read where the mail really went).
    outbox_dir: Path | None = None
    # How often a run waiting for the principal looks for the decision.
    approval_poll_seconds: int = 10
    # A "maybe sent" delivery older than this, absent from the outbox, is sent again (longer than any SMTP send).
    stale_after_seconds: int = 600

    @property
    def reports_dir(self) -> Path:
        """Where the run writes its reports."""
        return self.out_dir / "reports"

    @property
    def contexts_dir(self) -> Path:
        """Where the run writes each report's context (JSON), to rebuild or audit the report later."""
        return self.out_dir / "contexts"

    @property
    def mail_dir(self) -> Path:
        """The SMTP server's mailbox: OUT/mail unless several schools share one."""
        return self.outbox_dir or self.out_dir / "mail"

    @property
    def ledger_path(self) -> Path:
        """The local ledger's SQLite file, used when no ledger URL is given."""
        return self.out_dir / "deliveries.sqlite"

    @property
    def approved_dir(self) -> Path:
        """Where the approved versions of reports are kept, the ones that are sent."""
        return self.out_dir / "approved"

    @property
    def ledger_database(self) -> str:
        """The ledger's database URL: the shared one when given, else the local SQLite file."""
        return self.ledger_url or f"sqlite:///{self.ledger_path}"
