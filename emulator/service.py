"""What a service's ``responses.py`` receives and returns: the seam between HTTP and the models."""

from __future__ import annotations

from collections.abc import Callable
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
