"""Docs v1: structural documents, batchUpdate index arithmetic worked out by hand, and export via Drive."""

from __future__ import annotations

import io
import shutil
import subprocess
import unicodedata
from typing import Any

import docx
import pytest
from googleapiclient.errors import HttpError

from emulator.testing import WorkspaceClients

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _image_server() -> str:
    """A loopback web server answering every path with a small PNG: Docs fetches an image URI itself, so the
    URI must answer (the emulator, like Google, refuses one it cannot fetch)."""
    import http.server
    import threading

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    png = buffer.getvalue()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args: Any) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


IMAGES = _image_server()


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def outline(content: list[dict[str, Any]]) -> list[Any]:
    """(start, end, text) for paragraphs; ("table", start, end, rows) with cells as (start, end, paragraphs)."""
    out: list[Any] = []
    for element in content:
        start, end = element.get("startIndex", 0), element["endIndex"]
        if "sectionBreak" in element:
            out.append(("section", start, end))
        elif "paragraph" in element:
            text = "".join(
                e["textRun"]["content"] if "textRun" in e else "<img>" for e in element["paragraph"]["elements"]
            )
            out.append((start, end, text))
        else:
            rows = [
                (row["startIndex"], row["endIndex"],
                 [(cell["startIndex"], cell["endIndex"], outline(cell["content"])) for cell in row["tableCells"]])
                for row in element["table"]["tableRows"]
            ]  # fmt: skip
            out.append(("table", start, end, rows))
    return out


def build_letter(docs: Any) -> tuple[str, dict[str, Any]]:
    doc_id = docs.documents().create(body={"title": nfc("Giấy khen")}).execute()["documentId"]
    # A new document: sectionBreak [0,1), one empty paragraph "\n" [1,2).
    requests = [
        # 1. "Kính gửi: {{ho_ten}}" is 20 units, "Lớp: {{lop}}" 12: p1 [1,22), p2 [22,35), old "\n" now [35,36).
        {"insertText": {"location": {"index": 1}, "text": nfc("Kính gửi: {{ho_ten}}\nLớp: {{lop}}\n")}},
        # 2. "{{ho_ten}}" (10) → "Nguyễn Thị Hoa" (14): +4 → p1 [1,26), p2 [26,39), p3 [39,40).
        {"replaceAllText": {"containsText": {"text": "{{ho_ten}}", "matchCase": True},
                            "replaceText": nfc("Nguyễn Thị Hoa")}},
        # 3. matchCase=True finds no "{{LOP}}": nothing moves, reply replaceAllText {}.
        {"replaceAllText": {"containsText": {"text": "{{LOP}}", "matchCase": True}, "replaceText": "x"}},
        # 4. case-insensitive "{{LOP}}" matches "{{lop}}" (7) → "6A" (2): -5 → p2 [26,34), p3 [34,35).
        {"replaceAllText": {"containsText": {"text": "{{LOP}}", "matchCase": False}, "replaceText": "6A"}},
        # 5. A 2×2 table at 34: a newline is inserted first (p3 "\n" [34,35)), the table starts at 35 and takes
        #    1 + 2 rows × (1 + 2 cells × (1 + 1)) + 1 closing = 12 → [35,47) (S…S+12 in Google's "Work with tables"
        #    guide); the old "\n" follows at [47,48).
        {"insertTable": {"rows": 2, "columns": 2, "location": {"index": 34}}},
        # 6. Cell (0,0)'s paragraph starts at 35+1 (table) +1 (row) +1 (cell) = 38; "STT" adds 3 → table [35,50).
        {"insertText": {"location": {"index": 38}, "text": "STT"}},
        # 7. A row below row 1: 1 + 2 × (1 + 1) = 5 more → table [35,55), last paragraph [55,56).
        {"insertTableRow": {"tableCellLocation": {"tableStartLocation": {"index": 35}, "rowIndex": 1, "columnIndex": 0},
                            "insertBelow": True}},
        # 8. Delete "Kính " [1,6): -5 → p1 [1,21), p2 [21,29), p3 [29,30), table [30,50), last paragraph [50,51).
        {"deleteContentRange": {"range": {"startIndex": 1, "endIndex": 6}}},
        # 9. End of segment = before the body's final newline (50): "Trân trọng." is 11 → [50,62).
        {"insertText": {"endOfSegmentLocation": {}, "text": nfc("Trân trọng.")}},
        # 10. An inline image at 50 takes 1 unit: image [50,51), text run [51,63).
        {"insertInlineImage": {"location": {"index": 50}, "uri": f"{IMAGES}/logo-truong.png"}},
    ]  # fmt: skip
    reply = docs.documents().batchUpdate(documentId=doc_id, body={"requests": requests}).execute()
    return doc_id, reply


def test_batch_update_sequence_matches_hand_worked_indexes(workspace: WorkspaceClients) -> None:
    docs = workspace.service("docs", "v1")
    doc_id, reply = build_letter(docs)

    replies = reply["replies"]
    assert replies[1] == {"replaceAllText": {"occurrencesChanged": 1}}
    assert replies[2] == {"replaceAllText": {}}
    assert replies[3] == {"replaceAllText": {"occurrencesChanged": 1}}
    assert replies[9]["insertInlineImage"]["objectId"].startswith("kix.")
    assert [r for i, r in enumerate(replies) if i not in (1, 2, 3, 9)] == [{}] * 6

    document = docs.documents().get(documentId=doc_id).execute()
    assert document["title"] == nfc("Giấy khen")
    assert outline(document["body"]["content"]) == [
        ("section", 0, 1),
        (1, 21, nfc("gửi: Nguyễn Thị Hoa\n")),
        (21, 29, nfc("Lớp: 6A\n")),
        (29, 30, "\n"),
        ("table", 30, 50, [
            (31, 39, [(32, 37, [(33, 37, "STT\n")]), (37, 39, [(38, 39, "\n")])]),
            (39, 44, [(40, 42, [(41, 42, "\n")]), (42, 44, [(43, 44, "\n")])]),
            (44, 49, [(45, 47, [(46, 47, "\n")]), (47, 49, [(48, 49, "\n")])]),
        ]),
        (50, 63, nfc("<img>Trân trọng.\n")),
    ]  # fmt: skip
    image_id = replies[9]["insertInlineImage"]["objectId"]
    assert document["inlineObjects"][image_id]["inlineObjectProperties"]["embeddedObject"]["imageProperties"][
        "contentUri"
    ] == (f"{IMAGES}/logo-truong.png")


def test_replace_image_and_invalid_edits_leave_document_untouched(workspace: WorkspaceClients) -> None:
    docs = workspace.service("docs", "v1")
    doc_id, reply = build_letter(docs)
    image_id = reply["replies"][9]["insertInlineImage"]["objectId"]
    docs.documents().batchUpdate(
        documentId=doc_id,
        body={"requests": [{"replaceImage": {"imageObjectId": image_id, "uri": f"{IMAGES}/moi.png"}}]},
    ).execute()
    before = docs.documents().get(documentId=doc_id).execute()
    props = before["inlineObjects"][image_id]["inlineObjectProperties"]["embeddedObject"]["imageProperties"]
    assert props["contentUri"] == f"{IMAGES}/moi.png"

    # Each bad request follows an insert of "A" at 1, so everything below sits one unit further on.
    for bad in (
        {"deleteContentRange": {"range": {"startIndex": 31, "endIndex": 36}}},  # part of the table [31,51)
        {"insertText": {"location": {"index": 31}, "text": "x"}},  # the table's start, not in a paragraph
        {"deleteContentRange": {"range": {"startIndex": 52, "endIndex": 64}}},  # the segment's final newline
        {"insertText": {"location": {"index": 64}, "text": "x"}},  # past the end (64)
        {"insertText": {"location": {"index": 50}, "text": "x"}},  # the table's closing unit, not a paragraph
    ):
        with pytest.raises(HttpError) as caught:
            docs.documents().batchUpdate(
                documentId=doc_id, body={"requests": [{"insertText": {"location": {"index": 1}, "text": "A"}}, bad]}
            ).execute()
        assert caught.value.resp.status == 400
        assert "requests[1]" in str(caught.value)
    assert docs.documents().get(documentId=doc_id).execute()["body"] == before["body"]


def test_deleting_across_paragraphs_merges_them(workspace: WorkspaceClients) -> None:
    docs = workspace.service("docs", "v1")
    doc_id = docs.documents().create(body={"title": "Gộp"}).execute()["documentId"]
    docs.documents().batchUpdate(
        documentId=doc_id,
        body={"requests": [
            # "Một\n" [1,5), "Hai\n" [5,9), "Ba" + the original "\n" [9,12)
            {"insertText": {"location": {"index": 1}, "text": nfc("Một\nHai\nBa")}},
            # delete "t\nH" = [3,6): "Mộ" + "ai\n" → [1,6), "Ba\n" [6,9)
            {"deleteContentRange": {"range": {"startIndex": 3, "endIndex": 6}}},
        ]},
    ).execute()  # fmt: skip
    content = docs.documents().get(documentId=doc_id).execute()["body"]["content"]
    assert outline(content) == [("section", 0, 1), (1, 6, nfc("Mộai\n")), (6, 9, "Ba\n")]


def test_malformed_docs_body_is_400(workspace: WorkspaceClients) -> None:
    session = workspace.session()
    doc_id = workspace.service("docs", "v1").documents().create(body={"title": "x"}).execute()["documentId"]
    url = f"https://docs.googleapis.com/v1/documents/{doc_id}:batchUpdate"
    wrong = session.post(url, json={"requests": [{"insertText": {"text": "x", "location": {"index": "abc"}}}]})
    assert wrong.status_code == 400
    assert (
        wrong.json()["error"]["message"]
        == "Invalid value at 'requests[0].insertText.location.index' (TYPE_INT32), \"abc\""
    )
    unknown = session.post(url, json={"requests": [{"insertText": {"text": "x", "position": 1}}]})
    assert unknown.status_code == 400
    assert "Unknown name \"position\" at 'requests[0].insertText'" in unknown.json()["error"]["message"]


def test_drive_exports_a_doc_as_docx_and_pdf(workspace: WorkspaceClients) -> None:
    docs = workspace.service("docs", "v1")
    drive = workspace.service("drive", "v3")
    doc_id, _ = build_letter(docs)
    docs.documents().batchUpdate(
        documentId=doc_id, body={"requests": [{"insertText": {"location": {"index": 46}, "text": "Tổ 1"}}]}
    ).execute()

    exported = drive.files().export(fileId=doc_id, mimeType=DOCX).execute()
    opened = docx.Document(io.BytesIO(exported))
    texts = [p.text for p in opened.paragraphs]
    assert nfc("gửi: Nguyễn Thị Hoa") in texts
    assert nfc("Lớp: 6A") in texts
    assert opened.tables[0].cell(0, 0).text == "STT"
    assert opened.tables[0].cell(2, 0).text == nfc("Tổ 1")

    if shutil.which("soffice") is None or shutil.which("pdftotext") is None:
        pytest.skip(
            "LibreOffice (soffice) and pdftotext are needed for the PDF half; scripts/bootstrap.sh installs them"
        )
    pdf = drive.files().export(fileId=doc_id, mimeType="application/pdf").execute()
    assert pdf.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert nfc("Nguyễn Thị Hoa") in nfc(text)
    assert nfc("Trân trọng.") in nfc(text)


def test_uploading_a_docx_as_a_google_doc_imports_paragraphs_and_tables(workspace: WorkspaceClients) -> None:
    from googleapiclient.http import MediaIoBaseUpload

    source = docx.Document()
    source.add_heading(nfc("Mẫu báo cáo"), level=1)
    source.add_paragraph(nfc("Kính gửi: {{ho_ten}}"))
    table = source.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "STT"
    table.cell(0, 1).text = nfc("Họ tên")
    buffer = io.BytesIO()
    source.save(buffer)

    drive = workspace.service("drive", "v3")
    created = (
        drive.files()
        .create(
            body={"name": "Mẫu", "mimeType": "application/vnd.google-apps.document"},
            media_body=MediaIoBaseUpload(io.BytesIO(buffer.getvalue()), mimetype=DOCX),
        )
        .execute()
    )
    content = workspace.service("docs", "v1").documents().get(documentId=created["id"]).execute()["body"]["content"]
    shape = outline(content)
    # "Mẫu báo cáo\n" [1,13), "Kính gửi: {{ho_ten}}\n" [13,34), a 1×2 table at 34 taking
    # 1 (table) + 1 (row) + (1 + "STT\n" 4) + (1 + "Họ tên\n" 7) + 1 (closing) = 16 → [34,50),
    # then the paragraph a table needs after it.
    assert shape[1] == (1, 13, nfc("Mẫu báo cáo\n"))
    assert content[1]["paragraph"]["paragraphStyle"]["namedStyleType"] == "HEADING_1"
    assert shape[2] == (13, 34, nfc("Kính gửi: {{ho_ten}}\n"))
    assert shape[3] == (
        "table",
        34,
        50,
        [(35, 49, [(36, 41, [(37, 41, "STT\n")]), (41, 49, [(42, 49, nfc("Họ tên\n"))])])],
    )
    assert shape[4][:2] == (50, 51)


def test_pdf_export_without_libreoffice_is_501_saying_so() -> None:
    from emulator.server import EmulatorConfig, WorkspaceEmulator

    with WorkspaceEmulator(EmulatorConfig(soffice=None)) as emulator:
        clients = WorkspaceClients(emulator)
        doc_id = clients.service("docs", "v1").documents().create(body={"title": "x"}).execute()["documentId"]
        with pytest.raises(HttpError) as caught:
            clients.service("drive", "v3").files().export(fileId=doc_id, mimeType="application/pdf").execute()
    assert caught.value.resp.status == 501
    assert "LibreOffice (soffice)" in str(caught.value)
