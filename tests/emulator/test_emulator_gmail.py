"""Gmail v1: a message sent as raw RFC 822 (and through the upload path) reads back byte-identical."""

from __future__ import annotations

import base64
import io
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from emulator.testing import WorkspaceClients

SUBJECT = "Thông báo kết quả thi đua học kỳ I – Trường THCS Nguyễn Du"
PLAIN = "Kính gửi quý thầy cô,\nĐính kèm là báo cáo tổng hợp.\n"
HTML = "<p>Kính gửi quý thầy cô,</p><p><b>Đính kèm</b> là báo cáo tổng hợp.</p>\n"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + bytes(range(256))


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def letter(message_id: str) -> bytes:
    message = EmailMessage()
    message["From"] = "van.thu@truong-thcs.edu.vn"
    message["To"] = "Hiệu trưởng <hieu.truong@truong-thcs.edu.vn>"
    message["Subject"] = SUBJECT
    message["Message-ID"] = message_id
    message.set_content(PLAIN)
    message.add_alternative(HTML, subtype="html")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="bao-cao-thi-dua.pdf")
    raw = message.as_bytes()
    assert b"=?utf-8?" in raw  # the subject is RFC 2047-encoded on the wire
    return raw


def test_sent_message_reads_back_byte_identical_in_its_parts(workspace: WorkspaceClients) -> None:
    gmail = workspace.service("gmail", "v1")
    message_id = make_msgid(domain="truong-thcs.edu.vn")
    raw = letter(message_id)
    sent = gmail.users().messages().send(userId="me", body={"raw": base64.urlsafe_b64encode(raw).decode()}).execute()
    assert sent["labelIds"] == ["SENT"] and sent["threadId"] == sent["id"]

    listed = gmail.users().messages().list(userId="me", q=f"rfc822msgid:{message_id.strip('<>')} in:sent").execute()
    assert listed["messages"] == [{"id": sent["id"], "threadId": sent["threadId"]}]

    as_raw = gmail.users().messages().get(userId="me", id=sent["id"], format="raw").execute()
    assert unb64(as_raw["raw"]) == raw

    full = gmail.users().messages().get(userId="me", id=sent["id"]).execute()
    headers = {h["name"]: h["value"] for h in full["payload"]["headers"]}
    assert headers["Subject"] == SUBJECT
    alternative, attachment = full["payload"]["parts"]
    plain, html = alternative["parts"]
    assert unb64(plain["body"]["data"]) == PLAIN.encode()
    assert unb64(html["body"]["data"]) == HTML.encode()
    assert attachment["filename"] == "bao-cao-thi-dua.pdf" and attachment["mimeType"] == "application/pdf"
    data = (
        gmail.users()
        .messages()
        .attachments()
        .get(userId="me", messageId=sent["id"], id=attachment["body"]["attachmentId"])
        .execute()
    )
    assert unb64(data["data"]) == PDF
    assert full["snippet"].startswith("Kính gửi quý thầy cô")

    metadata = (
        gmail.users()
        .messages()
        .get(userId="me", id=sent["id"], format="metadata", metadataHeaders=["Subject"])
        .execute()
    )
    assert metadata["payload"]["headers"] == [{"name": "Subject", "value": SUBJECT}]


def test_upload_path_send_and_paging(workspace: WorkspaceClients) -> None:
    gmail = workspace.service("gmail", "v1")
    ids = []
    for _ in range(3):
        raw = letter(make_msgid(domain="truong-thcs.edu.vn"))
        media = MediaIoBaseUpload(io.BytesIO(raw), mimetype="message/rfc822")
        ids.append(gmail.users().messages().send(userId="me", media_body=media).execute()["id"])
    first = gmail.users().messages().list(userId="me", q="in:sent", maxResults=2).execute()
    second = (
        gmail.users()
        .messages()
        .list(userId="me", q="in:sent", maxResults=2, pageToken=first["nextPageToken"])
        .execute()
    )
    assert [m["id"] for m in first["messages"] + second["messages"]] == list(reversed(ids))
    assert gmail.users().messages().list(userId="me", q="in:inbox").execute() == {"resultSizeEstimate": 0}
    profile = gmail.users().getProfile(userId="me").execute()
    assert profile["emailAddress"] == workspace.user and profile["messagesTotal"] == 3


def test_other_users_mailbox_is_not_reachable_and_bad_raw_is_400(workspace: WorkspaceClients) -> None:
    gmail = workspace.service("gmail", "v1")
    with pytest.raises(HttpError) as caught:
        gmail.users().messages().list(userId="someone.else@truong-thcs.edu.vn").execute()
    assert caught.value.resp.status == 403
    session = workspace.session()
    unknown = session.post("https://gmail.googleapis.com/gmail/v1/users/me/messages/send", json={"raw": "", "rawr": 1})
    assert unknown.status_code == 400 and 'Unknown name "rawr"' in unknown.json()["error"]["message"]
    wrong = session.post("https://gmail.googleapis.com/gmail/v1/users/me/messages/send", json={"raw": 12})
    assert wrong.status_code == 400 and "(TYPE_BYTES)" in wrong.json()["error"]["message"]


def _raw(message: EmailMessage) -> dict[str, str]:
    return {"raw": base64.urlsafe_b64encode(message.as_bytes()).decode()}


def test_a_reply_reaches_the_senders_thread_and_threads_get_returns_both(workspace: WorkspaceClients) -> None:
    clerk, principal = "van.thu@truong-thcs.edu.vn", "hieu.truong@truong-thcs.edu.vn"
    draft_id = make_msgid(domain="truong-thcs.edu.vn")
    sent = workspace.service("gmail", "v1", user=clerk).users().messages().send(
        userId="me", body={"raw": base64.urlsafe_b64encode(letter(draft_id)).decode()}).execute()

    principal_mail = workspace.service("gmail", "v1", user=principal)
    (received,) = principal_mail.users().messages().list(userId="me", q="in:inbox").execute()["messages"]
    got = principal_mail.users().messages().get(userId="me", id=received["id"], format="metadata",
                                               metadataHeaders=["Message-ID"]).execute()
    assert got["labelIds"] == ["INBOX", "UNREAD"]
    reply = EmailMessage()
    reply["From"], reply["To"], reply["Subject"] = principal, clerk, "Re: " + SUBJECT
    reply["In-Reply-To"] = reply["References"] = draft_id
    reply.set_content("Duyệt\n\n> Kính gửi quý thầy cô,\n")
    principal_mail.users().messages().send(userId="me", body={**_raw(reply), "threadId": received["threadId"]}
                                           ).execute()
    unrelated = EmailMessage()  # references the draft but under another subject: its own thread, as in Gmail
    unrelated["From"], unrelated["To"], unrelated["Subject"] = principal, clerk, "Việc khác"
    unrelated["References"] = draft_id
    unrelated.set_content("Duyệt")
    principal_mail.users().messages().send(userId="me", body=_raw(unrelated)).execute()

    thread = workspace.service("gmail", "v1", user=clerk).users().threads().get(
        userId="me", id=sent["threadId"]).execute()
    first, answer = thread["messages"]
    assert thread["id"] == sent["threadId"] and first["id"] == sent["id"] and first["labelIds"] == ["SENT"]
    assert answer["labelIds"] == ["INBOX", "UNREAD"] and answer["threadId"] == sent["threadId"]
    headers = {h["name"]: h["value"] for h in answer["payload"]["headers"]}
    assert headers["From"] == principal
    assert unb64(answer["payload"]["body"]["data"]).decode().startswith("Duyệt")

    with pytest.raises(HttpError) as missing:
        workspace.service("gmail", "v1", user=clerk).users().threads().get(userId="me", id="nothere").execute()
    assert missing.value.resp.status == 404
