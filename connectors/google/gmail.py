"""Report delivery through the school's Gmail: users.messages.send, with the sent mail as the outbox of record.

Messages go through the media-upload endpoint (`/upload/gmail/v1/users/{userId}/messages/send`), which takes up
to 35 MB (the discovery document's `maxSize`); a base64 `raw` field inside a JSON body is refused by Google far
below that. Sending is not idempotent, so a send is only retried after the sent mail has been searched: by the
Message-ID and by a lookup token written into the body, because Gmail may replace a Message-ID the client set.
Gmail's own id for each sent report is kept the moment the send returns.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import io
import logging
from email.message import EmailMessage, Message
from typing import Any

import httplib2
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from connectors.google.api import GoogleApi, GoogleApiError
from connectors.ports import NeverSent
from thidua.replies import EmailReply

logger = logging.getLogger(__name__)


class GmailNeverSent(GoogleApiError, NeverSent):
    """Gmail refused the first attempt, or it never went out: nothing can have been sent."""

SEND_SCOPE = "https://www.googleapis.com/auth/gmail.send"
# messages.list with `q` (the Message-ID search) is refused under gmail.metadata; readonly is the narrowest.
SEARCH_SCOPE = "https://www.googleapis.com/auth/gmail.readonly"
SCOPES = (SEND_SCOPE, SEARCH_SCOPE)
RFC822 = "message/rfc822"
MAX_MESSAGE_BYTES = 36_700_160  # messages.send's mediaUpload.maxSize in the discovery document (35 MB)


def lookup_token(message_id: str) -> str:
    """One word Gmail's full-text search finds, derived from the Message-ID so a resumed run knows it too."""
    return "thidua" + hashlib.sha256(message_id.strip().encode()).hexdigest()[:20]


def with_lookup_token(message: EmailMessage) -> EmailMessage:
    """A copy of `message` whose plain-text body ends with its lookup token (once)."""
    token = lookup_token(str(message["Message-ID"]))
    stamped = copy.deepcopy(message)
    for part in stamped.walk():
        if part.get_content_type() == "text/plain" and not part.get_filename():
            text = str(part.get_content())
            if token not in text:
                text = text.rstrip("\n") + f"\n\n(Mã thư: {token})\n"
                part.set_content(text, subtype="plain", charset="utf-8", cte="base64")
            return stamped
    return stamped


class GmailOutbox:
    """Finds sent reports by Message-ID or, if Gmail rewrote that header, by the lookup token in the body."""

    def __init__(self, service: object, api: GoogleApi, user_id: str = "me") -> None:
        self._messages = service.users().messages()  # type: ignore[attr-defined]
        self._api = api
        self._user = user_id
        self.gmail_ids: dict[str, str] = {}  # our Message-ID → Gmail's message id, filled as sends return

    def contains(self, message_id: str) -> bool:
        """Whether a message with this Message-ID is in the sent mail, so a crashed run does not send it twice."""
        if message_id in self.gmail_ids:
            return True
        query = f"in:sent {{rfc822msgid:{message_id.strip('<>')} {lookup_token(message_id)}}}"
        reply = self._api.execute(self._messages.list(userId=self._user, q=query, maxResults=1))
        found = reply.get("messages") or []
        if found:
            self.gmail_ids[message_id] = str(found[0]["id"])
        return bool(found)

    def sent_ids(self, message_id: str) -> set[str]:
        """The shape deliver_once asks for: the set of sent Message-IDs, narrowed to the one that matters."""
        return {message_id} if self.contains(message_id) else set()


class GmailMailer:
    """Implements the Mailer port on users.messages.send (media upload)."""

    def __init__(self, service: object, api: GoogleApi, user_id: str = "me", attempts: int = 4) -> None:
        self._messages = service.users().messages()  # type: ignore[attr-defined]
        self._api = api
        self._user = user_id
        self._attempts = attempts
        self.outbox = GmailOutbox(service, api, user_id)

    def send(self, message: EmailMessage) -> None:
        """Sends one message as the plan's user; a message too large for Gmail is refused before it is sent."""
        message_id = str(message["Message-ID"])
        data = with_lookup_token(message).as_bytes()
        if len(data) > MAX_MESSAGE_BYTES:
            raise GmailNeverSent(
                f"Thư «{message['Subject']}» nặng {len(data) / 2**20:.1f} MB (đã mã hóa), vượt giới hạn 35 MB của "
                "Gmail: không gửi. Hãy giảm dung lượng tệp đính kèm (ví dụ xuất PDF nhẹ hơn, tách phụ lục) rồi "
                "chạy lại."
            )
        for attempt in range(self._attempts):
            if attempt and self.outbox.contains(message_id):
                return  # an earlier attempt reached Google; its answer was what got lost
            try:
                media = MediaIoBaseUpload(io.BytesIO(data), mimetype=RFC822, resumable=False)
                reply = self._api.execute(self._messages.send(userId=self._user, media_body=media),
                                          idempotent=False)
                self.outbox.gmail_ids[message_id] = str(reply.get("id", ""))
                logger.info("Gmail accepted %s as message %s", message_id, reply.get("id"))
                return
            except GoogleApiError as error:  # no token, or no quota: the request never went out
                if attempt == 0:
                    raise GmailNeverSent(str(error)) from error
                raise
            except HttpError as error:
                status = int(error.resp.status)
                if status < 500 and attempt == 0:
                    raise GmailNeverSent(f"Gmail từ chối thư ({status}): {error.reason}.") from error
                if status < 500 or attempt == self._attempts - 1:
                    raise
            except (OSError, httplib2.HttpLib2Error):  # a dropped connection: maybe sent, maybe not
                if attempt == self._attempts - 1:
                    raise
            self._api.sleep(self._api.policy.delay(attempt, None, self._api.rng))


class GmailReplies:
    """Implements the ReplyInbox port: the sent message's Gmail thread (users.threads.get), where a reply lands."""

    def __init__(self, service: Any, api: GoogleApi, user_id: str = "me") -> None:
        self._users = service.users()
        self._api = api
        self._user = user_id

    def replies(self, message_id: str) -> list[EmailReply]:
        """The other messages of the sent message's thread; the sent message is found as GmailOutbox finds it
        (by Message-ID, or by its lookup token where Gmail rewrote that header) and left out by its Gmail id."""
        query = f"in:sent {{rfc822msgid:{message_id.strip('<>')} {lookup_token(message_id)}}}"
        found = self._api.execute(self._users.messages().list(userId=self._user, q=query, maxResults=1))
        if not found.get("messages"):
            return []
        sent = found["messages"][0]
        thread = self._api.execute(self._users.threads().get(userId=self._user, id=sent["threadId"], format="full"))
        return [_reply(message) for message in thread.get("messages", []) if message["id"] != sent["id"]]


def _reply(message: dict[str, Any]) -> EmailReply:
    payload = message.get("payload", {})
    headers = {h["name"].lower(): h["value"] for h in payload.get("headers", [])}
    received = dt.datetime.fromtimestamp(int(message.get("internalDate", "0")) / 1000, dt.UTC)
    return EmailReply(headers.get("message-id", message["id"]), headers.get("from", ""), received,
                      _plain_text(payload))


def _plain_text(part: dict[str, Any]) -> str:
    """The first text/plain body that is not an attachment, decoded (Gmail gives base64url data)."""
    if part.get("mimeType") == "text/plain" and not part.get("filename") and part.get("body", {}).get("data"):
        data = part["body"]["data"]
        content_type = next((h["value"] for h in part.get("headers", []) if h["name"].lower() == "content-type"), "")
        charset = Message()
        charset["Content-Type"] = content_type or "text/plain"
        encoding = charset.get_content_charset() or "utf-8"
        raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
        try:
            return raw.decode(encoding, errors="replace")
        except LookupError:  # a charset Python does not know
            return raw.decode("utf-8", errors="replace")
    for child in part.get("parts", []):
        text = _plain_text(child)
        if text:
            return text
    return ""
