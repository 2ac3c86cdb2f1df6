"""Identifiers shaped like Google's (44-character Docs-editor ids, short hex ids for messages and items)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


def file_id() -> str:
    return "1" + secrets.token_urlsafe(32)[:43]


def hex_id(length: int = 16) -> str:
    return secrets.token_hex(length // 2 + 1)[:length]


def now_rfc3339() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
