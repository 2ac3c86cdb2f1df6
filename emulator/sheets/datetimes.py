"""Date-time cells as Sheets keeps them: a serial number (days since 30 December 1899, in the spreadsheet's
own time zone) shown through the spreadsheet's locale.

Sources: the Sheets API's DateTimeRenderOption (SERIAL_NUMBER: "days since December 30th 1899"; FORMATTED_STRING
and FORMATTED_VALUE follow the spreadsheet's locale) and SpreadsheetProperties.timeZone ("CLDR format such as
America/New_York ... or a custom time zone such as GMT-07:00").
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

EPOCH = dt.datetime(1899, 12, 30)
DATE_KINDS = ("DATE_TIME", "DATE")
# The default DATE_TIME display per locale (what a Forms timestamp looks like in the response sheet).
_PATTERNS = {
    "en_US": ("{M}/{d}/{yyyy}", "{H}:{mm}:{ss}"),
    "vi_VN": ("{d}/{M}/{yyyy}", "{H}:{mm}:{ss}"),
    "vi": ("{d}/{M}/{yyyy}", "{H}:{mm}:{ss}"),
    "en_GB": ("{dd}/{MM}/{yyyy}", "{HH}:{mm}:{ss}"),
}
_FALLBACK = ("{yyyy}-{MM}-{dd}", "{HH}:{mm}:{ss}")
_CUSTOM_ZONE = re.compile(r"GMT([+-])(\d{1,2})(?::?(\d{2}))?")


def zone(name: str | None) -> dt.tzinfo:
    """A spreadsheet's timeZone: a CLDR/IANA name or a custom ``GMT+07:00``."""
    text = (name or "Etc/GMT").strip()
    custom = _CUSTOM_ZONE.fullmatch(text)
    if custom:
        sign = -1 if custom.group(1) == "-" else 1
        minutes = int(custom.group(2)) * 60 + int(custom.group(3) or 0)
        return dt.timezone(sign * dt.timedelta(minutes=minutes))
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def serial(local: dt.datetime) -> float:
    """A naive wall-clock time as a serial number."""
    delta = local - EPOCH
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86_400


def from_serial(value: float) -> dt.datetime:
    return EPOCH + dt.timedelta(seconds=round(value * 86_400))


def serial_in(moment: dt.datetime, zone_name: str | None) -> float:
    """An aware instant as the spreadsheet shows it: wall-clock time in its own zone."""
    return serial(moment.astimezone(zone(zone_name)).replace(tzinfo=None))


def render(value: float, locale: str | None, kind: str = "DATE_TIME") -> str:
    when = from_serial(value)
    date_pattern, time_pattern = _PATTERNS.get(locale or "en_US") or _PATTERNS.get(
        (locale or "").split("_")[0], _FALLBACK
    )
    parts = {
        "d": str(when.day), "dd": f"{when.day:02d}", "M": str(when.month), "MM": f"{when.month:02d}",
        "yyyy": f"{when.year:04d}", "H": str(when.hour), "HH": f"{when.hour:02d}", "mm": f"{when.minute:02d}",
        "ss": f"{when.second:02d}",
    }  # fmt: skip
    text = date_pattern.format(**parts)
    if kind == "DATE_TIME":
        text += " " + time_pattern.format(**parts)
    return text
