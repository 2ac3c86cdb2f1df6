"""What must hold before a report can be built from a school's own data: every source readable, with every column
the plan names, and every template present and usable. `thidua check --data` and `thidua report` ask it first, so
a renamed question or a missing file is named before the send day, not on it.

It reads through the backend's own RowSource (files, or the live Sheets on Google), so it checks what the run will
read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from connectors.ports import DocumentError, RowSource
from thidua.plan import Plan, Source
from thidua.validate import SourceShapeError, check_headers


@dataclass(frozen=True)
class Problem:
    """One thing to fix before the send day: where (a source or a template) and what, in the clerk's words."""

    where: str
    message: str


def source_problems(plan: Plan, source: RowSource, sources: Iterable[Source] | None = None) -> list[Problem]:
    """Each source read once: a file or sheet that cannot be read, or a header row missing columns the plan names
    (with the columns it has)."""
    found = []
    for item in sources if sources is not None else plan.sources:
        try:
            table = source.read_many([item])[item.id]
            check_headers(table, item)
        except SourceShapeError as error:
            found.append(Problem(f"nguồn {item.id}", str(error)))
        except Exception as error:  # any reader's failure (missing file, no access, bad format) is the clerk's to fix
            found.append(Problem(f"nguồn {item.id}", str(error) or type(error).__name__))
    return found


def template_problems(plan: Plan, templates_dir: Path, deadline_ids: Iterable[str] | None = None) -> list[Problem]:
    """Each deadline's DOCX template (local backend): present, readable, and with the placeholders it must show."""
    from connectors.local.documents import LocalDocumentBuilder

    builder = LocalDocumentBuilder(templates_dir, templates_dir)
    wanted = set(deadline_ids) if deadline_ids is not None else {d.id for d in plan.deadlines}
    found = []
    for name in sorted({d.template for d in plan.deadlines if d.id in wanted}):
        path = builder.template_path(name)
        if not path.is_file():
            found.append(Problem(f"mẫu {name}", f"Không có tệp mẫu báo cáo «{path}»."))
            continue
        try:
            builder.check_templates([name])
        except (DocumentError, OSError, ValueError) as error:
            found.append(Problem(f"mẫu {name}", str(error)))
    return found
