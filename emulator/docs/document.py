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

import json
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


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



def style_of(key: str) -> dict[str, Any]:
    """A text or paragraph style as a dict; atoms keep theirs as sorted JSON, so equal styles compare equal."""
    return json.loads(key)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- snapshot


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


def document_to_json(doc: Document) -> dict[str, Any]:
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


def document_from_json(data: dict[str, Any]) -> Document:
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

