"""The loop every batchUpdate shares (Sheets, Docs): each request names exactly one kind, handled in order.

Google applies a batch whole or not at all; the first error stops it here and the service's model puts its state
back, so each service only says which handlers it has and what a handler is given."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from emulator.errors import bad_request, unimplemented

R = TypeVar("R")


def dispatch(requests: list[dict[str, Any]], handlers: Mapping[str, Callable[[R, dict[str, Any]], dict[str, Any]]],
             request_for: Callable[[int, str], R], method: str) -> list[dict[str, Any]]:
    """The replies of `requests`, each handled by the handler of its kind; `method` names the API method in the
    error for a kind the emulator does not model."""
    replies: list[dict[str, Any]] = []
    for i, request in enumerate(requests):
        if len(request) != 1:
            raise bad_request(f"Invalid requests[{i}]: exactly one request kind must be set.")
        kind, args = next(iter(request.items()))
        handler = handlers.get(kind)
        if handler is None:
            raise unimplemented(f"{method} request kind '{kind}'")
        replies.append(handler(request_for(i, kind), args or {}))
    return replies
