"""Who has not answered yet, and the reminders they and their team heads get.

The roster minus those who have submitted the form a deadline's report needs: each person who has not gets a
reminder, each team head gets the team's list. Only addresses from the roster and the plan's team heads can be
reached, whatever the sheets say.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage

from thidua.aggregate import Dataset
from thidua.mail import format_vietnamese_date
from thidua.notices import build_notice, notice_message_id, notice_tag
from thidua.plan import Deadline, Plan, ReportKind, SourceKind
from thidua.records import StaffMember

# The form each person (individual) or each team head (collective) must have answered for a report kind.
INDIVIDUAL_FORM: Mapping[ReportKind, SourceKind] = {
    ReportKind.REGISTRATION: SourceKind.INDIVIDUAL_REGISTRATION,
    ReportKind.INTERIM: SourceKind.ACHIEVEMENT,
    ReportKind.ANNUAL: SourceKind.ACHIEVEMENT,
}
TEAM_FORM: Mapping[ReportKind, SourceKind] = {
    ReportKind.REGISTRATION: SourceKind.COLLECTIVE_REGISTRATION,
    ReportKind.EXEMPLARS: SourceKind.EXEMPLAR,
}


def has_reminders(deadline: Deadline) -> bool:
    """The evaluation is entered by the council, not by teachers: nobody to remind for it."""
    return deadline.kind in INDIVIDUAL_FORM or deadline.kind in TEAM_FORM


@dataclass(frozen=True)
class Missing:
    """Who still owes an answer for one deadline: people (from the roster) and teams (team-level forms)."""

    deadline_id: str
    people: tuple[StaffMember, ...]
    teams: tuple[str, ...]

    def people_of(self, team_id: str) -> tuple[StaffMember, ...]:
        """The people of one team who still owe an answer, for the team head's reminder."""
        return tuple(p for p in self.people if p.team_id == team_id)

    @property
    def count(self) -> int:
        """How many answers are still owed, people and teams together."""
        return len(self.people) + len(self.teams)


def missing(plan: Plan, deadline: Deadline, dataset: Dataset) -> Missing:
    """The roster minus those who answered (latest answers only; a later deadline's form does not count)."""
    answered: set[str] = set()
    if deadline.kind is ReportKind.REGISTRATION:
        answered = {r.email.casefold() for r in dataset.registrations}
    elif deadline.kind in INDIVIDUAL_FORM:
        answered = {a.email.casefold() for a in dataset.achievements if a.phase_id == deadline.phase}
    people: tuple[StaffMember, ...] = ()
    if deadline.kind in INDIVIDUAL_FORM:
        people = tuple(s for s in dataset.staff if s.email.casefold() not in answered)
    teams_done: set[str] = set()
    if deadline.kind is ReportKind.REGISTRATION:
        teams_done = {c.team_id for c in dataset.collective}
    elif deadline.kind is ReportKind.EXEMPLARS:
        teams_done = {e.team_id for e in dataset.exemplars if e.quarter == deadline.quarter}
    teams = tuple(t.id for t in plan.teams if t.id not in teams_done) if deadline.kind in TEAM_FORM else ()
    return Missing(deadline.id, people, teams)


def reminder_allow_list(plan: Plan, dataset: Dataset) -> frozenset[str]:
    """Roster and team heads: the only people a reminder may reach."""
    return frozenset({s.email.casefold() for s in dataset.staff} | {t.head_email.casefold() for t in plan.teams
                                                                     if t.head_email})


def reminder_purpose(deadline: Deadline, days_before: int, *, team_list: bool = False) -> str:
    """The ledger purpose of a reminder, unique per deadline and day, so a reminder is sent once even if its run
    repeats; a team head's list of the team's missing has its own ("…-to"), or for a head who has not answered
    either it would share the head's own reminder's identity and be taken for already sent."""
    return f"{deadline.id}-nhac{days_before}" + ("-to" if team_list else "")


@dataclass(frozen=True)
class Reminder:
    """One reminder and its identity in the ledger (also its Message-ID's), so a re-run sends it at most once."""

    tag: str
    message: EmailMessage


def reminder_emails(plan: Plan, deadline: Deadline, found: Missing, dataset: Dataset, *, days_before: int,
                    form_names: Mapping[SourceKind, str], now: dt.datetime) -> list[Reminder]:
    """One email to each person missing, one to each head of a team with anything missing (a head who has not
    answered either gets both)."""
    allow = reminder_allow_list(plan, dataset)
    due = f"trước {format_vietnamese_date(deadline.due_before)}"

    def notice(purpose: str, to: str, subject: str, body: str) -> Reminder:
        return Reminder(notice_tag(purpose, to), build_notice(
            sender=plan.delivery.sender, sender_name=plan.delivery.sender_name, recipients=[to], allow_list=allow,
            subject=subject, body=body, header_date=now,
            message_id=notice_message_id(plan.id, purpose, to, plan.school.email_domain),
        ))

    emails: list[Reminder] = []
    individual_form = form_names.get(INDIVIDUAL_FORM[deadline.kind], "") if deadline.kind in INDIVIDUAL_FORM else ""
    for person in found.people:
        emails.append(notice(
            reminder_purpose(deadline, days_before),
            person.email,
            f"[{plan.school.name}] Nhắc nộp: {individual_form}",
            f"Kính gửi {person.full_name},\n\n"
            f"Thầy/cô chưa gửi biểu mẫu «{individual_form}» cho báo cáo «{deadline.title}» (hạn gửi báo cáo {due}). "
            "Kính đề nghị thầy/cô hoàn thành biểu mẫu sớm.\n\n"
            f"Trân trọng,\n{plan.clerk.name}\n",
        ))
    team_form = form_names.get(TEAM_FORM[deadline.kind], "") if deadline.kind in TEAM_FORM else ""
    for team in plan.teams:
        people = found.people_of(team.id)
        if not team.head_email or not (people or team.id in found.teams):
            continue
        lines = []
        if team.id in found.teams:
            lines.append(f"Tổ chưa gửi biểu mẫu «{team_form}».")
        if people:
            lines.append(f"Thành viên chưa gửi biểu mẫu «{individual_form}» ({len(people)} người):")
            lines.extend(f"  - {p.full_name} <{p.email}>" for p in sorted(people, key=lambda p: p.full_name))
        emails.append(notice(
            reminder_purpose(deadline, days_before, team_list=True),
            team.head_email,
            f"[{plan.school.name}] Tổ {team.name}: danh sách chưa nộp cho báo cáo {deadline.id}",
            f"Kính gửi Tổ trưởng tổ {team.name},\n\n"
            f"Cho báo cáo «{deadline.title}» (hạn gửi {due}):\n" + "\n".join(lines)
            + "\n\nKính đề nghị tổ trưởng nhắc các thành viên hoàn thành sớm.\n\n"
            f"Trân trọng,\n{plan.clerk.name}\n",
        ))
    return emails
