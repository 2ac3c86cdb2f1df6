"""A district of schools: variants of one school's plan, and the one-page roll-up for the district office.

Every school of a district has the same deadlines on the same days; what differs is the school itself (name,
symbol, signer, mail domain) and its teams. Variants are deterministic, so a demo or benchmark of N schools is
the same N schools every time.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from thidua.aggregate import Dataset
from thidua.delivery_state import arrived_late
from thidua.plan import Plan, ReportKind, School, Team
from thidua.reports import vn_number
from thidua.text import fold

# Names borne by lower-secondary schools across Hồ Chí Minh City; a variant takes one, numbered when reused.
SCHOOL_NAMES = (
    "Hoàng Diệu", "Đặng Trần Côn", "Phan Bội Châu", "Tân Thới Hòa", "Võ Thành Trang", "Nguyễn Huệ", "Hùng Vương",
    "Lê Lợi", "Trần Quang Khải", "Lê Lai", "Đồng Khởi", "Nguyễn Trãi", "Quang Trung", "Lý Thường Kiệt",
    "Trần Hưng Đạo", "Chu Văn An", "Nguyễn Du", "Võ Trường Toản", "Hồng Bàng", "Ngô Sĩ Liên",
)
SIGNERS = ("Nguyễn Thị Hồng", "Trần Văn Minh", "Lê Thị Thu Hà", "Phạm Quốc Bảo", "Võ Thị Ngọc Lan", "Đỗ Văn Hùng")
# Small schools run Tin học – Công nghệ inside Toán, and Lịch sử – Địa lý inside Ngữ văn.
MERGES = (("tin-cong-nghe", "toan"), ("su-dia", "ngu-van"))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def _symbol(name: str) -> str:
    return "".join(word[0] for word in fold(name).split()).upper()


def _merged_teams(teams: Sequence[Team], merges: Sequence[tuple[str, str]]) -> tuple[Team, ...]:
    """Folds merged teams into their host, keeping the host's place and adding the old names as aliases."""
    absorbed = dict(merges)
    extra_aliases: dict[str, list[str]] = {}
    for team in teams:
        if team.id in absorbed:
            extra_aliases.setdefault(absorbed[team.id], []).extend([team.name, *team.aliases])
    return tuple(t.model_copy(update={"aliases": (*t.aliases, *extra_aliases.get(t.id, []))})
                 for t in teams if t.id not in absorbed)


def school_variants(base: Plan, count: int, seed: int = 0) -> list[Plan]:
    """`count` schools of the base plan's district, the base school first."""
    rng = random.Random(seed)
    plans = [base]
    for index in range(1, count):
        name = SCHOOL_NAMES[(index - 1) % len(SCHOOL_NAMES)]
        if index > len(SCHOOL_NAMES):
            name = f"{name} {index // len(SCHOOL_NAMES) + 1}"
        slug = _slug(name)
        domain = f"thcs-{slug}.example.edu.vn"
        merges = [m for m in MERGES if rng.random() < 0.4]
        school = School(name=f"Trường Trung học cơ sở {name}", header_name=f"TRƯỜNG THCS {name.upper()}",
                        governing_body=base.school.governing_body, symbol=_symbol(name), place=base.school.place,
                        email_domain=domain)
        teams = tuple(t.model_copy(update={"head_email": f"tt.{t.id}@{domain}"})
                      for t in _merged_teams(base.teams, merges))
        sender = f"vanthu@{domain}"
        plans.append(base.model_copy(update={
            "id": f"{slug}-{base.year}",
            "school": school,
            "plan_document": base.plan_document.model_copy(update={"number": f"{index + 10}/KH-{school.symbol}"}),
            "signer": base.signer.model_copy(update={"name": SIGNERS[rng.randrange(len(SIGNERS))],
                                                     "email": f"hieutruong@{domain}"}),
            "clerk": base.clerk.model_copy(update={"email": sender}),
            "delivery": base.delivery.model_copy(update={"sender": sender, "sender_name": f"Trường THCS {name}"}),
            "teams": teams,
            "team_aliases": {k: v for k, v in base.team_aliases.items() if any(t.id == v for t in teams)},
            "google": None,
        }))
    return [Plan.model_validate(p.model_dump()) for p in plans]  # model_copy skips the plan's own checks


def title_counts(kind: ReportKind, data: Dataset) -> dict[str, int]:
    """What a school's report counts as its titles: proposals at the council (bình xét), registrations otherwise.

    Individual titles come from one person's latest answer each, collective ones from one team's, as the
    dataset already holds them deduplicated.
    """
    counts: dict[str, int] = {}
    individual = ([e.proposed_title_id for e in data.evaluations] if kind is ReportKind.EVALUATION
                  else [r.title_id for r in data.registrations])
    for title_id in [*individual, *(c.title_id for c in data.collective)]:
        if title_id:
            counts[title_id] = counts.get(title_id, 0) + 1
    return counts


@dataclass(frozen=True)
class SchoolDelivery:
    """What the district office needs to know of one school's report for one deadline."""

    school_id: str
    school_name: str
    deadline_id: str
    must_arrive_by: dt.datetime
    sent_at: dt.datetime | None
    titles: dict[str, int]

    @property
    def late(self) -> bool:
        """Arrived after it had to, or not at all (thidua.delivery_state decides)."""
        return arrived_late(self.sent_at, self.must_arrive_by)


def district_rollup(plan: Plan, deadline_id: str, deliveries: Sequence[SchoolDelivery]) -> dict[str, Any]:
    """The one-page summary: which schools delivered and when, late or on time, and the district's title counts."""
    deadline = plan.deadline(deadline_id)
    rows = [d for d in deliveries if d.deadline_id == deadline_id]
    rows.sort(key=lambda d: (d.sent_at is None, d.sent_at or d.must_arrive_by, d.school_name))
    titles = {t.id: t.name for t in plan.all_titles}
    order = {t.id: index for index, t in enumerate(plan.all_titles)}
    totals: dict[str, int] = {}
    for delivery in rows:
        for title_id, count in delivery.titles.items():
            totals[title_id] = totals.get(title_id, 0) + count
    return {
        "deadline_id": deadline_id,
        "title": deadline.title,
        "due_before": deadline.due_before.strftime("%d/%m/%Y"),
        "schools": len(rows),
        "delivered": sum(1 for d in rows if d.sent_at is not None),
        "on_time": sum(1 for d in rows if not d.late),
        "table": {
            "caption": f"Tình hình gửi báo cáo «{deadline.title}» (hạn trước {deadline.due_before:%d/%m/%Y})",
            "headers": ["Trường", "Đã gửi lúc", "Tình trạng"],
            "rows": [[d.school_name, f"{d.sent_at:%H:%M %d/%m/%Y}" if d.sent_at else "Chưa gửi",
                      "Trễ hạn" if d.late else "Đúng hạn"] for d in rows],
        },
        "titles": {
            "caption": "Số danh hiệu toàn quận",
            "headers": ["Danh hiệu", "Số lượng"],
            "rows": [[titles.get(t, t), vn_number(n)]
                     for t, n in sorted(totals.items(), key=lambda kv: order.get(kv[0], len(order)))],
        },
    }


def rollup_text(rollup: dict[str, Any], office: str) -> tuple[str, str]:
    """The roll-up as an email's subject and plain-text body: one page, read on a phone as well as printed."""
    late = rollup["schools"] - rollup["on_time"]
    subject = f"Tổng hợp báo cáo «{rollup['title']}»: {rollup['delivered']}/{rollup['schools']} trường đã gửi"
    lines = [
        f"Kính gửi {office},",
        "",
        f"Tình hình gửi báo cáo «{rollup['title']}» (hạn trước ngày {rollup['due_before']}): "
        f"{rollup['delivered']}/{rollup['schools']} trường đã gửi, {rollup['on_time']} đúng hạn, {late} trễ hạn "
        "hoặc chưa gửi.",
        "",
        *(f"{number}. {school} — {sent_at} — {state}"
          for number, (school, sent_at, state) in enumerate(rollup["table"]["rows"], start=1)),
        "",
        f"{rollup['titles']['caption']}:",
        *(f"- {title}: {count}" for title, count in rollup["titles"]["rows"]),
        "",
        "Thư này do hệ thống thidua lập tự động từ sổ gửi báo cáo của các trường.",
    ]
    return subject, "\n".join(lines) + "\n"
