"""What every documents.batchUpdate handler is given: the working copy of the document, which request it is (for
Google's error text), and the shared steps of many requests (an index checked, the paragraph at it, an insert)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.docs.document import Atom, Document, resize, split_paragraphs, style_of
from emulator.docs.locate import Spot, find_spot
from emulator.errors import GoogleError, bad_request, unimplemented
from emulator.fields import mask_paths


@dataclass(frozen=True)
class Request:
    """One request of a batchUpdate, applied to a working copy of the document (dropped if any request fails)."""

    doc: Document
    position: int
    kind: str
    fetch_image: Callable[[str], bytes | None] | None = None  # None: no image can be fetched

    @property
    def where(self) -> str:
        """The prefix Google puts on a request's error: `Invalid requests[2].insertText`."""
        return f"Invalid requests[{self.position}].{self.kind}"

    def fail(self, message: str) -> GoogleError:
        """The 400 error Google returns for this request."""
        return bad_request(f"{self.where}: {message}")

    def segment(self, location: dict[str, Any]) -> None:
        """Refuses a location in a header, footer or footnote: the emulator has only the body."""
        if location.get("segmentId"):
            raise unimplemented("Docs headers, footers and footnotes (segmentId)")

    def location_index(self, args: dict[str, Any]) -> int:
        """The index a `location` or `endOfSegmentLocation` names, checked against the body as Google checks it."""
        if "location" in args and "endOfSegmentLocation" in args:
            raise self.fail("Exactly one of location or endOfSegmentLocation must be set.")
        if "endOfSegmentLocation" in args:
            self.segment(args["endOfSegmentLocation"] or {})
            return self.doc.end_index() - 1
        location = args.get("location")
        if location is None:
            raise self.fail("Exactly one of location or endOfSegmentLocation must be set.")
        self.segment(location)
        index = int(location.get("index", 0))
        end = self.doc.end_index()
        if index < 1:
            raise self.fail(f"Index {index} must be greater than or equal to 1.")
        if index >= end:
            raise self.fail(f"Index {index} must be less than the end index of the referenced segment, {end}.")
        return index

    def spot(self, index: int) -> Spot:
        """The paragraph and character at an index; an index not inside a paragraph is Google's error."""
        spot = find_spot(self.doc.body, 0, index)
        if spot is None:
            raise self.fail(
                "The insertion index must be inside the bounds of an existing paragraph. "
                "You can still create new paragraphs by inserting newlines."
            )
        return spot

    def insert_atoms(self, spot: Spot, atoms: list[Atom]) -> None:
        """Inserts characters at a spot, splitting the paragraph at inserted newlines and resizing the tables around."""
        paragraph = spot.paragraph
        paragraph.atoms = [*paragraph.atoms[: spot.atom_offset], *atoms, *paragraph.atoms[spot.atom_offset :]]
        spot.container[spot.position : spot.position + 1] = split_paragraphs(paragraph)
        resize(spot.path)


def style_at(spot: Spot) -> str:
    """The style inserted text takes: the character before it, or the one at the spot at a paragraph's start."""
    atoms = spot.paragraph.atoms
    neighbour = atoms[spot.atom_offset - 1] if spot.atom_offset > 0 else atoms[spot.atom_offset]
    return neighbour.style


def merge_style(style: str, update: dict[str, Any], fields: str) -> str:
    """A style with the masked top-level fields taken from `update` (absent there: removed), as sorted JSON."""
    current = style_of(style)
    if fields.strip() == "*":
        current = copy.deepcopy(update)
    else:
        for name in [path.split(".")[0] for path in mask_paths(fields)]:
            if name in update:
                current[name] = copy.deepcopy(update[name])
            else:
                current.pop(name, None)
    return json.dumps(current, sort_keys=True, ensure_ascii=False)


#: A handler edits `request.doc` in place and returns the request's reply (often `{}`).
Handler = Callable[[Request, dict[str, Any]], dict[str, Any]]
