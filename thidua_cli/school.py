"""One settings file per school, `thidua.toml` beside the plan: where its data and reports live, its mail server,
its ledger and its Prefect work pool, so a clerk types `thidua status` and nothing else.

Read with tomllib into a pydantic model; relative paths are relative to the file. A command's own options still
win over the file. The mail password is never in it: only where to find it (an environment variable's name, or
a Prefect Secret block's).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from flows.settings import RunSettings

SETTINGS_FILE = "thidua.toml"


class MailSettings(BaseModel):
    """The school's outgoing mail server."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    security: Literal["none", "starttls", "tls"] = "none"
    username: str = ""
    password_env: str = "THIDUA_SMTP_PASSWORD"
    password_block: str = ""
    ca_file: Path | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_password_here(cls, data: Any) -> Any:
        if isinstance(data, dict) and "password" in data:
            raise ValueError("không ghi mật khẩu trong thidua.toml: đặt nó vào biến môi trường (mail.password_env, "
                             "mặc định THIDUA_SMTP_PASSWORD) hoặc một Prefect Secret block (mail.password_block)")
        return data


class SchoolSettings(BaseModel):
    """Everything a command needs about a school besides its plan."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    plan: Path = Path("plan.yaml")
    out: Path = Path("out")
    data: Path | None = None
    ledger: str = ""
    work_pool: str = "thidua"
    google_secret_block: str = ""
    mail: MailSettings = MailSettings()


class SettingsError(Exception):
    """A settings file that cannot be used; the message is for the clerk and names the file."""


def read_settings(path: Path) -> SchoolSettings:
    """The file's settings, with relative paths made absolute against the file's folder."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        found = SchoolSettings.model_validate(raw)
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: lỗi cú pháp TOML: {error}") from None
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(tệp)'}: "
                             f"{e['ctx']['error'] if e['type'] == 'value_error' else e['msg']}"
                             for e in error.errors())
        raise SettingsError(f"{path}: {problems}") from None
    base = path.parent.resolve()
    mail = found.mail.model_copy(update={"ca_file": base / found.mail.ca_file} if found.mail.ca_file else {})
    return found.model_copy(update={"plan": base / found.plan, "out": base / found.out,
                                    "data": base / found.data if found.data else None, "mail": mail})


def find_settings(plan_path: Path | None, cwd: Path | None = None) -> tuple[Path, SchoolSettings, Path | None]:
    """The plan to act on, the school's settings and the file they came from: the `thidua.toml` beside the given
    plan, or, with no plan given, the one in the current folder (which names the plan). No plan and no file is
    an error: a command never falls back to the sample school."""
    if plan_path is not None:
        folder = plan_path.resolve() if plan_path.is_dir() else plan_path.resolve().parent
        beside = folder / SETTINGS_FILE
        if beside.is_file():
            return plan_path.resolve(), read_settings(beside), beside
        return plan_path.resolve(), SchoolSettings(), None
    here = (cwd or Path.cwd()) / SETTINGS_FILE
    if not here.is_file():
        raise SettingsError(f"Chưa biết trường nào: hãy ghi tệp kế hoạch (PLAN hoặc --plan), hoặc chạy lệnh trong thư "
                            f"mục có tệp {SETTINGS_FILE} (ghi plan = \"plan.yaml\").")
    found = read_settings(here)
    if not found.plan.is_file():
        raise SettingsError(f"{here}: không có tệp kế hoạch {found.plan} (khóa plan).")
    return found.plan, found, here


def run_settings_for(plan_path: Path, school: SchoolSettings, *, out: Path | None = None, data: Path | None = None,
                     ledger: str | None = None, smtp_host: str | None = None, smtp_port: int | None = None
                     ) -> RunSettings:
    """The runs' settings: a command's options first, then the school's file, then the defaults."""
    out_dir = (out or school.out).resolve()
    mail = school.mail
    return RunSettings(
        plan_path=plan_path.resolve(), out_dir=out_dir, data_dir=(data or school.data or out_dir / "data").resolve(),
        ledger_url=school.ledger if ledger is None else ledger, google_secret_block=school.google_secret_block,
        smtp_host=smtp_host or mail.host, smtp_port=smtp_port or mail.port, smtp_security=mail.security,
        smtp_username=mail.username, smtp_password_env=mail.password_env, smtp_password_block=mail.password_block,
        smtp_ca_file=mail.ca_file,
    )
