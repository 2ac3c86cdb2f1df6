"""Seconds per DOCX → PDF: LibreOffice started for every file (the baseline) against one kept running.

The five fixture reports (tests/fixtures/contexts) are rendered to DOCX first, untimed. Then each is converted
`rounds` times both ways, interleaved (one-shot, then long-lived, file by file), so load from the rest of the
machine falls on both alike. The long-lived converter's first call, which starts LibreOffice, is timed apart
and compared with the one-shot conversions of the same file: a process that converts one report pays that;
"start included" spreads it over the run's conversions. `same_text` checks both ways give the same PDF text.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from connectors.local.documents import TEMPLATE_FOR_KIND, pdf_text, render_docx
from connectors.pdf import PdfConverter, convert_once, find_soffice

ROOT = Path(__file__).resolve().parent.parent
CONTEXTS = ROOT / "tests" / "fixtures" / "contexts"
TIMEOUT = 180.0


def run(rounds: int = 2) -> list[dict[str, Any]]:
    soffice = find_soffice()
    if soffice is None:
        raise SystemExit("LibreOffice (soffice) is not installed: scripts/bootstrap.sh installs it")
    with tempfile.TemporaryDirectory(prefix="thidua-bench-conversion-") as folder:
        work = Path(folder)
        sources = []
        for path in sorted(CONTEXTS.glob("D*.json")):
            context = json.loads(path.read_text(encoding="utf-8"))
            template = ROOT / "templates" / TEMPLATE_FOR_KIND[context["kind"]]
            sources.append(render_docx(template, context, work / "docx" / f"{path.stem}.docx"))
        converter = PdfConverter(soffice)
        try:
            start = time.perf_counter()
            converter.convert(sources[0], work / "warm" / "first.pdf", TIMEOUT)
            first = time.perf_counter() - start
            if converter.mode != "server":
                raise SystemExit("The long-lived LibreOffice did not start (python3-uno missing?); nothing to compare")
            once = kept = first_file_once = 0.0
            for round_ in range(rounds):
                for docx in sources:
                    start = time.perf_counter()
                    convert_once(soffice, docx, work / f"once-{round_}" / f"{docx.stem}.pdf", TIMEOUT)
                    seconds = time.perf_counter() - start
                    once += seconds
                    first_file_once += seconds if docx == sources[0] else 0.0
                    start = time.perf_counter()
                    converter.convert(docx, work / f"kept-{round_}" / f"{docx.stem}.pdf", TIMEOUT)
                    kept += time.perf_counter() - start
        finally:
            converter.close()
        same = all(pdf_text(work / "once-0" / f"{d.stem}.pdf") == pdf_text(work / "kept-0" / f"{d.stem}.pdf")
                   for d in sources)
    count = rounds * len(sources)
    baseline = once / count
    rows: list[dict[str, Any]] = [
        {"benchmark": "DOCX→PDF, soffice started per file (baseline)", "conversions": count, "seconds": once,
         "seconds_per_conversion": baseline, "ratio_to_baseline": 1.0},
        {"benchmark": f"DOCX→PDF, {sources[0].stem} one-shot (baseline for the first call)", "conversions": rounds,
         "seconds": first_file_once, "seconds_per_conversion": first_file_once / rounds, "ratio_to_baseline": 1.0},
        {"benchmark": f"DOCX→PDF, long-lived LibreOffice: first call ({sources[0].stem}, start included)",
         "conversions": 1, "seconds": first, "seconds_per_conversion": first,
         "ratio_to_baseline": first / (first_file_once / rounds)},
        {"benchmark": "DOCX→PDF, long-lived LibreOffice, warm", "conversions": count, "seconds": kept,
         "seconds_per_conversion": kept / count, "ratio_to_baseline": kept / count / baseline},
        {"benchmark": "DOCX→PDF, long-lived LibreOffice, start included", "conversions": count + 1,
         "seconds": first + kept, "seconds_per_conversion": (first + kept) / (count + 1),
         "ratio_to_baseline": (first + kept) / (count + 1) / baseline},
    ]
    for row in rows:
        row["same_text"] = "yes" if same else "NO"
    return rows
