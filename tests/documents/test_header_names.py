"""The header of a report with the long names bodies have since the 2025 reorganisation: each name wraps only
before its proper name, never inside it, and the number and the place-and-date lines stay side by side."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.local.documents import TEMPLATE_FOR_KIND, docx_to_pdf, render_docx
from connectors.pdf import find_soffice
from tests.documents.conftest import TEMPLATES
from thidua.official import NBSP, keep_name_together

pytestmark = pytest.mark.skipif(find_soffice() is None, reason="LibreOffice is not installed (scripts/bootstrap.sh)")

#: Real names (HCMC wards and schools after 01/07/2025; the Sở, the governing body of upper-secondary schools).
CASES = [
    ("ỦY BAN NHÂN DÂN PHƯỜNG VƯỜN LÀI", "TRƯỜNG TRUNG HỌC CƠ SỞ TRẦN QUỐC TOẢN",
     ["ỦY BAN NHÂN DÂN", "PHƯỜNG VƯỜN LÀI"], ["TRƯỜNG TRUNG HỌC CƠ SỞ", "TRẦN QUỐC TOẢN"]),
    ("ỦY BAN NHÂN DÂN PHƯỜNG ĐÔNG HƯNG THUẬN", "TRƯỜNG TRUNG HỌC CƠ SỞ NGUYỄN THỊ MINH KHAI",
     ["ỦY BAN NHÂN DÂN", "PHƯỜNG ĐÔNG HƯNG THUẬN"], ["TRƯỜNG TRUNG HỌC CƠ SỞ", "NGUYỄN THỊ MINH KHAI"]),
    ("SỞ GIÁO DỤC VÀ ĐÀO TẠO THÀNH PHỐ HỒ CHÍ MINH", "TRƯỜNG THPT NGUYỄN THƯỢNG HIỀN",
     ["SỞ GIÁO DỤC VÀ ĐÀO TẠO", "THÀNH PHỐ HỒ CHÍ MINH"], ["TRƯỜNG THPT", "NGUYỄN THƯỢNG HIỀN"]),
]


def _lines(pdf: Path) -> list[tuple[float, float, float, str]]:
    """Page 1's text lines as (xMin, yMin, xMax, text), non-breaking spaces read as spaces."""
    result = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-bbox-layout", str(pdf), "-"], capture_output=True,
                            timeout=60, check=True)
    root = ET.fromstring(re.sub(rb"<!DOCTYPE[^>]*>", b"", result.stdout))
    ns = "{http://www.w3.org/1999/xhtml}"
    return [(float(line.attrib["xMin"]), float(line.attrib["yMin"]), float(line.attrib["xMax"]),
             " ".join((w.text or "").replace(NBSP, " ") for w in line.iter(f"{ns}word")).replace(NBSP, " "))
            for line in root.iter(f"{ns}line")]


def _header(tmp_path: Path, context: dict[str, Any], governing: str, school: str, bind: bool) -> list[
        tuple[float, float, float, str]]:
    shape = keep_name_together if bind else (lambda name: name)
    context |= {"governing_body": shape(governing), "school_header": shape(school)}
    docx = render_docx(TEMPLATES / TEMPLATE_FOR_KIND[context["kind"]], context, tmp_path / f"header-{bind}.docx")
    pdf = docx_to_pdf(docx, tmp_path)
    assert pdf is not None
    return _lines(pdf)


@pytest.mark.parametrize(("governing", "school", "governing_lines", "school_lines"), CASES)
def test_long_header_names_wrap_before_the_proper_name_and_the_two_blocks_stay_aligned(
        tmp_path: Path, context_of: Callable[[str], dict[str, Any]], governing: str, school: str,
        governing_lines: list[str], school_lines: list[str]) -> None:
    lines = _header(tmp_path, context_of("D1"), governing, school, bind=True)
    nation = next(line for line in lines if line[3] == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    left = sorted((line for line in lines if line[2] < nation[0] and line[1] < nation[1] + 100),
                  key=lambda line: line[1])
    assert [line[3] for line in left[:4]] == governing_lines + school_lines
    assert abs(nation[1] - left[0][1]) < 1.5  # both blocks start on the same line
    number = next(line for line in lines if line[3].startswith("Số:"))
    place_date = next(line for line in lines if ", ngày " in line[3])
    assert abs(number[1] - place_date[1]) < 1.5  # the second header row: side by side
    assert number[2] < place_date[0]  # and they do not overlap


def test_without_the_binding_the_same_header_breaks_inside_a_name(
        tmp_path: Path, context_of: Callable[[str], dict[str, Any]]) -> None:
    governing, school, _, _ = CASES[0]
    texts = [text for _, _, _, text in _header(tmp_path, context_of("D1"), governing, school, bind=False)]
    assert "ỦY BAN NHÂN DÂN PHƯỜNG VƯỜN" in texts or "TRƯỜNG TRUNG HỌC CƠ SỞ TRẦN QUỐC" in texts
