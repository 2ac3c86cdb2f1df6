"""The plan file's reference (docs/plan-reference.md), generated from the pydantic models of `thidua.plan`, so the
allowed keys, their types and defaults, and each source kind's `columns:` fields cannot drift from the code.

Run `uv run python -m thidua_cli.plan_reference` after changing thidua/plan.py; a test fails while the committed
file differs from what this writes.
"""

from __future__ import annotations

import ast
import enum
import inspect
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from thidua import plan as plan_module
from thidua.plan import OPTIONAL_FIELDS, REQUIRED_FIELDS, Plan, SourceKind

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "plan-reference.md"
SEED = Path(__file__).resolve().parent.parent / "examples" / "le-anh-xuan-2024" / "plan.yaml"


def _comments(model: type[BaseModel]) -> dict[str, str]:
    """The comment lines written just above each field in the model's source: the code's own explanation."""
    lines, _ = inspect.getsourcelines(model)  # module-level classes: no indentation to strip
    source = "".join(lines).splitlines()
    tree = ast.parse("".join(lines))
    found: dict[str, str] = {}
    body = tree.body[0].body if isinstance(tree.body[0], ast.ClassDef) else []
    for node in body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            above: list[str] = []
            row = node.lineno - 2
            while row >= 0 and source[row].strip().startswith("#"):
                above.insert(0, source[row].strip().lstrip("#:").strip())
                row -= 1
            if above:
                found[node.target.id] = " ".join(above)
    return found


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (types.UnionType, typing.Union):
        return " \\| ".join(_type_name(a) for a in args)
    if origin is tuple:
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        return f"mapping {_type_name(args[0])} → {_type_name(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return " \\| ".join(f"`{m.value}`" for m in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    if annotation is type(None):
        return "null"
    return {str: "text", int: "integer", float: "number", bool: "true/false"}.get(
        annotation, getattr(annotation, "__name__", str(annotation)))


def _default(field: Any) -> str:
    if field.is_required():
        return "**bắt buộc**"
    value = field.default_factory() if field.default is PydanticUndefined and field.default_factory else field.default
    if isinstance(value, BaseModel):
        return "(mặc định của mục con)"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, tuple):
        value = list(value)
    return f"`{value!s}`" if value not in ("", [], {}, None) else f"`{value!r}`" if value is not None else "`null`"


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    """Every model reachable from the root, in the order a reader meets them."""
    seen: list[type[BaseModel]] = []

    def visit(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.append(model)
        for field in model.model_fields.values():
            for inner in _inner_types(field.annotation):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    visit(inner)

    visit(root)
    return seen


def _inner_types(annotation: Any) -> list[Any]:
    args = typing.get_args(annotation)
    return [annotation, *(t for a in args for t in _inner_types(a))]


def render() -> str:
    """The whole reference as Markdown."""
    out = [
        "# Tệp kế hoạch: mọi khóa (plan reference)",
        "",
        "Sinh tự động từ `thidua/plan.py` bởi `uv run python -m thidua_cli.plan_reference`; đừng sửa tay. "
        "Ví dụ đầy đủ: `examples/le-anh-xuan-2024/plan.yaml`. `thidua check PLAN --data THƯ_MỤC` kiểm tra kế hoạch, "
        "mẫu báo cáo và dòng tiêu đề của từng nguồn.",
        "",
        "Generated from the pydantic models; the notes are the code's own comments.",
        "",
    ]
    for model in _models(Plan):
        out += [f"## {model.__name__}", ""]
        doc = inspect.getdoc(model)
        if doc and model.__module__ == plan_module.__name__ and not doc.startswith("!!!"):
            out += [doc.splitlines()[0], ""]
        notes = _comments(model)
        out += ["| key | type | default | note |", "|---|---|---|---|"]
        for name, field in model.model_fields.items():
            note = notes.get(name, "").replace("|", "\\|")
            out.append(f"| `{name}` | {_type_name(field.annotation)} | {_default(field)} | {note} |")
        out.append("")
    out += ["## `columns:` of each source kind", "",
            "Each source maps the plan's field names (left) to the exact column header of its sheet (right); a "
            "required field missing from `columns:` is a plan error, a header missing from the sheet stops the "
            "source with the columns it has.", ""]
    seed = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    examples = {s["kind"]: s for s in seed["sources"]}
    for kind in SourceKind:
        out += [f"### `kind: {kind.value}`", "",
                "required: " + ", ".join(f"`{f}`" for f in REQUIRED_FIELDS[kind]),
                "",
                "optional: " + (", ".join(f"`{f}`" for f in OPTIONAL_FIELDS[kind]) or "—"), ""]
        if kind.value in examples:
            out += ["```yaml", yaml.safe_dump([examples[kind.value]], allow_unicode=True, sort_keys=False).rstrip(),
                    "```", ""]
    return "\n".join(out).rstrip() + "\n"


def main() -> None:
    REFERENCE.parent.mkdir(parents=True, exist_ok=True)
    REFERENCE.write_text(render(), encoding="utf-8")
    print(f"wrote {REFERENCE}")


if __name__ == "__main__":
    main()
