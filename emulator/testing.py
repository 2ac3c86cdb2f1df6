"""Test helpers: a session-scoped emulator fixture factory, a fake service account, and ready clients.

# conftest.py
from emulator.testing import emulator_fixture, workspace_fixture
emulator = emulator_fixture()            # session-scoped running WorkspaceEmulator
workspace = workspace_fixture()          # function-scoped: resets state, yields a WorkspaceClients
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import gspread
import pytest
from google.oauth2 import service_account

from connectors.google import endpoints
from emulator.accounts import FakeServiceAccount, fake_service_account
from emulator.server import EmulatorConfig, WorkspaceEmulator

ALL_SCOPES = (
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/documents",
    "https://www.googleapis.com/auth/forms.body",
    "https://www.googleapis.com/auth/forms.responses.readonly",
    "https://www.googleapis.com/auth/gmail.send",
    "https://www.googleapis.com/auth/gmail.readonly",
)
DEFAULT_USER = "van.thu@truong-thcs.edu.vn"


@dataclass
class WorkspaceClients:
    """Clients bound to one running emulator; build more for other users or scopes with the methods."""

    emulator: WorkspaceEmulator
    account: FakeServiceAccount = field(default_factory=fake_service_account)
    user: str = DEFAULT_USER

    @property
    def base_url(self) -> str:
        return self.emulator.base_url

    def credentials(self, scopes: Iterable[str] = ALL_SCOPES, user: str | None = None) -> service_account.Credentials:
        return endpoints.service_account_credentials(
            self.account.info(self.base_url), scopes, subject=user or self.user, base_url=self.base_url
        )

    def service(self, api: str, version: str, scopes: Iterable[str] = ALL_SCOPES, user: str | None = None) -> Any:
        return endpoints.build_service(api, version, self.credentials(scopes, user), self.base_url)

    def gspread(self, scopes: Iterable[str] = ALL_SCOPES, user: str | None = None) -> gspread.Client:
        return endpoints.gspread_client(self.credentials(scopes, user), self.base_url)

    def session(self, scopes: Iterable[str] = ALL_SCOPES, user: str | None = None) -> Any:
        return endpoints.authorized_session(self.credentials(scopes, user), self.base_url)


def emulator_fixture(config: EmulatorConfig | None = None, name: str = "emulator") -> Callable[..., Any]:
    """A session-scoped pytest fixture yielding a started ``WorkspaceEmulator``."""

    @pytest.fixture(scope="session", name=name)
    def _emulator() -> Iterator[WorkspaceEmulator]:
        with WorkspaceEmulator(config or EmulatorConfig()) as running:
            yield running

    return _emulator


def workspace_fixture(emulator_name: str = "emulator", name: str = "workspace") -> Callable[..., Any]:
    """A function-scoped fixture: resets the session emulator and yields ``WorkspaceClients`` for it."""

    @pytest.fixture(name=name)
    def _workspace(request: pytest.FixtureRequest) -> WorkspaceClients:
        running: WorkspaceEmulator = request.getfixturevalue(emulator_name)
        running.reset()
        return WorkspaceClients(running)

    return _workspace
