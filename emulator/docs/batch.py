"""documents.batchUpdate: one dispatcher from each request's name to its handler; the handlers live in
`emulator.docs.handlers`, grouped by what they edit (text, tables, images)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.batch import dispatch
from emulator.docs.document import Document
from emulator.docs.handlers import images, tables, text
from emulator.docs.handlers.base import Handler, Request

#: Every request kind the emulator acts on, by the name Google gives it in a batchUpdate body.
HANDLERS: dict[str, Handler] = {**text.HANDLERS, **tables.HANDLERS, **images.HANDLERS}


def apply_requests(work: Document, requests: list[dict[str, Any]],
                   fetch_image: Callable[[str], bytes | None] | None) -> list[dict[str, Any]]:
    """Applies the requests in order to a working copy and returns their replies; the first error stops the batch
    and the model keeps the document as it was, since Google applies a batch whole or not at all."""
    return dispatch(requests, HANDLERS, lambda i, kind: Request(work, i, kind, fetch_image),
                    "docs.documents.batchUpdate")
