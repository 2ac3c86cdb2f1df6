"""Docs state behind the HTTP layer (`responses.py`): every document, under one lock, and the operations the API
offers on them. The work is done by modules named for their job:

- `document.py`: documents, paragraphs, tables and Google's index arithmetic (the state), and its snapshot;
- `locate.py`: what is at an index; `render.py`: a document as documents.get returns it;
- `batch.py`: batchUpdate's dispatcher from request name to handler, the handlers in `handlers/`;
- `export.py`: DOCX/PDF/text export and DOCX import; `images.py`: fetching an image as Google does.
"""

from __future__ import annotations

import copy
import io
import threading
from collections.abc import Callable
from typing import Any

from emulator.docs.batch import apply_requests
from emulator.docs.document import (
    Document,
    Paragraph,
    SectionBreak,
    document_from_json,
    document_to_json,
    new_body,
    split_paragraphs,
    text_atoms,
)
from emulator.docs.render import render
from emulator.errors import bad_request, not_found, unimplemented
from emulator.ids import file_id
from emulator.service import Media


class DocsModel:
    """All documents; every public method is atomic under the model's lock."""

    def __init__(self, on_create: Callable[[str, str, str], None], on_change: Callable[[str], None],
                 fetch_image: Callable[[str], bytes | None] | None = None) -> None:
        self.fetch_image = fetch_image  # None: no image can be fetched, every insertInlineImage fails
        self.docs: dict[str, Document] = {}
        self.lock = threading.RLock()
        self._on_create = on_create
        self._on_change = on_change

    def create(self, title: str, owner: str, did: str | None = None, register: bool = True) -> Document:
        doc = Document(did or file_id(), title or "Untitled document", new_body())
        with self.lock:
            self.docs[doc.id] = doc
        if register:
            self._on_create(doc.id, doc.title, owner)
        return doc

    def require(self, did: str) -> Document:
        with self.lock:
            doc = self.docs.get(did)
        if doc is None:
            raise not_found("Requested entity was not found.")
        return doc

    def copy(self, source: str, target: str, title: str) -> None:
        with self.lock:
            doc = copy.deepcopy(self.require(source))
            doc.id, doc.title, doc.revision = target, title, 1
            self.docs[target] = doc

    def delete(self, did: str) -> None:
        with self.lock:
            self.docs.pop(did, None)

    def rename(self, did: str, title: str) -> None:
        with self.lock:
            self.require(did).title = title

    def get(self, did: str, tabs: bool = False) -> dict[str, Any]:
        with self.lock:
            return render(self.require(did), tabs)

    def import_media(self, did: str, media: Media) -> None:
        from emulator.docs.export import DOCX, blocks_from_docx, styles_from_docx

        kind = media.content_type.split(";")[0].strip()
        styles: tuple[dict[str, Any], dict[str, Any]] = ({}, {})
        if kind == DOCX:
            body = blocks_from_docx(io.BytesIO(media.data))
            styles = styles_from_docx(media.data)
        elif kind == "text/plain":
            text = media.data.decode("utf-8")
            body = [SectionBreak(), *split_paragraphs(Paragraph(text_atoms(text.rstrip("\n") + "\n")))]
        else:
            raise unimplemented(f"Importing {kind} as a Google Doc (only DOCX and text/plain)")
        with self.lock:
            doc = self.require(did)
            doc.body = body
            doc.document_style, doc.normal_text_style = styles
            doc.revision += 1

    # ------------------------------------------------------------------ batchUpdate

    def batch_update(self, did: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            doc = self.require(did)
            control = body.get("writeControl") or {}
            wanted = control.get("requiredRevisionId") or control.get("targetRevisionId")
            if wanted and wanted != doc.revision_id:
                raise bad_request("The required revision ID does not match the latest revision.")
            work = copy.deepcopy(doc)
            replies = apply_requests(work, body.get("requests") or [], self.fetch_image)
            if replies:
                work.revision += 1
            self.docs[did] = work
        self._on_change(did)
        return {"replies": replies, "writeControl": {"requiredRevisionId": work.revision_id}, "documentId": did}

    # ------------------------------------------------------------------ snapshot

    def to_json(self) -> dict[str, Any]:
        with self.lock:
            return {"documents": [document_to_json(d) for d in self.docs.values()]}

    def load_json(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.docs = {d["id"]: document_from_json(d) for d in data.get("documents", [])}

