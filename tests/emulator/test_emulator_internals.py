"""Pieces with free-form input: A1 notation, the discovery routing/validation, snapshots of every service."""

from __future__ import annotations

import base64
import re
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from emulator import a1
from emulator.discovery import registry
from emulator.server import EmulatorConfig, WorkspaceEmulator
from emulator.testing import WorkspaceClients

titles = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00\n\r"), min_size=1, max_size=20)


@given(
    title=titles,
    row=st.integers(0, 5000),
    col=st.integers(0, 700),
    height=st.integers(1, 50),
    width=st.integers(1, 30),
)
def test_a1_format_then_parse_is_identity(title: str, row: int, col: int, height: int, width: int) -> None:
    text = a1.format_range(title, row, row + height, col, col + width)
    assert a1.parse(text) == a1.A1Range(title, row, row + height, col, col + width)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A:C", a1.A1Range(None, None, None, 0, 3)),
        ("'Lớp 6A'!B2:B", a1.A1Range("Lớp 6A", 1, None, 1, 2)),
        ("2:4", a1.A1Range(None, 1, 4, None, None)),
        ("AA10", a1.A1Range(None, 9, 10, 26, 27)),
        ("'It''s'!A1", a1.A1Range("It's", 0, 1, 0, 1)),
    ],
)
def test_a1_parses_open_and_quoted_ranges(text: str, expected: a1.A1Range) -> None:
    assert a1.parse(text) == expected


def test_every_discovery_method_is_routable_to_itself() -> None:
    routes = registry()
    for method in routes.methods.values():
        path = "/" + method.doc.service_path + re.sub(r"\{\+?([^}]+)\}", r"x\1", method.path)
        found = routes.match(method.http_method, path)
        assert found is not None and found.method.id == method.id, (method.id, path)


def test_unimplemented_methods_are_501_not_404(workspace: WorkspaceClients) -> None:
    session = workspace.session()
    for url, verb in (
        ("https://forms.googleapis.com/v1/forms/abc/watches", "GET"),
        ("https://gmail.googleapis.com/gmail/v1/users/me/labels", "GET"),
        ("https://www.googleapis.com/drive/v3/files/abc/revisions", "GET"),
        ("https://docs.googleapis.com/v1/documents/abc", "DELETE"),
    ):
        answer = session.request(verb, url)
        if url.endswith("/v1/documents/abc"):
            assert answer.status_code == 405  # no such method in the discovery document at all
        else:
            assert answer.status_code == 501, url
            assert "not implemented by the thidua Workspace emulator" in answer.json()["error"]["message"]


def test_snapshot_round_trips_every_service(tmp_path: Path) -> None:
    with WorkspaceEmulator() as first:
        clients = WorkspaceClients(first)
        docs = clients.service("docs", "v1")
        doc_id = docs.documents().create(body={"title": "Biên bản"}).execute()["documentId"]
        docs.documents().batchUpdate(
            documentId=doc_id,
            body={
                "requests": [
                    {"insertText": {"location": {"index": 1}, "text": "Nội dung"}},
                    {"insertTable": {"rows": 1, "columns": 2, "endOfSegmentLocation": {}}},
                ]
            },
        ).execute()
        forms = clients.service("forms", "v1")
        form_id = forms.forms().create(body={"info": {"title": "Khảo sát"}}).execute()["formId"]
        question = (
            forms.forms()
            .batchUpdate(
                formId=form_id,
                body={
                    "requests": [
                        {
                            "createItem": {
                                "location": {"index": 0},
                                "item": {"title": "Ý kiến", "questionItem": {"question": {"textQuestion": {}}}},
                            }
                        }
                    ]
                },
            )
            .execute()["replies"][0]["createItem"]["questionId"][0]
        )
        published = {"publishSettings": {"publishState": {"isPublished": True, "isAcceptingResponses": True}}}
        forms.forms().setPublishSettings(formId=form_id, body=published).execute()
        requests.post(
            f"{first.base_url}/_emulator/forms/{form_id}/responses", json={"answers": {question: "Tốt"}}, timeout=10
        ).raise_for_status()
        message = EmailMessage()
        message["To"] = "a@truong.edu.vn"
        message["Subject"] = "Lưu"
        message.set_content("Nội dung thư")
        gmail = clients.service("gmail", "v1")
        sent = (
            gmail.users()
            .messages()
            .send(userId="me", body={"raw": base64.urlsafe_b64encode(message.as_bytes()).decode()})
            .execute()
        )
        before = (
            docs.documents().get(documentId=doc_id).execute(),
            forms.forms().responses().list(formId=form_id).execute(),
            gmail.users().messages().get(userId="me", id=sent["id"], format="raw").execute(),
        )
        first.save_snapshot(tmp_path)

    with WorkspaceEmulator(EmulatorConfig(seed_dir=tmp_path)) as second:
        clients = WorkspaceClients(second)
        after = (
            clients.service("docs", "v1").documents().get(documentId=doc_id).execute(),
            clients.service("forms", "v1").forms().responses().list(formId=form_id).execute(),
            clients.service("gmail", "v1").users().messages().get(userId="me", id=sent["id"], format="raw").execute(),
        )
    assert after == before


def test_the_emulator_counts_the_cpu_its_own_threads_spend(emulator: WorkspaceEmulator,
                                                          workspace: WorkspaceClients) -> None:
    """A benchmark in the emulator's process subtracts this from its own CPU (benchmarks/district.py): it is the
    work Google's servers would do. It must hold the handlers' work and none of the caller's."""
    sheet = workspace.gspread().create("cpu").add_worksheet("lớn", rows=3000, cols=20)
    rows = [[f"ô {r}-{c}" for c in range(20)] for r in range(3000)]
    emulator_before, caller_before, process_before = emulator.cpu_seconds(), time.thread_time(), time.process_time()
    sheet.update(rows, "A1")
    assert sheet.get("A1:T3000") == rows
    emulator_spent = emulator.cpu_seconds() - emulator_before
    caller_spent = time.thread_time() - caller_before
    process_spent = time.process_time() - process_before
    assert emulator_spent + caller_spent <= process_spent + 0.01  # none of it counted twice
    assert emulator_spent >= 0.5 * (process_spent - caller_spent) > 0  # the process's other threads: the emulator's
