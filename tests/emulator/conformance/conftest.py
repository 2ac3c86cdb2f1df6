"""Where the conformance suite runs: the emulator always; real Google too when an account is configured.

Real Google needs a service-account key with domain-wide delegation for the product's scopes
(`connectors/google/auth.py::SCOPES`) and the delegated user:

    THIDUA_CONFORMANCE_CREDENTIALS=/path/key.json THIDUA_CONFORMANCE_USER=van.thu@truong.edu.vn \\
        uv run --frozen pytest tests/emulator/conformance -q

Without them every test's `google` variant is skipped. Files a test creates on Google are deleted after it;
mail it sends goes to the delegated user's own address.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gspread
import pytest
from google.auth.credentials import Credentials
from google.auth.transport.requests import AuthorizedSession

from connectors.google import endpoints
from connectors.google.auth import SCOPES
from emulator.accounts import fake_service_account
from emulator.server import EmulatorConfig, WorkspaceEmulator
from emulator.testing import DEFAULT_USER

CREDENTIALS_ENV = "THIDUA_CONFORMANCE_CREDENTIALS"
USER_ENV = "THIDUA_CONFORMANCE_USER"
PRODUCT_SCOPES = tuple(SCOPES)


@dataclass
class Target:
    """One Workspace to test: the emulator (`base_url` set) or Google (`base_url` None)."""

    name: str
    info: dict[str, Any]
    user: str
    base_url: str | None
    emulator: WorkspaceEmulator | None = None
    created: list[str] = field(default_factory=list)

    @property
    def is_google(self) -> bool:
        return self.base_url is None

    def credentials(self, scopes: tuple[str, ...] = PRODUCT_SCOPES, user: str | None = "") -> Credentials:
        subject = self.user if user == "" else user
        return endpoints.service_account_credentials(self.info, scopes, subject=subject, base_url=self.base_url)

    def service(self, api: str, version: str, scopes: tuple[str, ...] = PRODUCT_SCOPES) -> Any:
        return endpoints.build_service(api, version, self.credentials(scopes), self.base_url)

    def session(self, scopes: tuple[str, ...] = PRODUCT_SCOPES) -> AuthorizedSession:
        return endpoints.authorized_session(self.credentials(scopes), self.base_url)

    def gspread(self) -> gspread.Client:
        return endpoints.gspread_client(self.credentials(), self.base_url)

    def keep(self, file_id: str) -> str:
        """Remember a file to delete after the test (on Google; the emulator is reset anyway)."""
        self.created.append(file_id)
        return file_id

    def emulator_only(self, why: str) -> WorkspaceEmulator:
        """Skip on Google what only the emulator can show (a control endpoint, a shrunken quota)."""
        if self.emulator is None:
            pytest.skip(f"emulator only: {why}")
        return self.emulator


def _google_info() -> dict[str, Any] | None:
    raw = os.environ.get(CREDENTIALS_ENV)
    if not raw:
        return None
    text = raw if raw.lstrip().startswith("{") else Path(raw).read_text(encoding="utf-8")
    info: dict[str, Any] = json.loads(text)
    return info


@pytest.fixture(scope="session")
def conformance_emulator() -> Iterator[WorkspaceEmulator]:
    with WorkspaceEmulator(EmulatorConfig()) as running:
        yield running


@pytest.fixture(params=["emulator", "google"])
def google(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The Workspace under test; the `google` variant needs THIDUA_CONFORMANCE_CREDENTIALS and _USER."""
    if request.param == "google":
        info = _google_info()
        if info is None or not os.environ.get(USER_ENV):
            pytest.skip(f"real Google: set {CREDENTIALS_ENV} and {USER_ENV}")
        target = Target("google", info, os.environ[USER_ENV], None)
    else:
        running: WorkspaceEmulator = request.getfixturevalue("conformance_emulator")
        running.reset()
        target = Target("emulator", fake_service_account().info(running.base_url), DEFAULT_USER, running.base_url,
                        running)
    yield target
    if target.is_google and target.created:
        drive = target.service("drive", "v3")
        for file_id in target.created:
            # best effort: a failed clean-up must not hide the test's own result
            with contextlib.suppress(Exception):
                drive.files().delete(fileId=file_id).execute()


@contextmanager
def configured(config: EmulatorConfig) -> Iterator[Target]:
    """A Target on a fresh emulator with `config` (a shrunken quota, an Admin-console allow-list)."""
    with WorkspaceEmulator(config) as running:
        yield Target("emulator", fake_service_account().info(running.base_url), DEFAULT_USER, running.base_url,
                     running)
