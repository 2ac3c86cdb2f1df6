"""One email address, as RFC 5322 and the allow-list mean it: no display name, no second address, no look-alike.

Plans and roster cells are typed by people and copied from elsewhere; anything that is not exactly one plain
ASCII address is refused with a Vietnamese reason, because a display name can hide the real recipient
('"thuongtruc@…" <evil@…>') and a Cyrillic "а" in a domain is a different school's mailbox.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

from thidua.text import visible


class AddressError(ValueError):
    """Not exactly one plain address; the message says why, in Vietnamese."""


@lru_cache(maxsize=65_536)
def check_address(typed: str) -> str:
    """The address, lower-cased, or AddressError naming what is wrong (display name, list, look-alike, …)."""
    text = typed.strip()
    if not text:
        raise AddressError("chưa ghi địa chỉ email")
    shown = visible(text)
    if "<" in text or ">" in text or '"' in text:
        raise AddressError(f"«{shown}» có tên hiển thị hoặc dấu <>: chỉ ghi đúng một địa chỉ dạng ten@truong.edu.vn")
    if any(unicodedata.category(c)[0] in "CZ" and c != " " for c in text):
        raise AddressError(f"«{shown}» chứa ký tự xuống dòng, điều khiển hoặc ký tự ẩn")
    if text.count("@") > 1 or any(sep in text for sep in ",;"):
        raise AddressError(f"«{shown}» chứa nhiều hơn một địa chỉ: mỗi ô, mỗi trường chỉ ghi một địa chỉ")
    if " " in text:
        raise AddressError(f"«{shown}» chứa khoảng trắng")
    foreign = [c for c in text if ord(c) > 127]
    if foreign:
        names = ", ".join(f"«{c}» ({unicodedata.name(c, f'U+{ord(c):04X}')})" for c in dict.fromkeys(foreign))
        raise AddressError(f"«{shown}» có ký tự ngoài bảng chữ Latin cơ bản {names}: có thể là tên miền giả "
                           "dạng; hãy gõ lại địa chỉ bằng bàn phím không dấu")
    if "@" not in text:
        raise AddressError(f"«{shown}» thiếu dấu @: cần dạng ten@truong.edu.vn")
    try:
        checked = validate_email(text, check_deliverability=False, allow_display_name=False,
                                 allow_smtputf8=False, allow_quoted_local=False, allow_domain_literal=False)
    except EmailNotValidError:
        raise AddressError(f"«{shown}» không phải địa chỉ email hợp lệ (cần dạng ten@truong.edu.vn)") from None
    if any(label.startswith("xn--") for label in checked.ascii_domain.split(".")):
        raise AddressError(f"«{shown}» có tên miền quốc tế hóa (xn--…) có thể giả dạng tên miền khác; không "
                           "được dùng")
    return text.lower()


def check_domain(typed: str) -> str:
    """A bare domain (the school's), checked as the domain part of an address would be."""
    return check_address(f"x@{typed.strip()}").removeprefix("x@")
