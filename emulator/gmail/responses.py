"""Gmail v1 over HTTP: users.messages send/list/get, attachments.get and threads.get; ``userId=me`` is the caller."""

from __future__ import annotations

import base64
import binascii

from emulator.errors import bad_request
from emulator.gmail.models import GmailModel, unb64url
from emulator.service import Call, Handler, Reply

MAX_RESULTS = 500


def handlers(gmail: GmailModel) -> dict[str, Handler]:
    def send(call: Call) -> Reply:
        user = call.resolve_user(call.param("userId"))
        body = call.body or {}
        if call.media is not None:
            raw = call.media.data
        else:
            text = body.get("raw")
            if not text:
                raise bad_request(
                    "'raw' RFC822 payload message string or uploading message via /upload/* URL required", "raw"
                )
            try:
                raw = unb64url(text)
            except (binascii.Error, ValueError):
                raise bad_request("Invalid value for ByteString: " + text[:40], "raw") from None
        stored = gmail.send(user, raw, body.get("threadId"))
        return Reply({"id": stored.id, "threadId": stored.thread_id, "labelIds": stored.label_ids})

    def list_messages(call: Call) -> Reply:
        user = call.resolve_user(call.param("userId"))
        size = int(call.query.get("maxResults", 100))
        if not 1 <= size <= MAX_RESULTS:
            size = min(max(size, 1), MAX_RESULTS)
        found = gmail.search(
            user, call.query.get("q"), call.query.get("labelIds", []), bool(call.query.get("includeSpamTrash"))
        )
        start = 0
        token = call.query.get("pageToken")
        if token:
            try:
                start = int(base64.urlsafe_b64decode(token.encode()).decode())
            except (ValueError, binascii.Error):
                raise bad_request("Invalid pageToken", "pageToken") from None
        page = found[start : start + size]
        body: dict[str, object] = {}
        if page:
            body["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in page]
        if start + size < len(found):
            body["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        body["resultSizeEstimate"] = len(page)
        return Reply(body)

    def get(call: Call) -> Reply:
        user = call.resolve_user(call.param("userId"))
        message = gmail.require(user, call.param("id"))
        return Reply(gmail.resource(message, call.query.get("format", "full"), call.query.get("metadataHeaders", [])))

    def attachment(call: Call) -> Reply:
        user = call.resolve_user(call.param("userId"))
        return Reply(gmail.attachment(user, call.param("messageId"), call.param("id")))

    def thread(call: Call) -> Reply:
        user = call.resolve_user(call.param("userId"))
        messages = gmail.thread(user, call.param("id"))
        fmt, headers = call.query.get("format", "full"), call.query.get("metadataHeaders", [])
        return Reply({"id": call.param("id"), "historyId": str(max(m.history_id for m in messages)),
                      "messages": [gmail.resource(m, fmt, headers) for m in messages]})

    def profile(call: Call) -> Reply:
        return Reply(gmail.profile(call.resolve_user(call.param("userId"))))

    return {
        "gmail.users.getProfile": profile,
        "gmail.users.messages.send": send,
        "gmail.users.messages.list": list_messages,
        "gmail.users.messages.get": get,
        "gmail.users.messages.attachments.get": attachment,
        "gmail.users.threads.get": thread,
    }
