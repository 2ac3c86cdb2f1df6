"""How names and attachments read on an official document (Nghị định 30/2020/NĐ-CP) sent to an authority.

A header name may wrap, but never inside the proper name of the body ("PHƯỜNG VƯỜN / LÀI", "TRẦN QUỐC /
TOẢN"): the line breaks before the administrative unit ("ỦY BAN NHÂN DÂN / PHƯỜNG VƯỜN LÀI") or after the
kind of school ("TRƯỜNG TRUNG HỌC CƠ SỞ / TRẦN QUỐC TOẢN"). Names since the 2025 reorganisation are longer.
"""

from __future__ import annotations

from collections.abc import Sequence

NBSP = "\u00a0"
#: Administrative units: the unit's word stays with its proper name ("PHƯỜNG VƯỜN LÀI", "THÀNH PHỐ HỒ CHÍ MINH").
UNIT_WORDS: tuple[tuple[str, ...], ...] = (
    ("thành", "phố"), ("thị", "xã"), ("thị", "trấn"), ("đặc", "khu"), ("phường",), ("xã",), ("quận",),
    ("huyện",), ("tỉnh",),
)
#: Kinds of school (and of office): the proper name is what follows the last of them.
KIND_WORDS: tuple[tuple[str, ...], ...] = (
    ("cơ", "sở"), ("phổ", "thông"), ("tiểu", "học"), ("mầm", "non"), ("liên", "cấp"), ("nhiều", "cấp", "học"),
    ("nội", "trú"), ("bán", "trú"), ("thcs",), ("thpt",), ("th",), ("mn",), ("đào", "tạo"), ("trường",),
)
#: Longer than this, a bound name could not fit a header column (75 mm at 12–13 pt) and is left to wrap.
MAX_BOUND = 26


def _last_match(words: Sequence[str], markers: Sequence[tuple[str, ...]]) -> tuple[int, int] | None:
    """(start, end) of the last marker in `words`, a multi-word marker taken whole (so "thị xã" is not "xã")."""
    folded = [w.casefold() for w in words]
    found, index = None, 0
    while index < len(folded):
        hit = next((m for m in sorted(markers, key=len, reverse=True)
                    if tuple(folded[index:index + len(m)]) == m), None)
        if hit:
            found, index = (index, index + len(hit)), index + len(hit)
        else:
            index += 1
    return found


def keep_name_together(name: str) -> str:
    """`name` with non-breaking spaces inside its proper name (with the unit's word for an administrative
    body), so that a header wraps only before it; a name already holding a non-breaking space is the plan's own
    choice and is kept as it is."""
    if NBSP in name:
        return name
    words = name.split()
    unit = _last_match(words, UNIT_WORDS)
    kind = _last_match(words, KIND_WORDS)
    candidates: list[int] = []
    if unit is not None and unit[1] < len(words):
        candidates += [unit[0], unit[1]]
    elif kind is not None and kind[1] < len(words):
        candidates.append(kind[1])
    for start in candidates:
        bound = NBSP.join(words[start:])
        if len(bound) <= MAX_BOUND:
            return " ".join([*words[:start], bound])
    return " ".join(words)


def attachment_names(title: str, suffix: str) -> tuple[str, str]:
    """The report's and its annex's file names as the recipient sees them: the document's own words, no codes."""
    words = " ".join(title.split()).rstrip(".")
    return f"{words}{suffix}", f"{words} - Phụ lục số liệu chi tiết.xlsx"
