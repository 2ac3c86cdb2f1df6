"""Docs state: structural documents with Google's index arithmetic.

A body is a list of blocks: a section break (index 0→1), paragraphs (each ending in "\\n") and tables
(1 for the table start, 1 per row, per cell 1 + the cell's content, and 1 closing unit: an empty 2×2 table at S
spans S…S+12, as Google's "Work with tables" guide shows). Text is kept per character (with its
text style) so inserts, deletes and replacements can be exact; lengths are counted in UTF-16 code units, as
Google counts them. Every batchUpdate is atomic: a failing request leaves the document untouched.

Sizes are cached so that a batchUpdate filling a large table cell by cell is not quadratic: a paragraph's size
is recomputed whenever its atoms (a tuple, never edited in place) are replaced, and a table keeps its row sizes
and lazily extended row end offsets. Code that changes a cell's content reports the table rows it went through
(a `TablePath`, as the locating functions return it) to `resize`.
"""

from __future__ import annotations

import copy
import io
import json
import threading
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from emulator.errors import GoogleError, bad_request, not_found, unimplemented
from emulator.fields import mask_paths
from emulator.ids import file_id, hex_id
from emulator.service import Media


@dataclass(frozen=True)
class Atom:
    """One character (or one inline object, ``obj`` set) with its text style, as sorted JSON."""

    ch: str
    style: str = "{}"
    obj: str | None = None

    @property
    def size(self) -> int:
        if self.obj is not None:
            return 1
        return 2 if ord(self.ch) > 0xFFFF else 1

    def __deepcopy__(self, memo: dict[int, Any]) -> Atom:
        """Immutable: a batchUpdate's working copy shares the atoms instead of copying every character."""
        return self


NEWLINE = Atom("\n")
DEFAULT_PARAGRAPH_STYLE = {"namedStyleType": "NORMAL_TEXT", "direction": "LEFT_TO_RIGHT"}


@dataclass
class Paragraph:
    """`atoms` is stored as a tuple and only ever replaced whole, so `size` is recomputed exactly when it changes."""

    atoms: Sequence[Atom]
    style: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_PARAGRAPH_STYLE))
    size: int = field(init=False, repr=False, compare=False)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "atoms":
            value = tuple(value)
            object.__setattr__(self, "size", sum(a.size for a in value))
        object.__setattr__(self, name, value)

    def text(self) -> str:
        return "".join("\ufffc" if a.obj else a.ch for a in self.atoms)


@dataclass
class Table:
    """Caches its size, each row's size and the row end offsets (relative to the table start) up to some row.

    Rows are added and removed only through the methods below; after a cell's content changes, call `row_changed`.
    The end offsets are dropped from the changed row on and extended again only as far as a lookup needs, so
    filling a table row after row (forwards or backwards) costs a constant per cell.
    """

    rows: list[list[list[Block]]]
    style: dict[str, Any] = field(default_factory=dict)
    size: int = field(init=False, repr=False, compare=False)
    _row_sizes: list[int] = field(init=False, repr=False, compare=False)
    _ends: list[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        self._row_sizes = [_row_size(row) for row in self.rows]
        self.size = 2 + sum(self._row_sizes)  # the table's start and its closing unit
        self._ends = []

    def row_changed(self, r: int) -> None:
        size = _row_size(self.rows[r])
        self.size += size - self._row_sizes[r]
        self._row_sizes[r] = size
        del self._ends[r:]

    def insert_row(self, at: int, cells: list[list[Block]]) -> None:
        self.rows.insert(at, cells)
        size = _row_size(cells)
        self._row_sizes.insert(at, size)
        self.size += size
        del self._ends[at:]

    def delete_row(self, r: int) -> None:
        del self.rows[r]
        self.size -= self._row_sizes.pop(r)
        del self._ends[r:]

    def insert_column(self, at: int) -> None:
        for cells in self.rows:
            cells.insert(at, empty_cell())
        self.reindex()

    def locate_row(self, offset: int) -> tuple[int, int]:
        """The row holding the unit `offset` after the table start (0 < offset < size) and that row's offset."""
        ends, sizes = self._ends, self._row_sizes
        while len(ends) < len(sizes) and (not ends or ends[-1] <= offset):
            ends.append((ends[-1] if ends else 1) + sizes[len(ends)])
        r = bisect_right(ends, offset)
        return r, ends[r - 1] if r else 1


@dataclass
class SectionBreak:
    style: dict[str, Any] = field(
        default_factory=lambda: {
            "columnSeparatorStyle": "NONE",
            "contentDirection": "LEFT_TO_RIGHT",
            "sectionType": "CONTINUOUS",
        }
    )

    @property
    def size(self) -> int:
        return 1


Block = Paragraph | Table | SectionBreak


def content_size(blocks: list[Block]) -> int:
    return sum(b.size for b in blocks)


def _row_size(row: list[list[Block]]) -> int:
    return 1 + sum(1 + content_size(cell) for cell in row)


TablePath = tuple[tuple[Table, int], ...]
"""The (table, row) pairs entered on the way from the body down to a cell's content, outermost first."""


def resize(path: TablePath) -> None:
    """After the content at the end of `path` changed size: update the rows holding it, innermost first."""
    for table, r in reversed(path):
        table.row_changed(r)


def reindex_tables(blocks: list[Block]) -> None:
    """Recount every table under `blocks` (after edits made without a path, such as replaceAllText)."""
    for block in blocks:
        if isinstance(block, Table):
            for row in block.rows:
                for cell in row:
                    reindex_tables(cell)
            block.reindex()


def empty_cell() -> list[Block]:
    return [Paragraph([NEWLINE])]


def text_atoms(text: str, style: str = "{}") -> list[Atom]:
    return [Atom(ch, style) for ch in text]


def split_paragraphs(paragraph: Paragraph) -> list[Paragraph]:
    """A paragraph whose atoms contain inner newlines becomes several, each ending in exactly one."""
    out: list[Paragraph] = []
    current: list[Atom] = []
    for atom in paragraph.atoms:
        current.append(atom)
        if atom.obj is None and atom.ch == "\n":
            out.append(Paragraph(current, dict(paragraph.style)))
            current = []
    if current:
        raise AssertionError("paragraph without final newline")
    return out


@dataclass
class Document:
    id: str
    title: str
    body: list[Block]
    inline_objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    revision: int = 1
    images: dict[str, bytes] = field(default_factory=dict)  # each inline object's picture, as Google keeps a copy
    #: Page size and margins (documentStyle) and NORMAL_TEXT's text style, as a DOCX import sets them.
    document_style: dict[str, Any] = field(default_factory=dict)
    normal_text_style: dict[str, Any] = field(default_factory=dict)

    @property
    def revision_id(self) -> str:
        return f"ALm37B{self.revision:06d}emu"

    def end_index(self) -> int:
        return content_size(self.body)


def new_body() -> list[Block]:
    return [SectionBreak(), Paragraph([NEWLINE])]


# ---------------------------------------------------------------------- locating


@dataclass
class Spot:
    """A position inside a paragraph: the paragraph's container, its place there, and the offset in atoms."""

    container: list[Block]
    position: int
    paragraph: Paragraph
    atom_offset: int
    paragraph_start: int
    path: TablePath


def _atom_offset(paragraph: Paragraph, units: int) -> int | None:
    total = 0
    for i, atom in enumerate(paragraph.atoms):
        if total == units:
            return i
        total += atom.size
    return len(paragraph.atoms) if total == units else None


def find_spot(blocks: list[Block], start: int, index: int, path: TablePath = ()) -> Spot | None:
    pos = start
    for i, block in enumerate(blocks):
        if pos > index:
            break
        end = pos + block.size
        if isinstance(block, Paragraph) and pos <= index < end:
            offset = _atom_offset(block, index - pos)
            if offset is None:
                return None
            return Spot(blocks, i, block, offset, pos, path)
        if isinstance(block, Table) and pos < index < end - 1:
            r, row_start = block.locate_row(index - pos)
            cursor = pos + row_start + 1
            for cell in block.rows[r]:
                cursor += 1
                cell_end = cursor + content_size(cell)
                if cursor <= index < cell_end:
                    return find_spot(cell, cursor, index, (*path, (block, r)))
                cursor = cell_end
            return None
        pos = end
    return None


def find_table(blocks: list[Block], start: int, index: int, path: TablePath = ()) -> tuple[Table, TablePath] | None:
    """The table starting at `index` and the path to the content holding it."""
    pos = start
    for block in blocks:
        if pos > index:
            break
        if isinstance(block, Table):
            if pos == index:
                return block, path
            if index < pos + block.size - 1:
                r, row_start = block.locate_row(index - pos)
                cursor = pos + row_start + 1
                for cell in block.rows[r]:
                    cursor += 1
                    found = find_table(cell, cursor, index, (*path, (block, r)))
                    if found is not None:
                        return found
                    cursor += content_size(cell)
                return None
        pos += block.size
    return None


def all_paragraphs(blocks: list[Block], start: int = 0) -> list[tuple[Paragraph, int, list[Block], int]]:
    """Every paragraph with its start index, its container and its place in it, in document order."""
    out: list[tuple[Paragraph, int, list[Block], int]] = []
    pos = start
    for i, block in enumerate(blocks):
        if isinstance(block, Paragraph):
            out.append((block, pos, blocks, i))
        elif isinstance(block, Table):
            cursor = pos + 1
            for row in block.rows:
                cursor += 1
                for cell in row:
                    cursor += 1
                    out.extend(all_paragraphs(cell, cursor))
                    cursor += content_size(cell)
        pos += block.size
    return out


def paragraphs_overlapping(blocks: list[Block], start: int, lo: int, hi: int) -> list[tuple[Paragraph, int]]:
    """The paragraphs overlapping [lo, hi) with their start indexes; tables are entered at the rows it touches."""
    out: list[tuple[Paragraph, int]] = []
    pos = start
    for block in blocks:
        if pos >= hi:
            break
        end = pos + block.size
        if end > lo and isinstance(block, Paragraph):
            out.append((block, pos))
        elif end > lo and isinstance(block, Table):
            first, row_start = block.locate_row(max(lo - pos, 1))
            cursor = pos + row_start
            for r in range(first, len(block.rows)):
                if cursor >= hi:
                    break
                cursor += 1
                for cell in block.rows[r]:
                    cursor += 1
                    out.extend(paragraphs_overlapping(cell, cursor, lo, hi))
                    cursor += content_size(cell)
        pos = end
    return out


def _cell_container(
    blocks: list[Block], base: int, start: int, end: int, path: TablePath = ()
) -> tuple[list[Block], int, TablePath]:
    """The innermost content list (body or a table cell) holding the whole range [start, end), and its path."""
    pos = base
    for block in blocks:
        block_end = pos + block.size
        if isinstance(block, Table) and pos < start < block_end - 1 and end <= block_end:
            r, row_start = block.locate_row(start - pos)
            cursor = pos + row_start + 1
            for cell in block.rows[r]:
                cursor += 1
                cell_end = cursor + content_size(cell)
                if cursor <= start and end <= cell_end:
                    return _cell_container(cell, cursor, start, end, (*path, (block, r)))
                cursor = cell_end
        pos = block_end
    return blocks, base, path


# ---------------------------------------------------------------------- JSON rendering


def _style(key: str) -> dict[str, Any]:
    return json.loads(key)  # type: ignore[no-any-return]


def _with_indexes(out: dict[str, Any], start: int, end: int) -> dict[str, Any]:
    shaped: dict[str, Any] = {}
    if start:
        shaped["startIndex"] = start
    shaped["endIndex"] = end
    shaped.update(out)
    return shaped


def render_blocks(blocks: list[Block], start: int) -> list[dict[str, Any]]:
    out = []
    pos = start
    for block in blocks:
        end = pos + block.size
        if isinstance(block, SectionBreak):
            out.append(_with_indexes({"sectionBreak": {"sectionStyle": copy.deepcopy(block.style)}}, pos, end))
        elif isinstance(block, Paragraph):
            elements: list[dict[str, Any]] = []
            cursor = pos
            run: list[Atom] = []

            def flush(run: list[Atom], cursor: int, elements: list[dict[str, Any]] = elements) -> int:
                if not run:
                    return cursor
                size = sum(a.size for a in run)
                if run[0].obj is not None:
                    element = {"inlineObjectElement": {"inlineObjectId": run[0].obj, "textStyle": _style(run[0].style)}}
                else:
                    element = {"textRun": {"content": "".join(a.ch for a in run), "textStyle": _style(run[0].style)}}
                elements.append(_with_indexes(element, cursor, cursor + size))
                return cursor + size

            for atom in block.atoms:
                if atom.obj is not None:
                    cursor = flush(run, cursor)
                    cursor = flush([atom], cursor)
                    run = []
                elif run and run[0].style == atom.style:
                    run.append(atom)
                else:
                    cursor = flush(run, cursor)
                    run = [atom]
            flush(run, cursor)
            out.append(
                _with_indexes(
                    {"paragraph": {"elements": elements, "paragraphStyle": copy.deepcopy(block.style)}}, pos, end
                )
            )
        else:
            rows = []
            cursor = pos + 1
            for row in block.rows:
                row_start = cursor
                cursor += 1
                cells = []
                for cell in row:
                    cell_start = cursor
                    cursor += 1
                    content = render_blocks(cell, cursor)
                    cursor += content_size(cell)
                    cells.append(_with_indexes({"content": content, "tableCellStyle": {"rowSpan": 1, "columnSpan": 1,
                        "contentAlignment": "TOP"}}, cell_start, cursor))  # fmt: skip
                rows.append(
                    _with_indexes(
                        {"tableCells": cells, "tableRowStyle": {"minRowHeight": {"unit": "PT"}}}, row_start, cursor
                    )
                )
            columns = max((len(r) for r in block.rows), default=0)
            table = {
                "rows": len(block.rows),
                "columns": columns,
                "tableRows": rows,
                "tableStyle": {"tableColumnProperties": _column_properties(block, columns)},
            }
            out.append(_with_indexes({"table": table}, pos, end))
        pos = end
    return out


def _column_properties(table: Table, columns: int) -> list[dict[str, Any]]:
    fixed = table.style.get("tableColumnProperties")
    if isinstance(fixed, list) and len(fixed) == columns:
        return copy.deepcopy(fixed)
    return [{"widthType": "EVENLY_DISTRIBUTED"} for _ in range(columns)]


NAMED_STYLES = [
    "NORMAL_TEXT", "TITLE", "SUBTITLE", "HEADING_1", "HEADING_2", "HEADING_3", "HEADING_4", "HEADING_5", "HEADING_6",
]  # fmt: skip


def render(doc: Document, tabs: bool = False) -> dict[str, Any]:
    body = {"content": render_blocks(doc.body, 0)}
    document_style = {
        "background": {"color": {}},
        "pageNumberStart": 1,
        "marginTop": {"magnitude": 72, "unit": "PT"},
        "marginBottom": {"magnitude": 72, "unit": "PT"},
        "marginRight": {"magnitude": 72, "unit": "PT"},
        "marginLeft": {"magnitude": 72, "unit": "PT"},
        "pageSize": {"height": {"magnitude": 792, "unit": "PT"}, "width": {"magnitude": 612, "unit": "PT"}},
        **copy.deepcopy(doc.document_style),
    }
    named = {
        "styles": [
            {"namedStyleType": n, "textStyle": copy.deepcopy(doc.normal_text_style) if n == "NORMAL_TEXT" else {},
             "paragraphStyle": {"namedStyleType": n}} for n in NAMED_STYLES
        ]
    }
    out: dict[str, Any] = {"title": doc.title}
    content: dict[str, Any] = {"body": body, "documentStyle": document_style, "namedStyles": named}
    if doc.inline_objects:
        content["inlineObjects"] = copy.deepcopy(doc.inline_objects)
    if tabs:
        out["tabs"] = [{"tabProperties": {"tabId": "t.0", "title": "Tab 1", "index": 0}, "documentTab": content}]
    else:
        out.update(content)
    out.update(revisionId=doc.revision_id, suggestionsViewMode="SUGGESTIONS_INLINE", documentId=doc.id)
    return out


# ---------------------------------------------------------------------- the model


class DocsModel:
    def __init__(self, on_create: Callable[[str, str, str], None], on_change: Callable[[str], None],
                 fetch_image: Callable[[str], bytes | None] | None = None) -> None:
        self.fetch_image = fetch_image  # None: no image can be fetched, every insertInlineImage fails
        self.docs: dict[str, Document] = {}
        self.lock = threading.RLock()
        self._on_create = on_create
        self._on_change = on_change

    def create(self, title: str, owner: str, did: str | None = None, register: bool = True) -> Document:
        doc = Document(did or file_id(), title or "Untitled document", new_body())
        with self.lock:
            self.docs[doc.id] = doc
        if register:
            self._on_create(doc.id, doc.title, owner)
        return doc

    def require(self, did: str) -> Document:
        with self.lock:
            doc = self.docs.get(did)
        if doc is None:
            raise not_found("Requested entity was not found.")
        return doc

    def copy(self, source: str, target: str, title: str) -> None:
        with self.lock:
            doc = copy.deepcopy(self.require(source))
            doc.id, doc.title, doc.revision = target, title, 1
            self.docs[target] = doc

    def delete(self, did: str) -> None:
        with self.lock:
            self.docs.pop(did, None)

    def rename(self, did: str, title: str) -> None:
        with self.lock:
            self.require(did).title = title

    def get(self, did: str, tabs: bool = False) -> dict[str, Any]:
        with self.lock:
            return render(self.require(did), tabs)

    def import_media(self, did: str, media: Media) -> None:
        from emulator.docs.export import DOCX, blocks_from_docx, styles_from_docx

        kind = media.content_type.split(";")[0].strip()
        styles: tuple[dict[str, Any], dict[str, Any]] = ({}, {})
        if kind == DOCX:
            body = blocks_from_docx(io.BytesIO(media.data))
            styles = styles_from_docx(media.data)
        elif kind == "text/plain":
            text = media.data.decode("utf-8")
            body = [SectionBreak(), *split_paragraphs(Paragraph(text_atoms(text.rstrip("\n") + "\n")))]
        else:
            raise unimplemented(f"Importing {kind} as a Google Doc (only DOCX and text/plain)")
        with self.lock:
            doc = self.require(did)
            doc.body = body
            doc.document_style, doc.normal_text_style = styles
            doc.revision += 1

    # ------------------------------------------------------------------ batchUpdate

    def batch_update(self, did: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            doc = self.require(did)
            control = body.get("writeControl") or {}
            wanted = control.get("requiredRevisionId") or control.get("targetRevisionId")
            if wanted and wanted != doc.revision_id:
                raise bad_request("The required revision ID does not match the latest revision.")
            work = copy.deepcopy(doc)
            replies = []
            for i, request in enumerate(body.get("requests") or []):
                if len(request) != 1:
                    raise bad_request(f"Invalid requests[{i}]: exactly one request kind must be set.")
                kind, args = next(iter(request.items()))
                replies.append(_Editor(work, i, kind, self.fetch_image).apply(args or {}))
            if replies:
                work.revision += 1
            self.docs[did] = work
        self._on_change(did)
        return {"replies": replies, "writeControl": {"requiredRevisionId": work.revision_id}, "documentId": did}

    # ------------------------------------------------------------------ snapshot

    def to_json(self) -> dict[str, Any]:
        with self.lock:
            return {"documents": [_doc_to_json(d) for d in self.docs.values()]}

    def load_json(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.docs = {d["id"]: _doc_from_json(d) for d in data.get("documents", [])}


def _blocks_to_json(blocks: list[Block]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for block in blocks:
        if isinstance(block, SectionBreak):
            out.append({"sectionBreak": block.style})
        elif isinstance(block, Paragraph):
            out.append({"paragraph": block.style, "atoms": [[a.ch, a.style, a.obj] for a in block.atoms]})
        else:
            out.append({"table": block.style, "rows": [[_blocks_to_json(c) for c in row] for row in block.rows]})
    return out


def _blocks_from_json(items: list[dict[str, Any]]) -> list[Block]:
    out: list[Block] = []
    for item in items:
        if "sectionBreak" in item:
            out.append(SectionBreak(item["sectionBreak"]))
        elif "paragraph" in item:
            out.append(Paragraph([Atom(ch, st, obj) for ch, st, obj in item["atoms"]], item["paragraph"]))
        else:
            out.append(Table([[_blocks_from_json(c) for c in row] for row in item["rows"]], item["table"]))
    return out


def _doc_to_json(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.id,
        "title": doc.title,
        "revision": doc.revision,
        "inlineObjects": doc.inline_objects,
        "images": {k: v.hex() for k, v in doc.images.items()},
        "documentStyle": doc.document_style,
        "normalTextStyle": doc.normal_text_style,
        "body": _blocks_to_json(doc.body),
    }


def _doc_from_json(data: dict[str, Any]) -> Document:
    return Document(
        data["id"],
        data["title"],
        _blocks_from_json(data["body"]),
        data.get("inlineObjects", {}),
        data.get("revision", 1),
        {k: bytes.fromhex(v) for k, v in data.get("images", {}).items()},
        data.get("documentStyle", {}),
        data.get("normalTextStyle", {}),
    )


def _merge_style(style: str, update: dict[str, Any], fields: str) -> str:
    current = _style(style)
    if fields.strip() == "*":
        current = copy.deepcopy(update)
    else:
        for name in [path.split(".")[0] for path in mask_paths(fields)]:
            if name in update:
                current[name] = copy.deepcopy(update[name])
            else:
                current.pop(name, None)
    return json.dumps(current, sort_keys=True, ensure_ascii=False)


class _Editor:
    """Applies one batchUpdate request to a working copy of a document."""

    def __init__(self, doc: Document, i: int, kind: str,
                 fetch_image: Callable[[str], bytes | None] | None = None) -> None:
        self.doc = doc
        self.fetch_image = fetch_image
        self.kind = kind
        self.where = f"Invalid requests[{i}].{kind}"

    def fail(self, message: str) -> GoogleError:
        return bad_request(f"{self.where}: {message}")

    def apply(self, args: dict[str, Any]) -> dict[str, Any]:
        method = getattr(self, "_" + self.kind, None)
        if method is None:
            raise unimplemented(f"docs.documents.batchUpdate request kind '{self.kind}'")
        return method(args)  # type: ignore[no-any-return]

    # -- helpers

    def _segment(self, location: dict[str, Any]) -> None:
        if location.get("segmentId"):
            raise unimplemented("Docs headers, footers and footnotes (segmentId)")

    def _index(self, args: dict[str, Any]) -> int:
        if "location" in args and "endOfSegmentLocation" in args:
            raise self.fail("Exactly one of location or endOfSegmentLocation must be set.")
        if "endOfSegmentLocation" in args:
            self._segment(args["endOfSegmentLocation"] or {})
            return self.doc.end_index() - 1
        location = args.get("location")
        if location is None:
            raise self.fail("Exactly one of location or endOfSegmentLocation must be set.")
        self._segment(location)
        index = int(location.get("index", 0))
        end = self.doc.end_index()
        if index < 1:
            raise self.fail(f"Index {index} must be greater than or equal to 1.")
        if index >= end:
            raise self.fail(f"Index {index} must be less than the end index of the referenced segment, {end}.")
        return index

    def _spot(self, index: int) -> Spot:
        spot = find_spot(self.doc.body, 0, index)
        if spot is None:
            raise self.fail(
                "The insertion index must be inside the bounds of an existing paragraph. "
                "You can still create new paragraphs by inserting newlines."
            )
        return spot

    def _insert_atoms(self, spot: Spot, atoms: list[Atom]) -> None:
        paragraph = spot.paragraph
        paragraph.atoms = [*paragraph.atoms[: spot.atom_offset], *atoms, *paragraph.atoms[spot.atom_offset :]]
        spot.container[spot.position : spot.position + 1] = split_paragraphs(paragraph)
        resize(spot.path)

    @staticmethod
    def _style_at(spot: Spot) -> str:
        atoms = spot.paragraph.atoms
        neighbour = atoms[spot.atom_offset - 1] if spot.atom_offset > 0 else atoms[spot.atom_offset]
        return neighbour.style

    # -- requests

    def _insertText(self, args: dict[str, Any]) -> dict[str, Any]:
        text = args.get("text", "")
        index = self._index(args)
        spot = self._spot(index)
        self._insert_atoms(spot, text_atoms(text.replace("\r\n", "\n").replace("\r", "\n"), self._style_at(spot)))
        return {}

    def _replaceAllText(self, args: dict[str, Any]) -> dict[str, Any]:
        criteria = args.get("containsText") or {}
        needle = criteria.get("text", "")
        if not needle:
            raise self.fail("The search text must not be empty.")
        match_case = bool(criteria.get("matchCase", False))
        replacement = args.get("replaceText", "")
        count = 0
        for paragraph, _, container, _ in all_paragraphs(self.doc.body):
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
            reindex_tables(self.doc.body)
        return {"replaceAllText": {"occurrencesChanged": count} if count else {}}

    def _deleteContentRange(self, args: dict[str, Any]) -> dict[str, Any]:
        rng = args.get("range") or {}
        self._segment(rng)
        start, end = int(rng.get("startIndex", 0)), int(rng.get("endIndex", 0))
        total = self.doc.end_index()
        if start < 1:
            raise self.fail(f"Index {start} must be greater than or equal to 1.")
        if end <= start:
            raise self.fail("The range must not be empty: endIndex must be greater than startIndex.")
        if end > total:
            raise self.fail(f"Index {end - 1} must be less than the end index of the referenced segment, {total}.")
        container, base, path = _cell_container(self.doc.body, 0, start, end)
        result: list[Block] = []
        pending: Paragraph | None = None
        pos = base
        for block in container:
            b_start, b_end = pos, pos + block.size
            pos = b_end
            if b_end <= start or b_start >= end:
                if pending is not None:
                    if not isinstance(block, Paragraph):
                        raise self.fail("Invalid deletion range. Cannot delete the requested range.")
                    block = Paragraph([*pending.atoms, *block.atoms], pending.style)
                    pending = None
                result.append(block)
                continue
            if isinstance(block, SectionBreak):
                raise self.fail("Invalid deletion range. Cannot delete the requested range.")
            if isinstance(block, Table):
                if not (start <= b_start and b_end <= end):
                    raise self.fail("Invalid deletion range. Cannot delete the requested range.")
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
            raise self.fail("The range cannot include the newline character at the end of the segment.")
        container[:] = result
        resize(path)
        self.doc.inline_objects = {k: v for k, v in self.doc.inline_objects.items() if self._object_used(k)}
        self.doc.images = {k: v for k, v in self.doc.images.items() if k in self.doc.inline_objects}
        return {}

    def _object_used(self, object_id: str) -> bool:
        return any(a.obj == object_id for p, *_ in all_paragraphs(self.doc.body) for a in p.atoms)

    def _insertTable(self, args: dict[str, Any]) -> dict[str, Any]:
        rows, columns = int(args.get("rows", 0)), int(args.get("columns", 0))
        if rows < 1 or columns < 1:
            raise self.fail("A table must have at least one row and one column.")
        index = self._index(args)
        spot = self._spot(index)
        paragraph = spot.paragraph
        before = Paragraph(
            [*paragraph.atoms[: spot.atom_offset], Atom("\n", self._style_at(spot))], dict(paragraph.style)
        )
        after = Paragraph(paragraph.atoms[spot.atom_offset :], dict(paragraph.style))
        table = Table([[empty_cell() for _ in range(columns)] for _ in range(rows)])
        spot.container[spot.position : spot.position + 1] = [before, table, after]
        resize(spot.path)
        return {}

    def _table_at(self, args: dict[str, Any]) -> tuple[Table, int, int, TablePath]:
        location = args.get("tableCellLocation") or {}
        start = location.get("tableStartLocation") or {}
        self._segment(start)
        found = find_table(self.doc.body, 0, int(start.get("index", 0)))
        if found is None:
            index = start.get("index", 0)
            raise self.fail(f"Invalid table start location. Must specify the start index of the table. (index {index})")
        table, path = found
        row, column = int(location.get("rowIndex", 0)), int(location.get("columnIndex", 0))
        if not (0 <= row < len(table.rows)) or not (0 <= column < len(table.rows[row])):
            raise self.fail(f"Invalid table cell location: row {row}, column {column}.")
        return table, row, column, path

    def _insertTableRow(self, args: dict[str, Any]) -> dict[str, Any]:
        table, row, _, path = self._table_at(args)
        at = row + 1 if args.get("insertBelow") else row
        table.insert_row(at, [empty_cell() for _ in table.rows[row]])
        resize(path)
        return {}

    def _deleteTableRow(self, args: dict[str, Any]) -> dict[str, Any]:
        table, row, _, path = self._table_at(args)
        if len(table.rows) == 1:
            raise self.fail("Cannot delete the only row of a table; delete the table instead.")
        table.delete_row(row)
        resize(path)
        return {}

    def _insertTableColumn(self, args: dict[str, Any]) -> dict[str, Any]:
        table, _, column, path = self._table_at(args)
        table.insert_column(column + 1 if args.get("insertRight") else column)
        resize(path)
        return {}

    def _table_start(self, args: dict[str, Any]) -> tuple[Table, TablePath]:
        start = args.get("tableStartLocation") or {}
        self._segment(start)
        found = find_table(self.doc.body, 0, int(start.get("index", 0)))
        if found is None:
            index = start.get("index", 0)
            raise self.fail(f"Invalid table start location. Must specify the start index of the table. (index {index})")
        return found

    def _pinTableHeaderRows(self, args: dict[str, Any]) -> dict[str, Any]:
        table, _ = self._table_start(args)
        count = int(args.get("pinnedHeaderRowsCount", 0))
        if not 0 <= count <= len(table.rows):
            raise self.fail(f"pinnedHeaderRowsCount {count} is out of range.")
        table.style["pinnedHeaderRowsCount"] = count
        return {}

    def _updateTableColumnProperties(self, args: dict[str, Any]) -> dict[str, Any]:
        table, _ = self._table_start(args)
        columns = max((len(r) for r in table.rows), default=0)
        indices = args.get("columnIndices") or list(range(columns))
        update, fields = args.get("tableColumnProperties") or {}, args.get("fields")
        if not fields:
            raise self.fail("fields must be specified (use '*' for all).")
        width = (update.get("width") or {}).get("magnitude")
        if update.get("widthType") == "FIXED_WIDTH" and (width is None or float(width) < 5):
            raise self.fail("A fixed column width must be at least 5 points.")
        current = _column_properties(table, columns)
        for index in indices:
            if not 0 <= int(index) < columns:
                raise self.fail(f"Column index {index} is out of range.")
            current[int(index)] = _style(_merge_style(json.dumps(current[int(index)]), update, fields))
        table.style["tableColumnProperties"] = current
        return {}

    def _insertInlineImage(self, args: dict[str, Any]) -> dict[str, Any]:
        uri = args.get("uri", "")
        if not uri.startswith(("https://", "http://")) or len(uri) > 2048:
            raise self.fail("The image URI must be a public http(s) URL of at most 2 kB.")
        index = self._index(args)
        spot = self._spot(index)
        data = self.fetch_image(uri) if self.fetch_image is not None else None
        if data is None:
            from emulator.docs.images import PROBLEM

            raise self.fail(PROBLEM)
        object_id = "kix." + hex_id(12)
        size = args.get("objectSize") or {
            "height": {"magnitude": 100, "unit": "PT"},
            "width": {"magnitude": 100, "unit": "PT"},
        }
        self.doc.inline_objects[object_id] = {
            "objectId": object_id,
            "inlineObjectProperties": {
                "embeddedObject": {
                    "imageProperties": {"contentUri": uri, "sourceUri": uri, "cropProperties": {}},
                    "size": size,
                    "embeddedObjectBorder": {"color": {"color": {"rgbColor": {}}}, "width": {"unit": "PT"},
                        "dashStyle": "SOLID", "propertyState": "NOT_RENDERED"},
                }
            },
        }  # fmt: skip
        self.doc.images[object_id] = data
        self._insert_atoms(spot, [Atom("\ufffc", self._style_at(spot), object_id)])
        return {"insertInlineImage": {"objectId": object_id}}

    def _replaceImage(self, args: dict[str, Any]) -> dict[str, Any]:
        object_id = args.get("imageObjectId", "")
        uri = args.get("uri", "")
        found = self.doc.inline_objects.get(object_id)
        if found is None:
            raise self.fail(f"The image object with ID {object_id} was not found.")
        if not uri.startswith(("https://", "http://")):
            raise self.fail("The image URI must be a public http(s) URL.")
        data = self.fetch_image(uri) if self.fetch_image is not None else None
        if data is None:
            from emulator.docs.images import PROBLEM

            raise self.fail(PROBLEM)
        self.doc.images[object_id] = data
        image = found["inlineObjectProperties"]["embeddedObject"]["imageProperties"]
        image["contentUri"] = uri
        image["sourceUri"] = uri
        return {}

    def _styled_range(self, args: dict[str, Any]) -> tuple[int, int]:
        rng = args.get("range") or {}
        self._segment(rng)
        start, end = int(rng.get("startIndex", 0)), int(rng.get("endIndex", 0))
        if end <= start or start < 1 or end > self.doc.end_index():
            raise self.fail("The range is invalid.")
        if not args.get("fields"):
            raise self.fail("fields must be specified (use '*' for all).")
        return start, end

    def _updateTextStyle(self, args: dict[str, Any]) -> dict[str, Any]:
        start, end = self._styled_range(args)
        update, fields = args.get("textStyle") or {}, args["fields"]
        for paragraph, p_start in paragraphs_overlapping(self.doc.body, 0, start, end):
            cursor = p_start
            atoms = []
            for atom in paragraph.atoms:
                if start <= cursor < end:
                    atom = Atom(atom.ch, _merge_style(atom.style, update, fields), atom.obj)
                atoms.append(atom)
                cursor += atom.size
            paragraph.atoms = atoms
        return {}

    def _updateParagraphStyle(self, args: dict[str, Any]) -> dict[str, Any]:
        start, end = self._styled_range(args)
        update, fields = args.get("paragraphStyle") or {}, args["fields"]
        for paragraph, _ in paragraphs_overlapping(self.doc.body, 0, start, end):
            paragraph.style = _style(_merge_style(json.dumps(paragraph.style), update, fields))
        return {}
