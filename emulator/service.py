"""What a service's ``responses.py`` receives and returns: the seam between HTTP and the models."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from emulator.auth import Grant
from emulator.discovery import Method
from emulator.errors import GoogleError


@dataclass(frozen=True)
class Media:
    content_type: str
    data: bytes


@dataclass
class Call:
    """A validated API call: discovery method, typed parameters, parsed body, uploaded media, caller."""

    method: Method
    path_params: dict[str, str]
    query: dict[str, Any]
    body: Any
    media: Media | None
    grant: Grant
    base_url: str = ""

    @property
    def user(self) -> str:
        return self.grant.user

    def param(self, name: str, default: Any = None) -> Any:
        if name in self.path_params:
            return self.path_params[name]
        return self.query.get(name, default)

    def resolve_user(self, user_id: str) -> str:
        """Gmail-style ``userId``: ``me`` is the caller; anyone else must be the caller too. A service account
        has no mailbox: without domain-wide delegation Gmail answers 400 "Precondition check failed."."""
        if self.grant.service_account and self.grant.subject is None:
            raise GoogleError(400, "Precondition check failed.", status="FAILED_PRECONDITION",
                              reason="failedPrecondition")
        if user_id in ("me", self.user):
            return self.user
        raise GoogleError(403, "Delegation denied for " + self.user, reason="forbidden")


@dataclass
class Reply:
    body: Any = None
    status: int = 200
    content: bytes | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Reply | dict[str, Any]]


# The grant of the call being handled, for models that record which app (OAuth client) created a file.
CALLER: ContextVar[Grant | None] = ContextVar("emulator_caller", default=None)
DRIVE_FILE_SCOPE = "https://www.googleapis.com/auth/drive.file"
BROAD_DRIVE_SCOPES = frozenset(
    "https://www.googleapis.com/auth/" + s
    for s in ("drive", "drive.readonly", "drive.metadata", "drive.metadata.readonly", "drive.photos.readonly")
)


def current_app() -> str:
    """The OAuth client (for a service account, its email) making the current call; "" outside a call."""
    grant = CALLER.get()
    return grant.client if grant is not None else ""


def file_scoped(grant: Grant) -> bool:
    """The token reaches only the files its app created or opened (drive.file without a broader Drive scope)."""
    return DRIVE_FILE_SCOPE in grant.scopes and not grant.scopes & BROAD_DRIVE_SCOPES


def run_as_caller(handler: Handler, call: Call) -> Reply | dict[str, Any]:
    token = CALLER.set(call.grant)
    try:
        return handler(call)
    finally:
        CALLER.reset(token)
