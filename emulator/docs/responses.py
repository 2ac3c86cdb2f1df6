"""Docs v1 over HTTP: documents create/get/batchUpdate."""

from __future__ import annotations

from emulator.docs.models import DocsModel
from emulator.errors import bad_request
from emulator.service import Call, Handler, Reply


def handlers(docs: DocsModel) -> dict[str, Handler]:
    def create(call: Call) -> Reply:
        body = call.body or {}
        extra = sorted(k for k in body if k != "title")
        if any(body.get(k) for k in extra if k not in ("documentId", "revisionId", "suggestionsViewMode")):
            raise bad_request("Only the title can be set when creating a document; other fields are ignored by Google "
                              "and rejected here: " + ", ".join(extra))  # fmt: skip
        doc = docs.create(body.get("title", ""), call.user)
        return Reply(docs.get(doc.id))

    def get(call: Call) -> Reply:
        if call.query.get("suggestionsViewMode") not in (
            None,
            "DEFAULT_FOR_CURRENT_ACCESS",
            "SUGGESTIONS_INLINE",
            "PREVIEW_WITHOUT_SUGGESTIONS",
        ):
            raise bad_request("Unsupported suggestionsViewMode.", "suggestionsViewMode")
        return Reply(docs.get(call.param("documentId"), bool(call.query.get("includeTabsContent"))))

    def batch_update(call: Call) -> Reply:
        return Reply(docs.batch_update(call.param("documentId"), call.body or {}))

    return {
        "docs.documents.create": create,
        "docs.documents.get": get,
        "docs.documents.batchUpdate": batch_update,
    }
