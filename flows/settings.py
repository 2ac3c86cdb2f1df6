"""Where one run reads and writes: the plan, the sheets' exports, the output folder and the mail server."""

from __future__ import annotations

from pathlib import Path

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

    @property
    def reports_dir(self) -> Path:
        return self.out_dir / "reports"

    @property
    def mail_dir(self) -> Path:
        return self.out_dir / "mail"

    @property
    def ledger_path(self) -> Path:
        return self.out_dir / "deliveries.sqlite"
