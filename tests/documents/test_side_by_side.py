"""The same rows give the same report on both paths: the local PDF and the Google export say, table by table,
the same numbers and names in the same order, and the Google export follows Nghị định 30/2020 as the local does."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from connectors.local.documents import BuiltReport, pdf_text

from .conftest import FIXTURES, load_context


def _words(pdf: Path) -> str:
    """The PDF's words in reading order, without the page numbers the local report prints from page 2."""
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    words: list[str] = []
    for number, page in enumerate(text.split("\f"), start=1):
        lines = page.split("\n")
        if number > 1 and lines and lines[0].strip() == str(number):
            lines = lines[1:]
        words.extend(" ".join(lines).split())
    return " ".join(words)


def _tables(pdf: Path, context: dict[str, Any]) -> list[str]:
    """Each table's words, from its caption to the next caption (the last one to what follows the tables)."""
    text = _words(pdf)
    captions = [" ".join(str(t["caption"]).split()) for t in context["tables"]]
    starts = [text.index(caption) for caption in captions]
    after = re.search(r"Biểu đồ 1\.|3\. Những trường hợp|Trên đây là báo cáo", text[starts[-1]:])
    assert after is not None
    ends = [*starts[1:], starts[-1] + after.start()]
    return [text[s:e].strip() for s, e in zip(starts, ends, strict=True)]


NUMBER = re.compile(r"\d[\d.,]*%?")


def _said(table_text: str, spec: dict[str, Any]) -> tuple[list[str], list[int]]:
    """What a table says in a PDF, independent of where its lines wrap and where a page repeats its header: its
    numbers in reading order, and where each row's label (the team or the person: its first word) stands."""
    body = table_text.split(maxsplit=2)[-1] if table_text.startswith("Bảng") else table_text
    body = body.removeprefix(" ".join(str(spec["caption"]).split()[2:]))
    for header in sorted((str(h) for h in spec["headers"]), key=len, reverse=True):
        body = re.sub(r"\s*".join(map(re.escape, "".join(header.split()))), " ", body)
    squeezed = "".join(body.split())
    label = 1 if spec["headers"][0] == "STT" else 0
    rows = [*spec["rows"], *([spec["total"]] if spec["total"] else [])]
    positions = []
    cursor = 0
    for row in rows:
        cursor = squeezed.find(str(row[label]).split()[0], cursor)
        positions.append(cursor)
    return NUMBER.findall(re.sub(r"(\d)\s+%", r"\1%", body)), positions


@pytest.mark.parametrize("deadline_id", FIXTURES)
def test_local_and_google_pdfs_say_the_same_table_by_table(built: dict[str, BuiltReport],
                                                           google_built: dict[str, BuiltReport],
                                                           deadline_id: str) -> None:
    context = load_context(deadline_id)
    local, google = built[deadline_id].pdf, google_built[deadline_id].pdf
    assert local is not None and google is not None
    local_tables, google_tables = _tables(local, context), _tables(google, context)
    assert len(local_tables) == len(google_tables) == len(context["tables"])
    for spec, mine, theirs in zip(context["tables"], local_tables, google_tables, strict=True):
        my_numbers, my_rows = _said(mine, spec)
        their_numbers, their_rows = _said(theirs, spec)
        assert their_numbers == my_numbers, spec["caption"]
        assert -1 not in my_rows and -1 not in their_rows, spec["caption"]  # every row, in the context's order
        # A wrapped cell's lines may interleave with its neighbours' and a narrow column breaks inside a word:
        # word by word, spaces aside.
        squeezed = "".join(theirs.split())
        assert all(w in squeezed for row in spec["rows"] for cell in row for w in str(cell).split()), spec["caption"]


def _pdf_fonts(pdf: Path) -> set[str]:
    listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    return {line.split()[0].split("+")[-1] for line in listing.splitlines()[2:] if line.strip()}


def _page_size(pdf: Path) -> str:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return next(line for line in info.splitlines() if line.startswith("Page size"))


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize("deadline_id", FIXTURES)
def test_google_export_follows_the_decree_as_the_local_pdf_does(built: dict[str, BuiltReport],
                                                                google_built: dict[str, BuiltReport],
                                                                deadline_id: str) -> None:
    context = load_context(deadline_id)
    for report in (built[deadline_id], google_built[deadline_id]):
        assert report.pdf is not None
        assert "(A4)" in _page_size(report.pdf)
        fonts = _pdf_fonts(report.pdf)
        assert fonts and all(f.startswith(("TimesNewRoman", "LiberationSerif")) for f in fonts), fonts
        pages = pdf_text(report.pdf).split("\f")
        first = " ".join(pages[0].split())
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA" in first and "Độc lập - Tự do - Hạnh phúc" in first
        assert context["governing_body"].upper() in first and context["school_header"] in first
        assert "/BC-LAX" in first and " ".join(context["place_date"].split()) in first
        assert "BÁO CÁO" in first and " ".join(context["title"].split()) in first
        last = " ".join(pages[-2].split())
        assert "Nơi nhận:" in last and "HIỆU TRƯỞNG" in last and context["signer_name"] in last
        assert "Lưu: VT." in last
