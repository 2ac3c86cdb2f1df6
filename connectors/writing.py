"""Writing a run's files whole or not at all, and a full disk said as such.

Every file a deadline run writes (the report's content, DOCX, annex, signed PDF, the rejected rows) is written
beside its final name and moved into place only once complete: a full disk in the middle leaves the previous
version (or nothing), never a truncated file a later step or a retry would attach to an email. A full disk (or a
quota, or a file-size limit) becomes `OutputFullError`, which names the file in Vietnamese.
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
from collections.abc import Iterator
from pathlib import Path

from connectors.ports import OutputFullError

#: What a write raises when there is no room: the disk (ENOSPC), the user's quota (EDQUOT), or the process's
#: file-size limit (EFBIG, RLIMIT_FSIZE): for the clerk all three are "the disk is full".
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_LIBXML2_FULL = tuple(f"IO_{errno.errorcode[n]}" for n in sorted(FULL_ERRNOS))


#: Free room below which a write that failed without saying why (LibreOffice, SQLite's "disk I/O error") is put
#: down to a full disk: a report's PDF or a ledger page needs about this much.
MIN_ROOM = 1 << 20


def no_room(folder: Path, needed: int = MIN_ROOM) -> bool:
    """Whether writing `needed` bytes in `folder` would find no room: its file system is (nearly) full, or this
    process may not write files that large (RLIMIT_FSIZE, which LibreOffice inherits too)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        return True
    try:
        stats = os.statvfs(folder)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < needed


def is_full(error: BaseException) -> bool:
    """Whether `error` (or what it was raised from) is a write that found no room."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in FULL_ERRNOS:
            return True
        if any(name in str(seen) for name in _LIBXML2_FULL):  # lxml (openpyxl's writer) names errno its own way
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@contextlib.contextmanager
def written_whole(path: Path, what: str = "tệp") -> Iterator[Path]:
    """Yields a temporary path beside `path` to write to; when the block ends without error it replaces `path` at
    once, otherwise it is removed. A full disk raises `OutputFullError(path)`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        yield partial
        os.replace(partial, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            partial.unlink()
        if isinstance(error, Exception) and is_full(error):
            raise OutputFullError(path, what) from error
        raise


def write_bytes_whole(path: Path, data: bytes, what: str = "tệp") -> Path:
    """`path` holds `data` whole, or is left as it was."""
    with written_whole(path, what) as partial:
        partial.write_bytes(data)
    return path


def write_text_whole(path: Path, text: str, what: str = "tệp") -> Path:
    """`path` holds `text` (UTF-8) whole, or is left as it was."""
    with written_whole(path, what) as partial:
        partial.write_text(text, encoding="utf-8")
    return path
