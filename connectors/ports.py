"""The seam: every role a backend plays, as a small protocol, and the values those roles exchange.

Flows depend on these interfaces only; each backend (local files + SMTP, Google Workspace) supplies
implementations and is registered once in `connectors.backends`. Nothing here knows a backend.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

from thidua.plan import Source
from thidua.replies import EmailReply
from thidua.rows import Table

# --- Sources ---------------------------------------------------------------------------------------------------


class RowSource(Protocol):
    """Where the answers come from (files, Sheets, Forms): every sheet asked for, read as it stands now."""

    def read_many(self, sources: Sequence[Source]) -> dict[str, Table]:
        """Each source's table, keyed by source id; a batch read where the backend has one."""
        ...


@dataclass(frozen=True)
class OneByOne:
    """A one-source reader as a RowSource: right for files and the Forms API, which have no batch read."""

    read: Callable[[Source], Table]

    def read_many(self, sources: Sequence[Source]) -> dict[str, Table]:
        """Reads the sources one after the other."""
        return {source.id: self.read(source) for source in sources}


# --- Documents -------------------------------------------------------------------------------------------------

#: Keys every report context has (thidua.reports.build_context); a template may use these and nothing else.
CONTEXT_KEYS: frozenset[str] = frozenset({
    "governing_body", "school_header", "school_name", "number", "place_date", "kind_label", "title",
    "deadline_id", "due_before", "signer_title", "signer_name", "recipients", "intro", "kind", "tables",
    "charts", "numbers", "flags",
})
#: The annex workbook is written beside its report under the report's name and this suffix, by every builder.
ANNEX_SUFFIX = "_phu_luc.xlsx"


@dataclass(frozen=True)
class BuiltReport:
    """The files of one rendered report; `pdf` is None when no converter is available, `annex` when none was
    written. `docx` is the clerk's editable copy: a DOCX, or an Internet shortcut (`.url`) to the Google Doc when
    the Google builder does not export DOCX."""

    docx: Path
    pdf: Path | None
    annex: Path | None = None


class DocumentError(Exception):
    """A report could not be produced as a file; the message says why, in Vietnamese, for the clerk."""


class OutputFullError(Exception):
    """A file of the run could not be written because the disk is full (or the file-size limit was reached).

    Said in Vietnamese with the file's name; what the step was writing is left as it was before (nothing
    half-written: connectors/writing.py), so the run can simply be started again once space is freed."""

    def __init__(self, path: Path | str, what: str = "tệp") -> None:
        super().__init__(f"Ổ đĩa đã đầy khi ghi {what} «{path}»: tệp chưa được ghi (không để lại tệp dở dang). "
                         "Hãy giải phóng dung lượng (hoặc chọn thư mục kết quả khác) rồi chạy lại; sổ gửi thư và "
                         "hộp thư đã gửi được đối chiếu nên không có thư nào bị gửi hai lần.")
        self.path = Path(path)


class TemplateError(DocumentError):
    """A template is broken or uses a placeholder the report context does not provide."""

    def __init__(self, template: Path, message: str, placeholders: Sequence[str] = ()) -> None:
        super().__init__(f'Mẫu báo cáo "{template.name}": {message}')
        self.template = template
        self.placeholders = tuple(placeholders)


class DocumentBuilder(Protocol):
    """Turns a report's context into files (DOCX, PDF, annex) on disk, whatever renders them."""

    def build(self, template_name: str, context: dict[str, Any], basename: str) -> BuiltReport:
        """Renders `template_name` with `context` into files named after `basename`."""
        ...

# --- Delivery ------------------------------------------------------------------------------------------------


class Mailer(Protocol):
    """Hands a finished email to a mail system; returns only once the system has accepted it.

    Raises NeverSent when the message provably did not reach the system; any other error means "maybe sent".
    """

    def send(self, message: EmailMessage) -> None:
        """Hand `message` over; return once the mail system accepted it."""
        ...


class NeverSent(Exception):
    """The mail system never received the message (refused before the data went out, or the wait for quota
    failed), so the delivery's claim can be dropped and the send retried at once rather than after staleness."""


class PartlyRefused(Exception):
    """The mail system took the message for some recipients and refused `refused`: it HAS left, so it is
    recorded as sent to the others and never sent again; the refused ones are a failed delivery."""

    refused: tuple[str, ...] = ()


@dataclass(frozen=True, order=True)
class DeliveryKey:
    """One report delivery: a school's report for a deadline, in a given version (2+ replaces an earlier one)."""

    school_id: str
    deadline_id: str
    version: int


class DeliveryState(enum.StrEnum):
    """`pending` is written before sending and means "maybe sent"; `sent` means the mail system accepted it."""

    PENDING = "pending"
    SENT = "sent"


@dataclass(frozen=True)
class DeliveryRecord:
    """What the ledger knows about one delivery.

    `attempt` counts who has held the right to send (1 for the first begin, +1 per reclaim). `owned` is not
    stored: it is True only on the record returned to the one caller that just won that right.
    """

    key: DeliveryKey
    message_id: str
    recipients: tuple[str, ...]
    state: DeliveryState
    begun_at: datetime
    sent_at: datetime | None
    attempt: int
    owned: bool = False

    @property
    def version(self) -> int:
        """The report version this record delivers (1, or 2+ for a replacement)."""
        return self.key.version


class Ledger(Protocol):
    """The delivery record that makes sending a report exactly-once, across crashes and racing processes."""

    def begin(self, key: DeliveryKey, message_id: str, recipients: tuple[str, ...]) -> DeliveryRecord:
        """Record `pending` before sending. Idempotent: an existing record is returned as is, with owned=False."""
        ...

    def reclaim(self, key: DeliveryKey, attempt: int) -> DeliveryRecord:
        """Take over a stale `pending` record seen at `attempt`; owned=True only for the one caller that wins."""
        ...

    def mark_sent(self, key: DeliveryKey, sent_at: datetime,
                  recipients: tuple[str, ...] | None = None) -> DeliveryRecord:
        """Record that the mail system accepted the message (for `recipients` only, when it refused some).
        Idempotent: the first sent_at is kept."""
        ...

    def release(self, key: DeliveryKey, attempt: int) -> None:
        """Drop the `pending` record held at `attempt` (the send never started); a later claim or a `sent`
        record is left alone."""
        ...

    def get(self, key: DeliveryKey) -> DeliveryRecord | None:
        """The record of one delivery, if any."""
        ...

    def all(self) -> list[DeliveryRecord]:
        """Every record, ordered by school, deadline and version."""
        ...

    def history(self, school_id: str, deadline_id: str) -> list[DeliveryRecord]:
        """Every version of one school's report for one deadline, oldest version first."""
        ...

    def approve(self, key: DeliveryKey, report: Path, sha256: str, approved_by: str, comment: str = "") -> Approval:
        """Record the principal's approval of `report`; the first approval of a version stands."""
        ...

    def approval(self, key: DeliveryKey) -> Approval | None:
        """The approval of one version, if given."""
        ...

    def take_number(self, key: DeliveryKey, year: int, symbol: str) -> DocumentNumber:
        """The report version's number in the school's register of outgoing documents for `year` and `symbol`:
        the next one the first time (no two callers ever get the same), the same one after."""
        ...

    def number_of(self, key: DeliveryKey) -> DocumentNumber | None:
        """The number taken for one report version, if any."""
        ...


@dataclass(frozen=True)
class DocumentNumber:
    """One entry of the register of outgoing documents (sổ đăng ký văn bản đi): a number never reused."""

    key: DeliveryKey
    year: int
    symbol: str  # "BC-LAX"
    number: int  # from 1 each year
    taken_at: datetime


@dataclass(frozen=True)
class Approval:
    """The principal's approval of one report version: the exact file (by digest) that may be sent."""

    key: DeliveryKey
    report: Path
    sha256: str
    approved_by: str
    approved_at: datetime
    comment: str


class Outbox(Protocol):
    """Where a sent report can be found again by its Message-ID, after a crash."""

    def sent_ids(self, message_id: str) -> set[str]:
        """`{message_id}` if the mail system holds that message, else the empty set."""
        ...


class ReplyInbox(Protocol):
    """Where answers to a sent email arrive: how the principal's emailed decision on a draft is read."""

    def replies(self, message_id: str) -> list[EmailReply]:
        """Every message in the conversation of the sent message `message_id`, other than that message itself."""
        ...


# --- A backend: one of each role --------------------------------------------------------------------------------


def _no_calls() -> int:
    return 0


def _always() -> bool:
    return True


@dataclass
class Backend:
    """The four roles a deadline run needs, from one backend; `api_calls` counts remote calls where it can, and
    `sources_ready` says whether there is anything to read yet (a school's data folder may not exist)."""

    source: RowSource
    documents: DocumentBuilder
    mailer: Mailer
    outbox: Outbox
    api_calls: Callable[[], int] = field(default=_no_calls)
    sources_ready: Callable[[], bool] = field(default=_always)
    replies: ReplyInbox | None = None
