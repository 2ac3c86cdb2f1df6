"""documents.batchUpdate requests on text: insert, replace all, delete a range, and text and paragraph styles."""

from __future__ import annotations

import json
from typing import Any

from emulator.docs.document import (
    Atom,
    Block,
    Document,
    Paragraph,
    SectionBreak,
    Table,
    reindex_tables,
    resize,
    split_paragraphs,
    style_of,
    text_atoms,
)
from emulator.docs.handlers.base import Handler, Request, merge_style, style_at
from emulator.docs.locate import all_paragraphs, cell_container, paragraphs_overlapping


def insert_text(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """Inserts text at an index or at the end, in the style of the character before it."""
    text = args.get("text", "")
    index = request.location_index(args)
    spot = request.spot(index)
    request.insert_atoms(spot, text_atoms(text.replace("\r\n", "\n").replace("\r", "\n"), style_at(spot)))
    return {}


def replace_all_text(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """Replaces every occurrence (case-insensitive unless matchCase) in each match's own style; replies the count."""
    criteria = args.get("containsText") or {}
    needle = criteria.get("text", "")
    if not needle:
        raise request.fail("The search text must not be empty.")
    match_case = bool(criteria.get("matchCase", False))
    replacement = args.get("replaceText", "")
    count = 0
    for paragraph, _, container, _ in all_paragraphs(request.doc.body):
        text = paragraph.text()
        hay = text if match_case else "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
        key = needle if match_case else "".join(c.lower() if len(c.lower()) == 1 else c for c in needle)
        found = []
        start = hay.find(key)
        while start != -1:
            found.append(start)
            start = hay.find(key, start + len(key))
        if not found:
            continue
        count += len(found)
        atoms = list(paragraph.atoms)
        for start in reversed(found):
            style = atoms[start].style
            atoms[start : start + len(key)] = text_atoms(replacement, style)
        paragraph.atoms = atoms
        if "\n" in replacement:
            position = container.index(paragraph)
            container[position : position + 1] = split_paragraphs(paragraph)
    if count:
        reindex_tables(request.doc.body)
    return {"replaceAllText": {"occurrencesChanged": count} if count else {}}


def delete_content_range(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """Deletes a range, joining the paragraphs it spans; a table goes only whole, the final newline never."""
    rng = args.get("range") or {}
    request.segment(rng)
    start, end = int(rng.get("startIndex", 0)), int(rng.get("endIndex", 0))
    total = request.doc.end_index()
    if start < 1:
        raise request.fail(f"Index {start} must be greater than or equal to 1.")
    if end <= start:
        raise request.fail("The range must not be empty: endIndex must be greater than startIndex.")
    if end > total:
        raise request.fail(f"Index {end - 1} must be less than the end index of the referenced segment, {total}.")
    container, base, path = cell_container(request.doc.body, 0, start, end)
    result: list[Block] = []
    pending: Paragraph | None = None
    pos = base
    for block in container:
        b_start, b_end = pos, pos + block.size
        pos = b_end
        if b_end <= start or b_start >= end:
            if pending is not None:
                if not isinstance(block, Paragraph):
                    raise request.fail("Invalid deletion range. Cannot delete the requested range.")
                block = Paragraph([*pending.atoms, *block.atoms], pending.style)
                pending = None
            result.append(block)
            continue
        if isinstance(block, SectionBreak):
            raise request.fail("Invalid deletion range. Cannot delete the requested range.")
        if isinstance(block, Table):
            if not (start <= b_start and b_end <= end):
                raise request.fail("Invalid deletion range. Cannot delete the requested range.")
            continue
        kept: list[Atom] = []
        cursor = b_start
        for atom in block.atoms:
            if not (start <= cursor < end):
                kept.append(atom)
            cursor += atom.size
        if pending is not None:
            kept = [*pending.atoms, *kept]
            style = pending.style
        else:
            style = block.style
        if end >= b_end:
            pending = Paragraph(kept, style)
        else:
            result.append(Paragraph(kept, style))
            pending = None
    if pending is not None:
        raise request.fail("The range cannot include the newline character at the end of the segment.")
    container[:] = result
    resize(path)
    if request.doc.inline_objects:
        used = _objects_used(request.doc)
        request.doc.inline_objects = {k: v for k, v in request.doc.inline_objects.items() if k in used}
    request.doc.images = {k: v for k, v in request.doc.images.items() if k in request.doc.inline_objects}
    return {}


def update_text_style(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """Sets the masked text style fields on every character of the range."""
    start, end = _styled_range(request, args)
    update, fields = args.get("textStyle") or {}, args["fields"]
    for paragraph, p_start in paragraphs_overlapping(request.doc.body, 0, start, end):
        cursor = p_start
        atoms = []
        for atom in paragraph.atoms:
            if start <= cursor < end:
                atom = Atom(atom.ch, merge_style(atom.style, update, fields), atom.obj)
            atoms.append(atom)
            cursor += atom.size
        paragraph.atoms = atoms
    return {}


def update_paragraph_style(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """Sets the masked paragraph style fields on every paragraph the range touches."""
    start, end = _styled_range(request, args)
    update, fields = args.get("paragraphStyle") or {}, args["fields"]
    for paragraph, _ in paragraphs_overlapping(request.doc.body, 0, start, end):
        paragraph.style = style_of(merge_style(json.dumps(paragraph.style), update, fields))
    return {}


def _objects_used(doc: Document) -> set[str]:
    """The inline objects the body still shows (one pass over the body, not one per object)."""
    return {a.obj for p, *_ in all_paragraphs(doc.body) for a in p.atoms if a.obj}


def _styled_range(request: Request, args: dict[str, Any]) -> tuple[int, int]:
    """The range a style request names, checked (its mask was checked with the body: validate_update_mask)."""
    rng = args.get("range") or {}
    request.segment(rng)
    start, end = int(rng.get("startIndex", 0)), int(rng.get("endIndex", 0))
    if end <= start or start < 1 or end > request.doc.end_index():
        raise request.fail("The range is invalid.")
    return start, end


HANDLERS: dict[str, Handler] = {
    "insertText": insert_text,
    "replaceAllText": replace_all_text,
    "deleteContentRange": delete_content_range,
    "updateTextStyle": update_text_style,
    "updateParagraphStyle": update_paragraph_style,
}
