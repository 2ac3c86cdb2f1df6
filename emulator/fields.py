"""Google's ``fields`` partial-response selector (``files(id,name),nextPageToken``), applied to a JSON reply."""

from __future__ import annotations

from typing import Any


def _parse(text: str, i: int = 0) -> tuple[dict[str, Any], int]:
    tree: dict[str, Any] = {}
    name = ""
    while i < len(text):
        ch = text[i]
        if ch == "(":
            sub, i = _parse(text, i + 1)
            _add(tree, name.strip(), sub)
            name = ""
        elif ch == ")":
            _add(tree, name.strip(), None)
            return tree, i + 1
        elif ch == ",":
            _add(tree, name.strip(), None)
            name = ""
            i += 1
        else:
            name += ch
            i += 1
    _add(tree, name.strip(), None)
    return tree, i


def _add(tree: dict[str, Any], path: str, sub: Any) -> None:
    if not path:
        return
    parts = path.replace(".", "/").split("/")
    node = tree
    for part in parts[:-1]:
        node = node.setdefault(part, {}) or node.setdefault(part, {})
    last = parts[-1]
    if sub is None:
        node[last] = None
    else:
        node[last] = sub


def parse_fields(text: str) -> dict[str, Any]:
    tree, _ = _parse(text)
    return tree


def select(value: Any, tree: dict[str, Any]) -> Any:
    if "*" in tree or not tree:
        return value
    if isinstance(value, list):
        return [select(item, tree) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, sub in tree.items():
        if key in value:
            out[key] = value[key] if sub is None else select(value[key], sub)
    return out


def mask_paths(mask: str) -> list[str]:
    """A field mask (``a.b,c(d,e)`` or ``a/b``) as dotted paths: ``["a.b", "c.d", "c.e"]``; ``*`` stays ``*``."""

    def walk(tree: dict[str, Any], prefix: str) -> list[str]:
        out: list[str] = []
        for name, sub in tree.items():
            path = f"{prefix}.{name}" if prefix else name
            out.extend(walk(sub, path) if sub else [path])
        return out

    return walk(parse_fields(mask), "")


def selects(fields: str, path: str) -> bool:
    """Whether the mask returns the dotted `path` (``sheets.data``): named, under a named parent, or ``*``."""
    tree: dict[str, Any] | None = parse_fields(fields)
    for part in path.split("."):
        if not tree or "*" in tree:
            return True
        if part not in tree:
            return False
        tree = tree[part]
    return True


def apply_fields(value: Any, fields: str) -> Any:
    return select(value, parse_fields(fields))
