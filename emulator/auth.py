"""The OAuth2 token endpoint and the store of access tokens it granted.

google-auth's service-account credentials post a JWT-bearer assertion to their ``token_uri``; user
credentials post a refresh token. The store remembers each token's scopes, subject (the delegated user)
and client, which the server uses for scope checks, per-user quotas and ``userId=me``.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from google.auth import jwt

_decode_jwt: Any = jwt.decode  # google-auth leaves it unannotated

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_LIFETIME = 3600


@dataclass(frozen=True)
class Grant:
    """What an access token stands for."""

    token: str
    scopes: frozenset[str]
    subject: str | None
    client: str
    expires_at: float
    service_account: bool = False  # a JWT-bearer grant: a service account, acting as itself unless `subject`

    @property
    def user(self) -> str:
        return self.subject or self.client


@dataclass(frozen=True)
class RefreshGrant:
    """A refresh token the emulator accepts (registered by config or ``POST /_emulator/refresh_tokens``)."""

    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    subject: str


class TokenError(Exception):
    """Answered at ``/token`` with OAuth2's error body (``{"error", "error_description"}``)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass
class TokenStore:
    """Thread-safe store of issued tokens, trusted signing keys (strict mode) and refresh tokens."""

    trusted_certs: dict[str, str] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshGrant] = field(default_factory=dict)
    delegation: dict[str, list[str]] | None = None
    _grants: dict[str, Grant] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def strict(self) -> bool:
        return bool(self.trusted_certs)

    def issue(self, scopes: frozenset[str], subject: str | None, client: str, service_account: bool = False) -> Grant:
        grant = Grant(
            token="ya29.emu-" + secrets.token_urlsafe(24),
            scopes=scopes,
            subject=subject,
            client=client,
            expires_at=time.time() + TOKEN_LIFETIME,
            service_account=service_account,
        )
        with self._lock:
            self._grants[grant.token] = grant
        return grant

    def lookup(self, token: str) -> Grant | None:
        with self._lock:
            grant = self._grants.get(token)
        if grant is None or grant.expires_at < time.time():
            return None
        return grant

    def register_refresh_token(self, token: str, grant: RefreshGrant) -> None:
        with self._lock:
            self.refresh_tokens[token] = grant

    def clear(self) -> None:
        with self._lock:
            self._grants.clear()

    def exchange(self, form: Mapping[str, str]) -> dict[str, Any]:
        """Answer a token request (the form fields of ``POST /token``)."""
        grant_type = form.get("grant_type", "")
        if grant_type == JWT_BEARER:
            grant = self._from_assertion(form.get("assertion", ""))
        elif grant_type == "refresh_token":
            grant = self._from_refresh_token(form)
        else:
            raise TokenError("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        return {
            "access_token": grant.token,
            "expires_in": TOKEN_LIFETIME - 1,
            "scope": " ".join(sorted(grant.scopes)),
            "token_type": "Bearer",
        }

    def _from_assertion(self, assertion: str) -> Grant:
        if not assertion:
            raise TokenError("invalid_request", "Missing required parameter: assertion")
        try:
            if self.strict:
                claims = _decode_jwt(assertion, certs=self.trusted_certs, verify=True)
            else:
                claims = _decode_jwt(assertion, verify=False)
        except ValueError as exc:
            raise TokenError("invalid_grant", f"Invalid JWT Signature. ({exc})") from None
        if float(claims.get("exp", 0)) < time.time() - 300:
            raise TokenError(
                "invalid_grant", "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe."
            )
        scope = str(claims.get("scope", "")).split()
        if not scope:
            raise TokenError("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        issuer = str(claims.get("iss", ""))
        if not issuer:
            raise TokenError("invalid_grant", "Invalid JWT: missing iss claim.")
        subject = claims.get("sub")
        if subject and self.delegation is not None:
            allowed = set(self.delegation.get(issuer, ()))
            if not allowed or not set(scope) <= allowed:
                # What Google answers when the Admin console's domain-wide delegation lacks a requested scope.
                raise TokenError(
                    "unauthorized_client",
                    "Client is unauthorized to retrieve access tokens using this method, or client not authorized "
                    "for any of the scopes requested.",
                )
        return self.issue(frozenset(scope), str(subject) if subject else None, issuer, service_account=True)

    def _from_refresh_token(self, form: Mapping[str, str]) -> Grant:
        token = form.get("refresh_token", "")
        registered = self.refresh_tokens.get(token)
        asked = form.get("scope", "").split()
        if registered is not None:
            if (form.get("client_id"), form.get("client_secret")) != (
                registered.client_id,
                registered.client_secret,
            ):
                raise TokenError("invalid_client", "The OAuth client was not found.")
            scopes = set(registered.scopes)
            if asked:
                if not set(asked) <= scopes:
                    raise TokenError("invalid_scope", "Bad Request")
                scopes = set(asked)
            return self.issue(frozenset(scopes), registered.subject, registered.client_id)
        if self.strict or not token or not asked:
            raise TokenError("invalid_grant", "Token has been expired or revoked.")
        client = form.get("client_id") or "refresh-token-client"
        return self.issue(frozenset(asked), None, client)
