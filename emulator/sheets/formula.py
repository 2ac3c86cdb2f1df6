"""A small evaluator for the formulas USER_ENTERED input creates: arithmetic, comparisons, ``&``, cell
references and ranges on the same spreadsheet, and a handful of functions. Anything else evaluates to
``#NAME?`` (unknown function) or ``#ERROR!`` (unparsable), never to a made-up number."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

Value = float | str | bool | None
CellLookup = Callable[[str | None, int, int], Value]
RangeLookup = Callable[[str | None, int, int, int, int], list[Value]]

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)|(?P<str>\"(?:[^\"]|\"\")*\")"
    r"|(?P<ref>(?:(?:'(?:[^']|'')+'|[A-Za-z_][A-Za-z0-9_]*)!)?\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_.]*)|(?P<op><>|<=|>=|[-+*/^&=<>(),%]))"
)


class FormulaError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _num(value: Value) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if value is None or value == "":
        return 0.0
    if isinstance(value, float):
        return value
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        raise FormulaError("#VALUE!") from None


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return format_number(value)
    return value


def format_number(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.10g}".replace("e+", "E+").replace("e-", "E-")


def _flatten(args: list[Any]) -> list[Value]:
    out: list[Value] = []
    for arg in args:
        if isinstance(arg, list):
            out.extend(arg)
        else:
            out.append(arg)
    return out


def _numbers(args: list[Any]) -> list[float]:
    out: list[float] = []
    for arg in args:
        if isinstance(arg, list):
            out.extend(float(v) for v in arg if isinstance(v, float))
        else:
            out.append(_num(arg))
    return out


FUNCTIONS: dict[str, Callable[[list[Any]], Value]] = {
    "SUM": lambda a: float(sum(_numbers(a))),
    "AVERAGE": lambda a: (sum(_numbers(a)) / len(_numbers(a))) if _numbers(a) else _raise("#DIV/0!"),
    "MIN": lambda a: min(_numbers(a), default=0.0),
    "MAX": lambda a: max(_numbers(a), default=0.0),
    "COUNT": lambda a: float(len(_numbers([x for x in _flatten(a) if isinstance(x, float)]))),
    "COUNTA": lambda a: float(len([x for x in _flatten(a) if x not in (None, "")])),
    "ABS": lambda a: abs(_num(a[0])),
    "ROUND": lambda a: float(round(_num(a[0]), int(_num(a[1])) if len(a) > 1 else 0)),
    "LEN": lambda a: float(len(_text(a[0]))),
    "UPPER": lambda a: _text(a[0]).upper(),
    "LOWER": lambda a: _text(a[0]).lower(),
    "TRIM": lambda a: " ".join(_text(a[0]).split()),
    "CONCATENATE": lambda a: "".join(_text(v) for v in _flatten(a)),
    "IF": lambda a: (a[1] if len(a) > 1 else True) if _truthy(a[0]) else (a[2] if len(a) > 2 else False),
}


def _raise(code: str) -> Value:
    raise FormulaError(code)


def _truthy(value: Value) -> bool:
    if isinstance(value, str):
        if value.upper() in ("TRUE", "FALSE"):
            return value.upper() == "TRUE"
        raise FormulaError("#VALUE!")
    return bool(value)


def _split_ref(ref: str) -> tuple[str | None, str]:
    if "!" in ref:
        sheet, _, cells = ref.rpartition("!")
        if sheet.startswith("'"):
            sheet = sheet[1:-1].replace("''", "'")
        return sheet, cells
    return None, ref


def _cell(text: str) -> tuple[int, int]:
    found = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?(\d+)", text)
    assert found
    col = 0
    for ch in found.group(1).upper():
        col = col * 26 + ord(ch) - 64
    return int(found.group(2)) - 1, col - 1


class _Parser:
    def __init__(self, text: str, cell: CellLookup, cells: RangeLookup) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            found = _TOKEN.match(text, pos)
            if not found or found.end() == pos:
                raise FormulaError("#ERROR!")
            pos = found.end()
            kind = found.lastgroup or ""
            self.tokens.append((kind, found.group(kind).strip()))
        self.pos = 0
        self.cell = cell
        self.cells = cells

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise FormulaError("#ERROR!")
        self.pos += 1
        return token

    def parse(self) -> Any:
        value = self.compare()
        if self.peek() is not None:
            raise FormulaError("#ERROR!")
        return value

    def compare(self) -> Any:
        left = self.concat()
        while self.peek() in (("op", "="), ("op", "<>"), ("op", "<"), ("op", ">"), ("op", "<="), ("op", ">=")):
            op = self.take()[1]
            right = self.concat()
            a: Any = left
            b: Any = right
            if isinstance(a, str) or isinstance(b, str):
                a, b = _text(a).lower(), _text(b).lower()
            else:
                a, b = _num(a), _num(b)
            left = {"=": a == b, "<>": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
        return left

    def concat(self) -> Any:
        left = self.additive()
        while self.peek() == ("op", "&"):
            self.take()
            left = _text(left) + _text(self.additive())
        return left

    def additive(self) -> Any:
        left = self.term()
        while self.peek() in (("op", "+"), ("op", "-")):
            op = self.take()[1]
            right = self.term()
            left = _num(left) + _num(right) if op == "+" else _num(left) - _num(right)
        return left

    def term(self) -> Any:
        left = self.power()
        while self.peek() in (("op", "*"), ("op", "/")):
            op = self.take()[1]
            right = self.power()
            if op == "*":
                left = _num(left) * _num(right)
            else:
                if _num(right) == 0:
                    raise FormulaError("#DIV/0!")
                left = _num(left) / _num(right)
        return left

    def power(self) -> Any:
        left = self.unary()
        while self.peek() == ("op", "^"):
            self.take()
            left = math.pow(_num(left), _num(self.unary()))
        return left

    def unary(self) -> Any:
        if self.peek() in (("op", "-"), ("op", "+")):
            op = self.take()[1]
            value = _num(self.unary())
            return -value if op == "-" else value
        value = self.atom()
        if self.peek() == ("op", "%"):
            self.take()
            value = _num(value) / 100
        return value

    def atom(self) -> Any:
        kind, text = self.take()
        if kind == "num":
            return float(text)
        if kind == "str":
            return text[1:-1].replace('""', '"')
        if kind == "ref":
            sheet, cells = _split_ref(text)
            if ":" in cells:
                first, last = cells.split(":")
                r0, c0 = _cell(first)
                r1, c1 = _cell(last)
                return self.cells(sheet, min(r0, r1), max(r0, r1) + 1, min(c0, c1), max(c0, c1) + 1)
            row, col = _cell(cells)
            return self.cell(sheet, row, col)
        if kind == "name":
            upper = text.upper()
            if upper in ("TRUE", "FALSE") and self.peek() != ("op", "("):
                return upper == "TRUE"
            if self.peek() != ("op", "("):
                raise FormulaError("#NAME?")
            self.take()
            args: list[Any] = []
            if self.peek() != ("op", ")"):
                args.append(self.compare())
                while self.peek() == ("op", ","):
                    self.take()
                    args.append(self.compare())
            if self.take() != ("op", ")"):
                raise FormulaError("#ERROR!")
            function = FUNCTIONS.get(upper)
            if function is None:
                raise FormulaError("#NAME?")
            try:
                return function(args)
            except IndexError:
                raise FormulaError("#N/A") from None
        if (kind, text) == ("op", "("):
            value = self.compare()
            if self.take() != ("op", ")"):
                raise FormulaError("#ERROR!")
            return value
        raise FormulaError("#ERROR!")


def evaluate(formula: str, cell: CellLookup, cells: RangeLookup) -> Value:
    """Evaluate ``=...``; errors come back as Sheets' error strings (``#DIV/0!``, ``#NAME?``...)."""
    try:
        value = _Parser(formula[1:], cell, cells).parse()
    except FormulaError as exc:
        return exc.code
    except RecursionError:
        return "#REF!"
    if isinstance(value, list):
        return value[0] if value else None
    return value  # type: ignore[no-any-return]
