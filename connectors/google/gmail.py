"""Report delivery through the school's Gmail: users.messages.send, with the sent mail as the outbox of record.

Sending is not idempotent, so a send is only retried after the sent mail has been searched for its
Message-ID: an answer lost in transit (a 503 after Google accepted the message) never becomes a second email.
"""

from __future__ import annotations

import base64
from email.message import EmailMessage
from typing import Any

import httplib2
from googleapiclient.errors import HttpError

from connectors.google.api import GoogleApi, GoogleApiError
from connectors.ports import NeverSent


class GmailNeverSent(GoogleApiError, NeverSent):
    """Gmail refused the first attempt, or it never went out: nothing can have been sent."""

SEND_SCOPE = "https://www.googleapis.com/auth/gmail.send"
# messages.list with `q` (the Message-ID search) is refused under gmail.metadata; readonly is the narrowest.
SEARCH_SCOPE = "https://www.googleapis.com/auth/gmail.readonly"
SCOPES = (SEND_SCOPE, SEARCH_SCOPE)


class GmailOutbox:
    """Finds sent reports by their deterministic Message-ID."""

    def __init__(self, service: Any, api: GoogleApi, user_id: str = "me") -> None:
        self._messages = service.users().messages()
        self._api = api
        self._user = user_id

    def contains(self, message_id: str) -> bool:
        query = f"rfc822msgid:{message_id.strip('<>')} in:sent"
        reply = self._api.execute(self._messages.list(userId=self._user, q=query, maxResults=1))
        return bool(reply.get("messages"))

    def sent_ids(self, message_id: str) -> set[str]:
        """The shape deliver_once asks for: the set of sent Message-IDs, narrowed to the one that matters."""
        return {message_id} if self.contains(message_id) else set()


class GmailMailer:
    """Implements the Mailer port on users.messages.send."""

    def __init__(self, service: Any, api: GoogleApi, user_id: str = "me", attempts: int = 4) -> None:
        self._messages = service.users().messages()
        self._api = api
        self._user = user_id
        self._attempts = attempts
        self.outbox = GmailOutbox(service, api, user_id)

    def send(self, message: EmailMessage) -> None:
        message_id = str(message["Message-ID"])
        raw = base64.urlsafe_b64encode(message.as_bytes()).decode("ascii")
        for attempt in range(self._attempts):
            if attempt and self.outbox.contains(message_id):
                return  # an earlier attempt reached Google; its answer was what got lost
            try:
                self._api.execute(self._messages.send(userId=self._user, body={"raw": raw}), idempotent=False)
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
