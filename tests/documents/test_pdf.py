"""PDF through the real LibreOffice: text, numbers and diacritics survive; page 1 is kept as a PNG to look at."""

from __future__ import annotations

import os
import subprocess
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from connectors.local.documents import BuiltReport, ConversionError, LocalDocumentBuilder, docx_to_pdf, pdf_text

from .conftest import ARTIFACTS, FIXTURES, TEMPLATES, load_context

PNG_NAMES = {"D1": "registration", "D2": "exemplars", "D3": "interim", "D5": "evaluation", "D8": "annual"}


def _squash(text: str) -> str:
    """pdftotext -layout pads columns with spaces and breaks lines; compare words only."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@pytest.mark.parametrize("deadline_id", FIXTURES)
def test_pdf_keeps_title_numbers_and_vietnamese_diacritics(built: dict[str, BuiltReport], deadline_id: str) -> None:
    context = load_context(deadline_id)
    pdf = built[deadline_id].pdf
    assert pdf is not None and pdf.read_bytes().startswith(b"%PDF")
    text = _squash(pdf_text(pdf))
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", context["kind_label"],
                     context["title"], context["place_date"], context["signer_name"], "Nơi nhận:"):
        assert _squash(expected) in text
    for table in context["tables"]:
        if table["total"] and all(len(cell) <= 20 for cell in table["total"]):  # longer cells wrap in the layout
            assert " ".join(table["total"]) in text


@pytest.mark.parametrize("deadline_id", FIXTURES)
def test_page_one_png_is_kept_for_a_person_to_look_at(built: dict[str, BuiltReport], deadline_id: str) -> None:
    pdf = built[deadline_id].pdf
    assert pdf is not None
    ARTIFACTS.mkdir(exist_ok=True)
    stem = ARTIFACTS / PNG_NAMES[deadline_id]
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
                   check=True, timeout=60)
    png = stem.with_suffix(".png")
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size < 200_000


def test_concurrent_conversions_use_private_profiles(built: dict[str, BuiltReport], tmp_path: Path) -> None:
    sources = [built[d].docx for d in ("D1", "D2")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        pdfs = list(pool.map(lambda src: docx_to_pdf(src, tmp_path / src.stem), sources))
    assert all(pdf is not None and pdf.stat().st_size > 0 for pdf in pdfs)


def test_without_libreoffice_the_builder_keeps_the_docx_and_skips_pdf(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    report = LocalDocumentBuilder(TEMPLATES, tmp_path).build("exemplars", load_context("D2"), "D2")
    assert report.docx.is_file() and report.pdf is None


def test_a_hanging_converter_is_killed_at_the_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      built: dict[str, BuiltReport]) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "soffice"
    fake.write_text("#!/bin/sh\nsleep 30\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    started = time.monotonic()
    with pytest.raises(ConversionError, match="trong 1 giây"):
        docx_to_pdf(built["D2"].docx, tmp_path / "out", timeout=1)
    assert time.monotonic() - started < 10


def test_a_failed_conversion_says_which_file(tmp_path: Path) -> None:
    with pytest.raises(ConversionError, match=r"không-có\.docx"):
        docx_to_pdf(tmp_path / "không-có.docx", tmp_path / "out", timeout=60)


def test_the_page_of_the_first_chart_is_kept_for_a_person_to_look_at(built: dict[str, BuiltReport]) -> None:
    """The registration report's chart page, where a missing Vietnamese glyph would show as boxes."""
    pdf = built["D1"].pdf
    assert pdf is not None
    caption = _squash(load_context("D1")["charts"][0]["caption"])
    pages = [_squash(page) for page in pdf_text(pdf).split("\f")]  # pdftotext ends each page with a form feed
    page = next(n for n, text in enumerate(pages, start=1) if caption in text)
    stem = ARTIFACTS / "registration-chart"
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(page), "-l", str(page), "-singlefile", str(pdf),
                    str(stem)], check=True, timeout=60)
    assert stem.with_suffix(".png").read_bytes().startswith(b"\x89PNG")
