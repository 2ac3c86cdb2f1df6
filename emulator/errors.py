"""Google's error bodies, as exceptions a handler raises and the server renders."""

from __future__ import annotations

from typing import Any

_STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
}
_REASON_BY_CODE = {
    400: "badRequest",
    401: "authError",
    403: "forbidden",
    404: "notFound",
    429: "rateLimitExceeded",
    500: "backendError",
    501: "notImplemented",
    503: "backendError",
}


class GoogleError(Exception):
    """An error answered with Google's JSON shape ``{"error": {"code", "message", "status", ...}}``."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        status: str | None = None,
        reason: str | None = None,
        domain: str = "global",
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        location: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or _STATUS_BY_CODE.get(code, "UNKNOWN")
        self.reason = reason or _REASON_BY_CODE.get(code, "error")
        self.domain = domain
        self.details = details
        self.headers = headers or {}
        self.location = location  # (location, locationType) of the legacy errors[] entry: ("fields", "parameter")

    def body(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"message": self.message, "domain": self.domain, "reason": self.reason}
        if self.location:
            entry["location"], entry["locationType"] = self.location
        error: dict[str, Any] = {"code": self.code, "message": self.message, "errors": [entry], "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def bad_request(message: str, field: str | None = None) -> GoogleError:
    details = None
    if field is not None:
        details = [
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": field, "description": message}],
            }
        ]
    return GoogleError(400, message, details=details)


def not_found(message: str) -> GoogleError:
    return GoogleError(404, message)


def unimplemented(what: str) -> GoogleError:
    return GoogleError(
        501,
        f"{what} is not implemented by the thidua Workspace emulator (see emulator/README.md).",
    )
