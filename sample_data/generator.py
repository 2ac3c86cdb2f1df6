"""Realistic, messy sample data for a plan's sources: what a school's Google Forms exports look like.

Demos, tests and the Workspace emulator need a school year's worth of answers without real teachers' data.
The generator is deterministic (same plan, seed and size give identical grids) and pure: it returns grids and
writes nothing. It makes two kinds of mess on purpose: noise a careful normaliser must repair (hand-typed team
names, NFD cells, stray spaces, mixed-case emails), and a few truly unusable rows, listed in
`SampleData.expected_rejects` so tests can check that exactly those are rejected.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from thidua.plan import Plan, ReportKind, Source, SourceKind, Team
from thidua.text import fold


@dataclass(frozen=True)
class SampleData:
    """Each source's sheet as a grid (header row first, keyed by source id) and the rows made unusable on purpose.

    `expected_rejects[source_id][row_number]` is a short machine code of why the row is unusable; row numbers are
    the sheet's own (header is row 1). Messiness a normaliser must repair is never listed there.
    """

    grids: dict[str, list[list[str]]]
    expected_rejects: dict[str, dict[int, str]]


# --- Vietnamese names ---------------------------------------------------------------------------------------

_FAMILY_NAMES: tuple[tuple[str, int], ...] = (
    ("Nguyễn", 30), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 5), ("Phan", 4), ("Vũ", 4),
    ("Võ", 4), ("Đặng", 3), ("Bùi", 3), ("Đỗ", 3), ("Hồ", 2), ("Ngô", 2), ("Dương", 2), ("Lý", 1),
)
_MIDDLE_FEMALE = ("Thị", "Thị", "Thị", "Ngọc", "Thanh", "Thu", "Kim", "Mỹ", "Hồng", "Minh")
_MIDDLE_MALE = ("Văn", "Văn", "Minh", "Hoàng", "Quốc", "Đức", "Thanh", "Ngọc", "Hữu")
_SECOND_MIDDLE_FEMALE = ("Ngọc", "Thu", "Bích", "Thanh", "Kim")
_GIVEN_FEMALE = (
    "Anh", "Châu", "Hạnh", "Hương", "Lan", "Linh", "Mai", "Ngân", "Thảo", "Trang", "Uyên", "Yến", "Hằng",
    "Nhung", "Phương", "Thủy", "Vy", "Diễm", "Loan", "Nhi",
)
_GIVEN_MALE = (
    "Bình", "Dũng", "Khoa", "Nam", "Phúc", "Quân", "Tuấn", "Hùng", "Long", "Sơn", "Thắng", "Tâm", "Hải",
    "Khang", "Anh", "Trí",
)

# --- What teachers write ---------------------------------------------------------------------------------------

# Relative team sizes by folded team name: core subjects have more teachers; the office is small.
_TEAM_WEIGHTS = {"ngu van": 14, "toan": 14, "khoa hoc tu nhien": 12, "ngoai ngu": 11}
_DEFAULT_TEAM_WEIGHT = 8
# Below this a team cannot hold a head, a registrant and the deliberate faults at once.
MIN_PER_TEAM = 4
_OFFICE_TEAM_WEIGHT = 6

# The school subject each team teaches, for initiative and achievement texts; office teams have none.
_SUBJECTS = {
    "ngu van": "Ngữ văn", "toan": "Toán", "ngoai ngu": "Tiếng Anh", "khoa hoc tu nhien": "Khoa học tự nhiên",
    "lich su dia ly": "Lịch sử và Địa lí", "tin hoc cong nghe": "Tin học",
    "giao duc the chat nghe thuat": "Giáo dục thể chất",
}

_TEACHING_INITIATIVES = (
    "Một số biện pháp nâng cao hiệu quả dạy học môn {subject} lớp {grade}",
    "Ứng dụng công nghệ thông tin trong dạy học môn {subject} lớp {grade}",
    "Vận dụng phương pháp dạy học dự án trong môn {subject} lớp {grade}",
    "Thiết kế hoạt động trải nghiệm gắn với bài học môn {subject} lớp {grade}",
    "Sử dụng sơ đồ tư duy giúp học sinh lớp {grade} ôn tập môn {subject}",
    "Kinh nghiệm bồi dưỡng học sinh giỏi môn {subject} cấp quận",
    "Một số giải pháp giúp học sinh lớp {grade} học yếu môn {subject} tiến bộ",
)
_OFFICE_INITIATIVES = (
    "Số hóa hồ sơ lưu trữ văn thư bằng Google Drive",
    "Ứng dụng bảng tính trực tuyến trong quản lý thiết bị dạy học",
    "Một số giải pháp nâng cao hiệu quả hoạt động thư viện trường học",
    "Quản lý hồ sơ học sinh trên cơ sở dữ liệu ngành",
)
_TEACHING_ACHIEVEMENTS = (
    "Có {n} học sinh đạt giải trong kỳ thi học sinh giỏi môn {subject} cấp quận",
    "Dạy {n} tiết thao giảng, chuyên đề môn {subject} được tổ đánh giá tốt",
    "Hướng dẫn học sinh đạt giải Ba cuộc thi Khoa học kỹ thuật cấp quận",
    "Tham gia hội thi giáo viên dạy giỏi cấp trường, xếp loại Giỏi",
    "Chủ nhiệm lớp {grade}A{n} đạt danh hiệu lớp xuất sắc học kỳ I",
    "Hoàn thành chương trình bồi dưỡng thường xuyên, xếp loại Tốt",
    "Xây dựng {n} bài giảng điện tử môn {subject}, đưa lên kho học liệu của trường",
    "Tổ chức ngoại khóa môn {subject} cho học sinh khối {grade}",
)
_OFFICE_ACHIEVEMENTS = (
    "Hoàn thành số hóa {n}0 hồ sơ lưu trữ năm học 2023–2024",
    "Không để xảy ra sai sót trong công tác tài chính, kế toán",
    "Hỗ trợ tổ chức {n} hội nghị, chuyên đề của trường",
    "Kiểm kê, sắp xếp thiết bị dạy học khoa học, đúng hạn",
)
_EXEMPLAR_SUMMARIES = (
    "Nhiệt tình, trách nhiệm; có học sinh đạt giải cấp quận môn {subject}",
    "Tích cực đổi mới phương pháp, ứng dụng chuyển đổi số trong dạy học",
    "Gương mẫu trong công tác chủ nhiệm, giúp đỡ học sinh có hoàn cảnh khó khăn",
    "Tích cực tham gia phong trào xây dựng trường học hạnh phúc",
    "Luôn hỗ trợ đồng nghiệp, hoàn thành xuất sắc nhiệm vụ được giao",
)
_PLEDGES = (
    "Thực hiện nghiêm túc chương trình, kế hoạch giáo dục của nhà trường",
    "100% thành viên hoàn thành nhiệm vụ, không vi phạm đạo đức nhà giáo",
    "Tích cực ứng dụng công nghệ thông tin, chuyển đổi số trong dạy học",
    "Mỗi thành viên dạy ít nhất 2 tiết thao giảng, chuyên đề mỗi học kỳ",
    "Phấn đấu có học sinh đạt giải học sinh giỏi cấp quận",
    "Xây dựng tập thể đoàn kết, hỗ trợ nhau cùng tiến bộ",
    "Thực hiện tốt văn hóa công sở, quy tắc ứng xử trong trường học",
    "Không có thành viên vi phạm pháp luật, kỷ luật lao động",
)
_INITIATIVE_FIELDS = (
    "Đổi mới phương pháp dạy học", "Ứng dụng công nghệ thông tin", "Công tác chủ nhiệm", "Quản lý",
    "Giáo dục kỹ năng sống",
)
_INITIATIVE_SCOPES = ("Tổ chuyên môn", "Toàn trường", "Toàn trường", "Cấp quận")
_INITIATIVE_EFFECTS = (
    "Tỷ lệ học sinh đạt điểm khá, giỏi tăng {n}% so với năm học trước",
    "Học sinh hứng thú hơn, tích cực tham gia xây dựng bài",
    "Giảm khoảng {n}% thời gian xử lý hồ sơ, tra cứu nhanh",
    "Được tổ chuyên môn áp dụng rộng rãi, đồng nghiệp đánh giá cao",
)

RECOGNISED = "Được công nhận"
NOT_RECOGNISED = "Không công nhận"
EXCELLENT = "Hoàn thành xuất sắc nhiệm vụ"
GOOD = "Hoàn thành tốt nhiệm vụ"
COMPLETED = "Hoàn thành nhiệm vụ"
NOT_COMPLETED = "Không hoàn thành nhiệm vụ"
NO_DISCIPLINE = "Không"
REPRIMAND = "Khiển trách"
_ROMAN_QUARTERS = ("I", "II", "III", "IV")

# The deliberately unusable answers, as a teacher or a careless edit would produce them.
AMBIGUOUS_TEAM = "Toán-Tin"
UNKNOWN_TEAM = "Tổ Hóa"
FORMULA_NAME = '=HYPERLINK("http://x";"Lan")'
UNKNOWN_TITLE = "Giáo viên dạy giỏi"
BAD_TIMESTAMP = "31/2/2024 9:15:00"
BAD_MONTHS = "mười hai"


# --- People ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
    full_name: str
    email: str
    team: Team
    position: str
    start_date: dt.date

    @property
    def is_head(self) -> bool:
        return self.position == "Tổ trưởng"


@dataclass
class _Row:
    """One submission before it is placed in a sheet; `reject` is the code when made unusable on purpose."""

    when: dt.datetime
    values: dict[str, str]
    reject: str = ""


@dataclass
class _Rows:
    rows: list[_Row] = field(default_factory=list)
    blank_rows: int = 0


def _strip_marks(text: str) -> str:
    """What a teacher typing without a Vietnamese keyboard writes: no diacritics, case kept."""
    decomposed = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def _timestamp(moment: dt.datetime) -> str:
    """Google Sheets' display of a Forms timestamp in the Vietnamese locale, e.g. 13/3/2024 8:05:09."""
    return f"{moment.day}/{moment.month}/{moment.year} {moment.hour}:{moment.minute:02d}:{moment.second:02d}"


def _moment(rng: random.Random, first: dt.date, last: dt.date) -> dt.datetime:
    day = first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))
    return dt.datetime.combine(day, dt.time(rng.randint(6, 22), rng.randint(0, 59), rng.randint(0, 59)))


def _subject(team: Team) -> str:
    return _SUBJECTS.get(fold(team.name), team.name)


def _is_office(team: Team) -> bool:
    return team.kind == "van_phong"


class _Noise:
    """Hand-typing noise a careful normaliser must undo; it never makes a row unusable."""

    def __init__(self, rng: random.Random, *, name: float = 0.15, email: float = 0.15, team: float = 0.35,
                 text: float = 0.1) -> None:
        self._rng = rng
        self._rates = {"name": name, "email": email, "team": team, "text": text}

    def _noisy(self, kind: str) -> bool:
        return self._rng.random() < self._rates[kind]

    def name(self, name: str) -> str:
        if not self._noisy("name"):
            return name
        variants = (f" {name}", f"{name} ", name.replace(" ", "  ", 1), name.upper(), name.lower(), _nfd(name))
        return self._rng.choice(variants)

    def email(self, email: str) -> str:
        if not self._noisy("email"):
            return email
        local, _, domain = email.partition("@")
        variants = (f" {email} ", email.upper(), f"{local[:1].upper()}{local[1:]}@{domain.upper()}", f"{email} ")
        return self._rng.choice(variants)

    def team(self, team: Team) -> str:
        if not self._noisy("team"):
            return team.name
        plain = _strip_marks(team.name).replace("–", "-")
        variants = (
            plain, f"To {plain}", plain.lower(), f"tổ {team.name.lower()} ", f"  {team.name}", team.name.upper(),
            _nfd(team.name), *team.aliases,
        )
        return self._rng.choice(variants)

    def text(self, text: str) -> str:
        return _nfd(text) if self._noisy("text") else text


def _team_sizes(teams: Sequence[Team], staff: int) -> list[int]:
    """Spreads `staff` over the teams by weight (largest remainder), at least one person (the head) each."""
    weights = [
        _OFFICE_TEAM_WEIGHT if _is_office(t) else _TEAM_WEIGHTS.get(fold(t.name), _DEFAULT_TEAM_WEIGHT)
        for t in teams
    ]
    spare = staff - len(teams)
    shares = [spare * w / sum(weights) for w in weights]
    sizes = [1 + int(s) for s in shares]
    by_remainder = sorted(range(len(teams)), key=lambda i: (-(shares[i] - int(shares[i])), i))
    for i in by_remainder[: staff - sum(sizes)]:
        sizes[i] += 1
    return sizes


class _Names:
    """Unique realistic full names, so a nominee typed by full name points at one person."""

    def __init__(self, rng: random.Random, taken: Sequence[str] = ()) -> None:
        self._rng = rng
        self._taken = set(taken)
        self._family = [f for f, _ in _FAMILY_NAMES]
        self._family_weights = [w for _, w in _FAMILY_NAMES]

    def new(self) -> str:
        while True:
            family = self._rng.choices(self._family, self._family_weights)[0]
            if self._rng.random() < 0.7:
                middle = self._rng.choice(_MIDDLE_FEMALE)
                if self._rng.random() < 0.2:
                    middle = f"{middle} {self._rng.choice(_SECOND_MIDDLE_FEMALE)}"
                given = self._rng.choice(_GIVEN_FEMALE)
            else:
                middle, given = self._rng.choice(_MIDDLE_MALE), self._rng.choice(_GIVEN_MALE)
            name = f"{family} {middle} {given}"
            if name not in self._taken and middle.split()[-1] != given:
                self._taken.add(name)
                return name


def _staff(plan: Plan, staff: int, rng: random.Random) -> list[_Person]:
    """The roster: heads from the plan, the principal in the office team, everyone else generated."""
    if staff < MIN_PER_TEAM * len(plan.teams):
        raise ValueError(
            f"cần ít nhất {MIN_PER_TEAM * len(plan.teams)} người cho {len(plan.teams)} tổ, nhận {staff}"
        )
    names = _Names(rng, taken=[plan.signer.name])
    emails: set[str] = set()

    def email_for(name: str, team: Team) -> str:
        stem = f"{fold(name).replace(' ', '')}.{team.id.replace('-', '')}"
        candidate, n = stem, 1
        while f"{candidate}@{plan.school.email_domain}" in emails:
            n += 1
            candidate = f"{stem}{n}"
        return f"{candidate}@{plan.school.email_domain}"

    def start_date() -> dt.date:
        year = rng.randint(plan.year - 26, plan.year - 2)
        return dt.date(year, rng.choice((8, 8, 9, 9, 9, 10, 1)), rng.randint(1, 28))

    people: list[_Person] = []
    for team, size in zip(plan.teams, _team_sizes(plan.teams, staff), strict=True):
        members: list[tuple[str, str, str]] = []  # (full name, email, position)
        if team.head_email:
            members.append((names.new(), team.head_email, "Tổ trưởng"))
        if _is_office(team):
            members.append((plan.signer.name, plan.signer.email, "Hiệu trưởng"))
            members.append((names.new(), "", "Phó Hiệu trưởng"))
            members.append((names.new(), plan.clerk.email, "Nhân viên"))
        elif size >= 7:
            members.append((names.new(), "", "Tổ phó"))
        while len(members) < size:
            members.append((names.new(), "", "Nhân viên" if _is_office(team) else "Giáo viên"))
        for full_name, email, position in members[:size]:
            address = email or email_for(full_name, team)
            emails.add(address)
            people.append(_Person(full_name, address, team, position, start_date()))
    # Two recent hires, so "Số tháng công tác" is not always 12.
    newcomers = [i for i, p in enumerate(people) if p.position in ("Giáo viên", "Nhân viên")][-2:]
    hired = (dt.date(plan.year - 1, 8, 14), dt.date(plan.year - 1, 10, 2))
    for index, start in zip(newcomers, hired, strict=False):
        people[index] = dataclasses.replace(people[index], start_date=start)
    return people


def _months_worked(start: dt.date, year_end: dt.date) -> int:
    """Months in the school year ending `year_end` (a full year counts as 12)."""
    months = (year_end.year - start.year) * 12 + year_end.month - start.month
    return min(12, max(1, months))


def _initiative_name(rng: random.Random, team: Team) -> str:
    if _is_office(team):
        return rng.choice(_OFFICE_INITIATIVES)
    template = rng.choice(_TEACHING_INITIATIVES)
    return template.format(subject=_subject(team), grade=rng.randint(6, 9))


# --- Sources ----------------------------------------------------------------------------------------------------


@dataclass
class _Registrations:
    """F1 as submitted, plus each person's latest title (what later reports count) and initiative name."""

    rows: _Rows
    latest_title: dict[str, str]
    initiative: dict[str, str]


def _roster_rows(people: Sequence[_Person]) -> _Rows:
    return _Rows([
        _Row(dt.datetime.min, {
            "full_name": p.full_name, "email": p.email, "team": p.team.name, "position": p.position,
            "start_date": p.start_date.strftime("%d/%m/%Y"),
        })
        for p in people
    ])


def _registrations(plan: Plan, people: Sequence[_Person], rng: random.Random) -> _Registrations:
    """F1: most staff register once; some change their mind, two of them after the D1 report was sent."""
    noise = _Noise(rng)
    ldtt, cstdcs, cstd_city = (t.name for t in plan.titles.individual[:3])
    commendation = {
        ldtt: plan.commendations[0] if plan.commendations else "",
        cstdcs: plan.commendations[1] if len(plan.commendations) > 1 else "",
        cstd_city: plan.commendations[-1] if plan.commendations else "",
    }
    year = plan.year
    opens, closes = dt.date(year, 2, 1), dt.date(year, 3, 12)
    late_first, late_last = dt.date(year, 3, 14), dt.date(year, 4, 12)

    ordinary = [p for p in people if not p.is_head and p.position != "Hiệu trưởng"]
    never = rng.sample(ordinary, k=max(5, round(0.07 * len(people))))
    registrants = [p for p in people if p not in never]
    teachers = [p for p in registrants if not _is_office(p.team)]
    city = rng.sample(teachers, k=rng.choice((1, 2)))
    base_candidates = [p for p in registrants if p not in city]
    base = rng.sample(base_candidates, k=round(rng.uniform(0.17, 0.22) * len(registrants)))
    title_of = {p.email: (cstd_city if p in city else cstdcs if p in base else ldtt) for p in registrants}
    initiative = {p.email: _initiative_name(rng, p.team) for p in registrants if title_of[p.email] != ldtt}

    def row(person: _Person, when: dt.datetime, title: str, *, messy: bool = True) -> _Row:
        if title != ldtt and person.email not in initiative:
            initiative[person.email] = _initiative_name(rng, person.team)
        commended = commendation[title] if title != ldtt or rng.random() < 0.8 else ""
        return _Row(when, {
            "email": noise.email(person.email) if messy else person.email,
            "full_name": noise.name(person.full_name) if messy else person.full_name,
            "team": noise.team(person.team) if messy else person.team.name,
            "position": person.position, "title": title, "commendation": commended,
            "initiative": initiative.get(person.email, "") if title != ldtt else "",
        })

    # Early changes of mind: a first answer in February, then the one that counts, both before D1.
    changers = rng.sample([p for p in registrants if p not in city], k=4)
    rows: list[_Row] = []
    for person in registrants:
        if person in changers:
            first = _moment(rng, opens, dt.date(year, 2, 18))
            rows.append(row(person, first, cstdcs if title_of[person.email] == ldtt else ldtt))
            rows.append(row(person, _moment(rng, dt.date(year, 2, 20), closes), title_of[person.email]))
        else:
            rows.append(row(person, _moment(rng, opens, closes), title_of[person.email]))
    # Late changes after D1 was sent: one LĐTT who now aims for CSTĐ cơ sở, one CSTĐ cơ sở who steps back.
    late_up = rng.choice([p for p in registrants if title_of[p.email] == ldtt and p not in changers])
    late_down = rng.choice([p for p in base if p not in changers])
    for person, title in ((late_up, cstdcs), (late_down, ldtt)):
        rows.append(row(person, _moment(rng, late_first, late_last), title))
        title_of[person.email] = title

    # Unusable answers, each the only attempt of someone who then never registered properly.
    spoilers: tuple[tuple[str, dict[str, str]], ...] = (
        ("missing_email", {"email": ""}),
        ("unknown_team", {"team": AMBIGUOUS_TEAM}),
        ("formula", {"full_name": FORMULA_NAME}),
        ("unknown_title", {"title": UNKNOWN_TITLE, "commendation": "", "initiative": ""}),
    )
    for (code, spoiled), person in zip(spoilers, never, strict=False):
        bad = row(person, _moment(rng, opens, closes), ldtt, messy=False)
        bad.values.update(spoiled)
        bad.reject = code
        rows.append(bad)
    outsider = _Names(rng, taken=[p.full_name for p in people]).new()
    rows.append(_Row(_moment(rng, opens, closes), {
        "email": f"{fold(outsider).replace(' ', '')}{rng.randint(70, 99)}@gmail.com", "full_name": outsider,
        "team": plan.teams[0].name, "position": "Giáo viên", "title": ldtt, "commendation": "", "initiative": "",
    }, reject="unknown_email"))
    latest = {p.email: title_of[p.email] for p in registrants}
    return _Registrations(_Rows(rows, blank_rows=2), latest, initiative)


def _team_answer(head: _Person, when: dt.datetime, title: str, members: int, rng: random.Random,
                 noise: _Noise) -> _Row:
    pledges = "\n".join(f"- {p}" for p in rng.sample(_PLEDGES, k=rng.randint(3, 5)))
    return _Row(when, {
        "email": noise.email(head.email), "team": noise.team(head.team), "members": str(members), "title": title,
        "pledges": noise.text(pledges),
    })


def _collective_registrations(plan: Plan, people: Sequence[_Person], rng: random.Random) -> _Rows:
    """F2: every team head registers the team's title and pledges; a few correct it with a second answer."""
    noise = _Noise(rng)
    advanced, excellent = (t.name for t in plan.titles.collective[:2])
    heads = [p for p in people if p.is_head]
    excellent_teams = rng.sample(heads, k=max(1, round(0.35 * len(heads))))
    second_thoughts = rng.sample(heads, k=min(3, len(heads)))
    opens, closes = dt.date(plan.year, 2, 1), dt.date(plan.year, 3, 12)
    rows: list[_Row] = []
    for head in heads:
        members = sum(1 for p in people if p.team == head.team)
        title = excellent if head in excellent_teams else advanced
        if head in second_thoughts:
            first = _moment(rng, opens, dt.date(plan.year, 2, 15))
            rows.append(_team_answer(head, first, advanced, members - 1, rng, noise))
            final = _moment(rng, dt.date(plan.year, 2, 20), closes)
            rows.append(_team_answer(head, final, title, members, rng, noise))
        else:
            rows.append(_team_answer(head, _moment(rng, opens, closes), title, members, rng, noise))
    return _Rows(rows)


def _evidence_link(rng: random.Random) -> str:
    alphabet = string.ascii_letters + string.digits + "-_"
    return f"https://drive.google.com/file/d/1{''.join(rng.choices(alphabet, k=32))}/view?usp=sharing"


def _achievement_text(rng: random.Random, team: Team) -> str:
    if _is_office(team):
        return rng.choice(_OFFICE_ACHIEVEMENTS).format(n=rng.randint(2, 5))
    template = rng.choice(_TEACHING_ACHIEVEMENTS)
    return template.format(subject=_subject(team), n=rng.randint(2, 5), grade=rng.randint(6, 9))


def _achievement_row(plan: Plan, phase_name: str, person: _Person, when: dt.datetime, content: str,
                     rng: random.Random, noise: _Noise) -> _Row:
    return _Row(when, {
        "email": noise.email(person.email), "full_name": noise.name(person.full_name), "phase": phase_name,
        "team": noise.team(person.team), "movement": rng.choice(plan.movements), "content": noise.text(content),
        "evidence": _evidence_link(rng) if rng.random() < 0.8 else "",
    })


def _achievements(plan: Plan, people: Sequence[_Person], rng: random.Random) -> _Rows:
    """F3: in each phase most staff report one achievement; a few send a draft first and the full text later."""
    noise = _Noise(rng)
    rows: list[_Row] = []
    spoilable: list[_Row] = []  # first-phase single reports, so a spoiled row is not hidden by a resubmission
    for phase in plan.phases:
        first = max(phase.start, dt.date(plan.year, 2, 1))
        last = min(phase.end - dt.timedelta(days=1), dt.date(plan.year, 12, 10))
        reporters = rng.sample(list(people), k=round(0.65 * len(people)))
        for index, person in enumerate(reporters):
            content = _achievement_text(rng, person.team)
            if index < 3:
                draft_time = _moment(rng, first, first + (last - first) / 2)
                draft = content.split(",")[0]
                rows.append(_achievement_row(plan, phase.name, person, draft_time, draft, rng, noise))
                final_time = _moment(rng, draft_time.date() + dt.timedelta(days=1), last)
                rows.append(_achievement_row(plan, phase.name, person, final_time, content, rng, noise))
            else:
                when = _moment(rng, first, last)
                rows.append(_achievement_row(plan, phase.name, person, when, content, rng, noise))
                if phase == plan.phases[0]:
                    spoilable.append(rows[-1])
    mistyped, edited = rng.sample(spoilable, k=2)
    mistyped.values["team"], mistyped.reject = UNKNOWN_TEAM, "unknown_team"
    edited.values["timestamp"], edited.reject = BAD_TIMESTAMP, "bad_timestamp"
    return _Rows(rows, blank_rows=2)


def _exemplar_summary(rng: random.Random, team: Team) -> str:
    fitting = [s for s in _EXEMPLAR_SUMMARIES if not _is_office(team) or "{subject}" not in s]
    return rng.choice(fitting).format(subject=_subject(team))


def _exemplars(plan: Plan, people: Sequence[_Person], rng: random.Random) -> _Rows:
    """F4: each quarter several team heads nominate one person of their team before the quarter's deadline."""
    noise = _Noise(rng)
    heads = [p for p in people if p.is_head]
    deadlines = sorted(
        (d for d in plan.deadlines if d.kind is ReportKind.EXEMPLARS and d.quarter), key=lambda d: d.due_before
    )
    rows: list[_Row] = []
    for deadline in deadlines:
        quarter = deadline.quarter or 1
        first = max(dt.date(plan.year, 3 * quarter - 2, 1), dt.date(plan.year, 2, 1))
        last = deadline.due_before - dt.timedelta(days=3)
        for head in rng.sample(heads, k=min(len(heads), rng.randint(3, 5))):
            colleagues = [p for p in people if p.team == head.team and p != head] or [head]
            nominee = rng.choice(colleagues)
            label = str(quarter) if rng.random() < 0.25 else f"Quý {_ROMAN_QUARTERS[quarter - 1]}"
            summary = _exemplar_summary(rng, head.team)
            rows.append(_Row(_moment(rng, first, last), {
                "email": noise.email(head.email), "quarter": label, "nominee": noise.name(nominee.full_name),
                "team": noise.team(head.team), "summary": noise.text(summary),
            }))
    return _Rows(rows)


@dataclass(frozen=True)
class _CouncilCases:
    """People chosen so the rules have something to flag: neither is a reject, the council decides."""

    unrecognised_initiative: str
    not_excellent: str


def _initiatives(plan: Plan, people: Sequence[_Person], registrations: _Registrations, cases: _CouncilCases,
                 rng: random.Random) -> _Rows:
    """F5: the CSTĐ candidates and a few others submit an initiative; the council's verdict is filled in later."""
    noise = _Noise(rng)
    ldtt = plan.titles.individual[0].name
    candidates = [p for p in people if registrations.latest_title.get(p.email, ldtt) != ldtt]
    others = rng.sample([p for p in people if p not in candidates], k=3)
    pending = set(p.email for p in others[1:]) | {rng.choice(candidates).email}
    rows: list[_Row] = []
    for person in candidates + others:
        name = registrations.initiative.get(person.email) or _initiative_name(rng, person.team)
        if person.email == cases.unrecognised_initiative or person == others[0]:
            result = NOT_RECOGNISED
        elif person.email in pending:
            result = ""
        else:
            result = RECOGNISED
        rows.append(_Row(_moment(rng, dt.date(plan.year, 2, 1), dt.date(plan.year, 5, 20)), {
            "email": noise.email(person.email), "full_name": noise.name(person.full_name),
            "team": noise.team(person.team), "name": noise.text(name), "field": rng.choice(_INITIATIVE_FIELDS),
            "scope": rng.choice(_INITIATIVE_SCOPES),
            "effect": rng.choice(_INITIATIVE_EFFECTS).format(n=rng.randint(10, 30)), "result": result,
        }))
    return _Rows(rows)


def _evaluations(plan: Plan, people: Sequence[_Person], registrations: _Registrations, cases: _CouncilCases,
                 rng: random.Random) -> _Rows:
    """F6: one council row per person; a few proposals break the rules on purpose (flags, not rejects)."""
    noise = _Noise(rng, team=0.15)
    ldtt, cstdcs = (t.name for t in plan.titles.individual[:2])
    proposed = {p.email: registrations.latest_title.get(p.email, "") for p in people}
    plain = [p for p in people if proposed[p.email] == ldtt]
    failed, reprimanded, unreadable = rng.sample(plain, k=3)
    proposed[failed.email] = proposed[reprimanded.email] = ""
    promotable = [p for p in plain if p not in (failed, reprimanded, unreadable)]
    share = plan.rules.cstdcs_share_of_ldtt

    def over_quota() -> bool:
        base = sum(1 for t in proposed.values() if t == cstdcs)
        return base > share * sum(1 for t in proposed.values() if t in (ldtt, cstdcs))

    # A plan with no cap (share 1, the README's advice where the plan sets none) cannot be exceeded: no spoiling.
    while share < 1 and promotable and not over_quota():
        proposed[promotable.pop(rng.randrange(len(promotable))).email] = cstdcs

    year_end = dt.date(plan.year, 6, 1)
    rows: list[_Row] = []
    for person in people:
        title = proposed[person.email]
        if person == failed:
            completion = NOT_COMPLETED
        elif title and title != ldtt:
            completion = COMPLETED if person.email == cases.not_excellent else EXCELLENT
        elif title == ldtt:
            completion = EXCELLENT if rng.random() < 0.3 else GOOD
        else:
            completion = GOOD if rng.random() < 0.4 else COMPLETED
        low = 85 if title and title != ldtt else 70
        vote = rng.randint(low, 100)
        months = str(_months_worked(person.start_date, year_end))
        row = _Row(_moment(rng, dt.date(plan.year, 5, 25), dt.date(plan.year, 6, 10)), {
            "email": noise.email(person.email), "full_name": noise.name(person.full_name),
            "team": noise.team(person.team), "completion": completion,
            "months_worked": BAD_MONTHS if person == unreadable else months,
            "discipline": REPRIMAND if person == reprimanded else NO_DISCIPLINE,
            "confidence_vote": f"{vote}.5" if vote < 100 and rng.random() < 0.3 else str(vote),
            "proposed_title": title,
        }, reject="bad_number" if person == unreadable else "")
        rows.append(row)
    return _Rows(rows)


def _council_cases(plan: Plan, registrations: _Registrations, rng: random.Random) -> _CouncilCases:
    cstdcs = plan.titles.individual[1].name
    candidates = sorted(email for email, title in registrations.latest_title.items() if title == cstdcs)
    unrecognised, not_excellent = rng.sample(candidates, k=2)
    return _CouncilCases(unrecognised, not_excellent)


def _sheet(source: Source, batch: _Rows, *, chronological: bool) -> tuple[list[list[str]], dict[int, str]]:
    """Orders rows as Google appends them (by submission time), leaves cleared rows in the middle, numbers them."""
    ordered = sorted(batch.rows, key=lambda r: r.when) if chronological else list(batch.rows)
    for k in range(batch.blank_rows, 0, -1):
        ordered.insert(k * len(ordered) // (batch.blank_rows + 1), _Row(dt.datetime.min, {}, reject="blank"))
    fields = list(source.columns)
    grid = [list(source.columns.values())]
    rejects: dict[int, str] = {}
    for row_number, row in enumerate(ordered, start=2):
        if row.reject == "blank":
            grid.append([""] * len(fields))
        else:
            values = dict(row.values)
            values.setdefault("timestamp", _timestamp(row.when))
            grid.append([values.get(f, "") for f in fields])
        if row.reject:
            rejects[row_number] = row.reject
    return grid, rejects


def generate(plan: Plan, seed: int = 2024, staff: int = 80) -> SampleData:
    """A school year of answers for every source in the plan; same plan, seed and size give identical data."""

    def rng(purpose: str) -> random.Random:
        return random.Random(f"{seed}:{purpose}")

    people = _staff(plan, staff, rng("roster"))
    registrations = _registrations(plan, people, rng("registrations"))
    cases = _council_cases(plan, registrations, rng("council"))
    batches: dict[SourceKind, _Rows] = {
        SourceKind.ROSTER: _roster_rows(people),
        SourceKind.INDIVIDUAL_REGISTRATION: registrations.rows,
        SourceKind.COLLECTIVE_REGISTRATION: _collective_registrations(plan, people, rng("collective")),
        SourceKind.ACHIEVEMENT: _achievements(plan, people, rng("achievements")),
        SourceKind.EXEMPLAR: _exemplars(plan, people, rng("exemplars")),
        SourceKind.INITIATIVE: _initiatives(plan, people, registrations, cases, rng("initiatives")),
        SourceKind.EVALUATION: _evaluations(plan, people, registrations, cases, rng("evaluations")),
    }
    grids: dict[str, list[list[str]]] = {}
    rejects: dict[str, dict[int, str]] = {}
    for source in plan.sources:
        grids[source.id], rejects[source.id] = _sheet(
            source, batches[source.kind], chronological=source.kind is not SourceKind.ROSTER
        )
    return SampleData(grids, rejects)


def staff_counts(plans: Sequence[Plan], base_staff: int, seed: int = 0) -> list[int]:
    """Each school's staff for sample data: the base school as given, the others between half and one and a half
    times it, never below what the sample generator needs for the school's teams."""
    rng = random.Random(seed + 1)
    counts = [base_staff] + [rng.randint(base_staff // 2, base_staff * 3 // 2) for _ in plans[1:]]
    return [max(n, MIN_PER_TEAM * len(plan.teams)) for n, plan in zip(counts, plans, strict=True)]
