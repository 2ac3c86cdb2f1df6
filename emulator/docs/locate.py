"""Finding things in a document by Google's indexes: the paragraph and character at an index, the table that
starts there, every paragraph (in table cells too), and the innermost content list holding a range."""

from __future__ import annotations

from dataclasses import dataclass

from emulator.docs.document import Block, Paragraph, Table, TablePath, content_size


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


def cell_container(
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
                    return cell_container(cell, cursor, start, end, (*path, (block, r)))
                cursor = cell_end
        pos = block_end
    return blocks, base, path

