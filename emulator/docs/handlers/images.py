"""documents.batchUpdate requests on images: insert an inline image from a URL, replace an image's picture.
The picture is fetched as Google fetches it (see `emulator.docs.images`), and kept with the document."""

from __future__ import annotations

from typing import Any

from emulator.docs.document import Atom
from emulator.docs.handlers.base import Handler, Request, style_at
from emulator.ids import hex_id


def insert_inline_image(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """Inserts an image at an index; a URL Google could not fetch fails the request."""
    uri = args.get("uri", "")
    if not uri.startswith(("https://", "http://")) or len(uri) > 2048:
        raise request.fail("The image URI must be a public http(s) URL of at most 2 kB.")
    index = request.location_index(args)
    spot = request.spot(index)
    data = request.fetch_image(uri) if request.fetch_image is not None else None
    if data is None:
        from emulator.docs.images import PROBLEM

        raise request.fail(PROBLEM)
    object_id = "kix." + hex_id(12)
    size = args.get("objectSize") or {
        "height": {"magnitude": 100, "unit": "PT"},
        "width": {"magnitude": 100, "unit": "PT"},
    }
    request.doc.inline_objects[object_id] = {
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
    request.doc.images[object_id] = data
    request.insert_atoms(spot, [Atom("\ufffc", style_at(spot), object_id)])
    return {"insertInlineImage": {"objectId": object_id}}


def replace_image(request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """Gives an inline image a new picture from a URL, keeping its size and place."""
    object_id = args.get("imageObjectId", "")
    uri = args.get("uri", "")
    found = request.doc.inline_objects.get(object_id)
    if found is None:
        raise request.fail(f"The image object with ID {object_id} was not found.")
    if not uri.startswith(("https://", "http://")):
        raise request.fail("The image URI must be a public http(s) URL.")
    data = request.fetch_image(uri) if request.fetch_image is not None else None
    if data is None:
        from emulator.docs.images import PROBLEM

        raise request.fail(PROBLEM)
    request.doc.images[object_id] = data
    image = found["inlineObjectProperties"]["embeddedObject"]["imageProperties"]
    image["contentUri"] = uri
    image["sourceUri"] = uri
    return {}


HANDLERS: dict[str, Handler] = {
    "insertInlineImage": insert_inline_image,
    "replaceImage": replace_image,
}
