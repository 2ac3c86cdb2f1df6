"""Gmail state: each user's mailbox of sent messages, kept as the raw RFC 822 bytes they were sent as.

``messages.get`` derives ``payload`` (headers decoded, parts, bodies, attachment ids) from the stored bytes
on read, so what comes back is exactly what went in.
"""

from __future__ import annotations

import base64
import copy
import email
import email.header
import email.utils
import functools
import hashlib
import re
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from emulator.errors import bad_request, not_found, unimplemented
from emulator.ids import hex_id


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class StoredMessage:
    id: str
    thread_id: str
    raw: bytes
    label_ids: list[str]
    internal_date: int
    history_id: int

    def parsed(self) -> Message:
        """The message parsed once: a search reads a header of every stored message, and each report's message
        carries a PDF (the Google demo spent 3.7 s parsing them again). Callers only read it."""
        return _parse(self.raw)

    def header(self, name: str) -> str:
        value = self.parsed().get(name)
        return _decode_header(value) if value is not None else ""

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["raw"] = b64url(self.raw)
        return data


@functools.lru_cache(maxsize=64)
def _parse(raw: bytes) -> Message:
    return email.message_from_bytes(raw)


def _decode_header(value: Any) -> str:
    try:
        return str(email.header.make_header(email.header.decode_header(str(value))))
    except (email.errors.HeaderParseError, UnicodeDecodeError, LookupError):
        return str(value)


def _attachment_id(message_id: str, part_id: str) -> str:
    return "ANGjdJ" + hashlib.sha256(f"{message_id}/{part_id}".encode()).hexdigest()[:40]


@dataclass
class Mailbox:
    messages: dict[str, StoredMessage] = field(default_factory=dict)


class GmailModel:
    def __init__(self, rewrite_message_ids: bool = False) -> None:
        # Gmail may replace a Message-ID the client set (reported for API sends); on, every send gets Gmail's own.
        self.rewrite_message_ids = rewrite_message_ids
        self.boxes: dict[str, Mailbox] = {}
        self.lock = threading.RLock()
        self._history = 1000

    def _box(self, user: str) -> Mailbox:
        return self.boxes.setdefault(user, Mailbox())

    def send(self, user: str, raw: bytes, thread_id: str | None = None) -> StoredMessage:
        if not raw.strip():
            raise bad_request("Invalid raw message: it is empty.", "raw")
        parsed = email.message_from_bytes(raw)
        recipients = [a for h in ("To", "Cc", "Bcc") for a in email.utils.getaddresses(parsed.get_all(h, []))]
        if not any(addr for _, addr in recipients):
            raise bad_request("Invalid To header", "raw")
        message_id = hex_id(16)
        if self.rewrite_message_ids and parsed.get("Message-ID") is not None:
            raw = _drop_header(raw, "Message-ID")
            parsed = email.message_from_bytes(raw)
        if parsed.get("Message-ID") is None:
            domain = "mail.gmail.com" if self.rewrite_message_ids else "emulator.thidua.local"
            raw = f"Message-ID: <CA{message_id}@{domain}>\r\n".encode() + raw
        with self.lock:
            box = self._box(user)
            thread = thread_id
            if thread is not None and not any(m.thread_id == thread for m in box.messages.values()):
                raise not_found(f"Thread {thread} not found.")
            if thread is None:
                refs = (parsed.get("In-Reply-To", "") + " " + parsed.get("References", "")).split()
                for stored in box.messages.values():
                    if stored.header("Message-ID") in refs:
                        thread = stored.thread_id
                        break
            self._history += 1
            stored = StoredMessage(
                message_id, thread or message_id, raw, ["SENT"], int(time.time() * 1000), self._history
            )
            box.messages[message_id] = stored
            self._deliver(user, parsed, raw, stored)
            return stored

    def _deliver(self, sender: str, parsed: Message, raw: bytes, sent: StoredMessage) -> None:
        """Files a copy in each recipient's mailbox (INBOX, UNREAD), as Gmail does for its own users; the sender's
        own address among the recipients labels the sent message INBOX instead of making a second copy. A copy
        joins the recipient's thread holding a message it references with the same subject (Gmail's threading
        rule, developers.google.com/workspace/gmail/api/guides/threads), else it starts a thread."""
        recipients = {a.strip().lower() for h in ("To", "Cc", "Bcc")
                      for _, a in email.utils.getaddresses(parsed.get_all(h, [])) if a}
        for recipient in sorted(recipients):
            if recipient == sender.lower():
                sent.label_ids = [*sent.label_ids, "INBOX"]
                continue
            box = self._box(recipient)
            refs = set((parsed.get("In-Reply-To", "") + " " + parsed.get("References", "")).split())
            subject = _thread_subject(parsed.get("Subject", ""))
            thread = next((m.thread_id for m in box.messages.values()
                           if m.header("Message-ID").strip() in refs
                           and _thread_subject(m.header("Subject")) == subject), None)
            copy_id = hex_id(16)
            self._history += 1
            box.messages[copy_id] = StoredMessage(copy_id, thread or copy_id, raw, ["INBOX", "UNREAD"],
                                                  sent.internal_date, self._history)

    def thread(self, user: str, thread_id: str) -> list[StoredMessage]:
        """A thread's messages, oldest first (users.threads.get)."""
        with self.lock:
            found = [m for m in self._box(user).messages.values() if m.thread_id == thread_id]
        if not found:
            raise not_found("Requested entity was not found.")
        return sorted(found, key=lambda m: (m.internal_date, m.history_id))

    def require(self, user: str, mid: str) -> StoredMessage:
        with self.lock:
            found = self._box(user).messages.get(mid)
        if found is None:
            raise not_found("Requested entity was not found.")
        return found

    def search(self, user: str, q: str | None, label_ids: list[str], include_spam_trash: bool) -> list[StoredMessage]:
        with self.lock:
            found = sorted(
                self._box(user).messages.values(), key=lambda m: (m.internal_date, m.history_id), reverse=True
            )
        for label in label_ids:
            found = [m for m in found if label in m.label_ids]
        if not include_spam_trash:
            found = [m for m in found if "TRASH" not in m.label_ids and "SPAM" not in m.label_ids]
        for group in _terms(q or ""):
            found = [m for m in found if any(_matches(m, term) for term in group)]
        return found

    def resource(self, message: StoredMessage, fmt: str, metadata_headers: list[str]) -> dict[str, Any]:
        parsed = message.parsed()
        out: dict[str, Any] = {
            "id": message.id,
            "threadId": message.thread_id,
            "labelIds": list(message.label_ids),
            "snippet": _snippet(parsed),
            "sizeEstimate": len(message.raw),
            "historyId": str(message.history_id),
            "internalDate": str(message.internal_date),
        }
        if fmt == "minimal":
            return out
        if fmt == "raw":
            out["raw"] = b64url(message.raw)
            return out
        if fmt == "metadata":
            wanted = {h.lower() for h in metadata_headers}
            out["payload"] = {
                "mimeType": parsed.get_content_type(),
                "headers": [h for h in _headers(parsed) if not wanted or h["name"].lower() in wanted],
            }
            return out
        out["payload"] = _part(parsed, "", message.id)
        return out

    def profile(self, user: str) -> dict[str, Any]:
        with self.lock:
            messages = list(self._box(user).messages.values())
            return {
                "emailAddress": user,
                "messagesTotal": len(messages),
                "threadsTotal": len({m.thread_id for m in messages}),
                "historyId": str(max((m.history_id for m in messages), default=self._history)),
            }

    def attachment(self, user: str, mid: str, aid: str) -> dict[str, Any]:
        message = self.require(user, mid)
        for part_id, part in _walk(message.parsed(), ""):
            if _attachment_id(message.id, part_id) == aid:
                data = part.get_payload(decode=True) or b""
                assert isinstance(data, bytes)
                return {"attachmentId": aid, "size": len(data), "data": b64url(data)}
        raise not_found("Requested entity was not found.")

    def to_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "mailboxes": {u: [m.to_json() for m in b.messages.values()] for u, b in self.boxes.items()},
                "history": self._history,
            }

    def load_json(self, data: dict[str, Any]) -> None:
        with self.lock:
            self._history = int(data.get("history", 1000))
            self.boxes = {}
            for user, messages in data.get("mailboxes", {}).items():
                box = self._box(user)
                for m in messages:
                    m = dict(m)
                    m["raw"] = unb64url(m["raw"])
                    box.messages[m["id"]] = StoredMessage(**m)


_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|tr|trả lời|chuyển tiếp)\s*:\s*)+", re.IGNORECASE)


def _thread_subject(subject: str) -> str:
    """A subject as threading compares it: "Re:"/"Fwd:" prefixes dropped, and whitespace, which RFC 2047 folding
    between encoded words may drop or keep, ignored."""
    return "".join(_REPLY_PREFIX.sub("", _decode_header(subject)).split())


def _headers(part: Message) -> list[dict[str, str]]:
    return [{"name": k, "value": _decode_header(v)} for k, v in part.items()]


def _walk(part: Message, part_id: str) -> list[tuple[str, Message]]:
    out = [(part_id, part)]
    if part.is_multipart():
        for i, child in enumerate(part.get_payload()):
            child_id = f"{part_id}.{i}" if part_id else str(i)
            out.extend(_walk(child, child_id))
    return out


def _part(part: Message, part_id: str, message_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "partId": part_id,
        "mimeType": part.get_content_type(),
        "filename": part.get_filename() or "",
        "headers": _headers(part),
    }
    if part.is_multipart():
        out["body"] = {"size": 0}
        out["parts"] = [
            _part(child, f"{part_id}.{i}" if part_id else str(i), message_id)
            for i, child in enumerate(part.get_payload())
        ]
        return out
    data = part.get_payload(decode=True) or b""
    assert isinstance(data, bytes)
    if part.get_filename():
        out["body"] = {"attachmentId": _attachment_id(message_id, part_id), "size": len(data)}
    else:
        out["body"] = {"size": len(data), "data": b64url(data)} if data else {"size": 0}
    return out


def _snippet(parsed: Message) -> str:
    for _, part in _walk(parsed, ""):
        if part.get_content_type() == "text/plain" and not part.get_filename():
            data = part.get_payload(decode=True) or b""
            assert isinstance(data, bytes)
            text = data.decode(part.get_content_charset() or "utf-8", errors="replace")
            return " ".join(text.split())[:200]
    return ""


_TERM = re.compile(r'(-?)(\w+):("[^"]*"|<[^>]*>|[^\s{}]+)|(-?)("[^"]*"|[^\s{}:]+)|([{}])')
Term = tuple[bool, str, str]  # (negated, operator or "" for full text, value)


def _terms(q: str) -> list[list[Term]]:
    """Each group is ANDed with the others; the terms inside ``{...}`` are ORed, as in Gmail's search."""
    groups: list[list[Term]] = []
    current: list[Term] | None = None
    for found in _TERM.finditer(q):
        if found.group(6) == "{":
            current = []
            continue
        if found.group(6) == "}":
            if current:
                groups.append(current)
            current = None
            continue
        if found.group(2):
            term = (found.group(1) == "-", found.group(2).lower(), found.group(3).strip('"'))
        else:
            term = (found.group(4) == "-", "", found.group(5).strip('"'))
        if current is not None:
            current.append(term)
        else:
            groups.append([term])
    return groups


def _drop_header(raw: bytes, name: str) -> bytes:
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = raw.partition(b"\n\n")
    lines = head.splitlines(keepends=True)
    kept: list[bytes] = []
    skipping = False
    for line in lines:
        if line[:1] in (b" ", b"\t") and skipping:
            continue
        skipping = line.lower().startswith(name.lower().encode() + b":")
        if not skipping:
            kept.append(line)
    return b"".join(kept) + sep + body


def _full_text(message: StoredMessage) -> str:
    texts = [message.header("Subject")]
    for _, part in _walk(message.parsed(), ""):
        if part.get_content_maintype() == "text" and not part.get_filename():
            data = part.get_payload(decode=True) or b""
            assert isinstance(data, bytes)
            texts.append(data.decode(part.get_content_charset() or "utf-8", errors="replace"))
    return "\n".join(texts).lower()


def _matches(message: StoredMessage, term: Term) -> bool:
    negate, op, value = term
    if op == "":
        # Full text: a word matches a whole word of the subject or a text part; a quoted phrase, its text.
        words = value.lower().split()
        text = _full_text(message)
        pattern = r"(?<!\w)" + r"\W+".join(map(re.escape, words)) + r"(?!\w)"
        result = bool(words) and re.search(pattern, text) is not None
    elif op == "rfc822msgid":
        wanted = value.strip("<>")
        result = message.header("Message-ID").strip().strip("<>") == wanted
    elif op in ("in", "label"):
        result = value.upper() in message.label_ids or (value.lower() == "anywhere")
    elif op in ("from", "to", "cc", "subject"):
        header = {"from": "From", "to": "To", "cc": "Cc", "subject": "Subject"}[op]
        result = value.lower() in message.header(header).lower()
    elif op == "has" and value == "attachment":
        result = any(p.get_filename() for _, p in _walk(message.parsed(), ""))
    else:
        raise unimplemented(f"Gmail search operator {op}:")
    return result != negate


def copy_resource(resource: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(resource)
