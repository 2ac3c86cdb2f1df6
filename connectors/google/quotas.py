"""Google Workspace quota numbers, in one place.

Both the local emulator (which enforces them) and the product's client-side rate limiter read this module,
so a number changes here and nowhere else. Defaults are Google's published per-minute limits
(Sheets, Docs, Forms, Drive usage-limits pages; Gmail's quota-units page and Workspace's sending limits).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

MINUTE = 60.0
DAY = 86_400.0


@dataclass(frozen=True)
class Limit:
    """A budget of units per window, per user and per project (``None`` means unlimited)."""

    per_user: int | None
    per_project: int | None
    window_seconds: float = MINUTE


GMAIL_METHOD_UNITS: Mapping[str, int] = dict(
    {
        "gmail.users.messages.send": 100,
        "gmail.users.messages.list": 5,
        "gmail.users.messages.get": 5,
        "gmail.users.messages.attachments.get": 5,
        "gmail.users.messages.insert": 25,
        "gmail.users.messages.import": 25,
        "gmail.users.messages.delete": 10,
        "gmail.users.messages.modify": 5,
        "gmail.users.messages.trash": 5,
        "gmail.users.messages.untrash": 5,
        "gmail.users.getProfile": 1,
    }
)
GMAIL_DEFAULT_UNITS = 5
_SHEETS_POST_READS = frozenset(
    {
        "sheets.spreadsheets.getByDataFilter",
        "sheets.spreadsheets.values.batchGetByDataFilter",
        "sheets.spreadsheets.developerMetadata.search",
    }
)


@dataclass(frozen=True)
class WorkspaceQuotas:
    """Every quota bucket the emulator enforces and the product's limiter respects."""

    sheets_read: Limit = Limit(per_user=60, per_project=300)
    sheets_write: Limit = Limit(per_user=60, per_project=300)
    docs_read: Limit = Limit(per_user=300, per_project=3_000)
    docs_write: Limit = Limit(per_user=60, per_project=600)
    forms_read: Limit = Limit(per_user=390, per_project=975)
    forms_write: Limit = Limit(per_user=150, per_project=375)
    forms_responses_list: Limit = Limit(per_user=180, per_project=450)
    gmail_units: Limit = Limit(per_user=6_000, per_project=1_200_000)
    gmail_messages_per_day: Limit = Limit(per_user=2_000, per_project=None, window_seconds=DAY)
    drive_queries: Limit = Limit(per_user=12_000, per_project=12_000)
    gmail_method_units: Mapping[str, int] = field(default_factory=lambda: dict(GMAIL_METHOD_UNITS))

    def with_limits(self, **limits: Limit) -> WorkspaceQuotas:
        """A copy with some buckets replaced, e.g. ``DEFAULT_QUOTAS.with_limits(sheets_read=Limit(3, 10))``."""
        return replace(self, **limits)  # type: ignore[arg-type]

    def charges(self, method_id: str, http_method: str) -> list[tuple[str, int]]:
        """The buckets (field names) a call to ``method_id`` draws from, with the units it costs in each."""
        api = method_id.split(".", 1)[0]
        if api == "sheets":
            reading = http_method == "GET" or method_id in _SHEETS_POST_READS
            return [("sheets_read" if reading else "sheets_write", 1)]
        if api == "docs":
            return [("docs_read" if method_id == "docs.documents.get" else "docs_write", 1)]
        if api == "forms":
            if method_id == "forms.forms.responses.list":
                return [("forms_responses_list", 1)]
            return [("forms_read" if http_method == "GET" else "forms_write", 1)]
        if api == "gmail":
            units = self.gmail_method_units.get(method_id, GMAIL_DEFAULT_UNITS)
            charges = [("gmail_units", units)]
            if method_id == "gmail.users.messages.send":
                charges.append(("gmail_messages_per_day", 1))
            return charges
        if api == "drive":
            return [("drive_queries", 1)]
        return []

    def limit(self, bucket: str) -> Limit:
        """The limit of a quota bucket by its name, as the charges name it."""
        value = getattr(self, bucket)
        assert isinstance(value, Limit)
        return value


DEFAULT_QUOTAS = WorkspaceQuotas()


def uniform_quotas(per_user: int | None, per_project: int | None = None) -> WorkspaceQuotas:
    """Every per-minute bucket set to the same small numbers — for tests of quota behaviour."""
    minute = Limit(per_user=per_user, per_project=per_project)
    return WorkspaceQuotas(
        sheets_read=minute,
        sheets_write=minute,
        docs_read=minute,
        docs_write=minute,
        forms_read=minute,
        forms_write=minute,
        forms_responses_list=minute,
        gmail_units=minute,
        drive_queries=minute,
    )
