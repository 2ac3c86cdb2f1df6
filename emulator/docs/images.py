"""What Google does with an insertInlineImage URI: it fetches the image itself, once, with no user's credentials.

So a Drive file is readable only if anyone with the link may read it (an `anyone` permission on the file or a
folder above it), any other URL only if it answers; the image must be PNG, JPEG or GIF, under 50 MB and at
most 25 megapixels (Docs API reference, InsertInlineImageRequest.uri). Anything else fails the request, as
"There was a problem retrieving the image" does on Google.
"""

from __future__ import annotations

import io
import re
import urllib.error
import urllib.request
from collections.abc import Callable

from emulator.drive.models import DriveModel

MAX_BYTES = 50 * 1024 * 1024
MAX_PIXELS = 25_000_000
DRIVE_URI = re.compile(
    r"^https://(?:drive\.google\.com/(?:uc\?(?:[^#]*&)?id=|file/d/|open\?id=)|lh3\.googleusercontent\.com/d/)"
    r"([A-Za-z0-9_-]+)"
)
PROBLEM = ("There was a problem retrieving the image. The provided image should be publicly accessible, within "
           "size limit, and in supported formats.")


def image_format(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    return None


def _pixels(data: bytes) -> int | None:
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except Exception:  # not an image PIL can read: Google cannot either
        return None
    return int(width * height)


def image_fetcher(drive: DriveModel, timeout: float = 5.0) -> Callable[[str], bytes | None]:
    """The bytes Google would fetch for `uri`, or None where its fetch fails."""

    def fetch(uri: str) -> bytes | None:
        match = DRIVE_URI.match(uri)
        if match:
            found = drive.readable_by_anyone(match.group(1))
            data = found.content if found is not None else None
        else:
            try:
                with urllib.request.urlopen(uri, timeout=timeout) as answer:
                    data = answer.read(MAX_BYTES + 1)
            except (urllib.error.URLError, OSError, ValueError):
                data = None
        if data is None or len(data) > MAX_BYTES or image_format(data) is None:
            return None
        pixels = _pixels(data)
        if pixels is None or pixels > MAX_PIXELS:
            return None
        return data

    return fetch
