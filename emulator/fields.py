"""Google's ``fields`` partial-response selector (``files(id,name),nextPageToken``), applied to a JSON reply."""

from __future__ import annotations

import re
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
    if path:
        _merge(tree, path.replace(".", "/").split("/"), sub)


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


def tree_paths(tree: dict[str, Any], prefix: str = "") -> list[str]:
    """A parsed mask as dotted paths, each leaf once: ``{"c": {"d": None}}`` → ``["c.d"]``."""
    out: list[str] = []
    for name, sub in tree.items():
        path = f"{prefix}.{name}" if prefix else name
        out.extend(tree_paths(sub, path) if sub else [path])
    return out


def mask_paths(mask: str) -> list[str]:
    """A field mask (``a.b,c(d,e)`` or ``a/b``) as dotted paths: ``["a.b", "c.d", "c.e"]``; ``*`` stays ``*``."""
    return tree_paths(parse_fields(mask))


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


# ---------------------------------------------------------------- checking a mask against the response schema


class MaskError(ValueError):
    """A `fields` mask Google refuses: a name the response schema lacks (`path` up to it), or broken syntax."""

    def __init__(self, path: list[str], syntax: str | None = None) -> None:
        super().__init__(syntax or ".".join(path))
        self.path = path
        self.syntax = syntax

    @property
    def name(self) -> str:
        return self.path[-1] if self.path else ""


def _merge(tree: dict[str, Any], parts: list[str], sub: dict[str, Any] | None) -> None:
    """Add `a.b.c` (with `sub` below it) to `tree`; a field selected whole stays whole."""
    node = tree
    for part in parts[:-1]:
        if part in node and node[part] is None:
            return
        node = node.setdefault(part, {})
    last = parts[-1]
    if sub is None or node.get(last, {}) is None:
        node[last] = None
        return
    target = node.setdefault(last, {})
    for name, below in sub.items():
        _merge(target, [name], below)


def _parse_strict(text: str, i: int, depth: int) -> tuple[dict[str, Any], int]:
    tree: dict[str, Any] = {}
    while True:
        j = i
        while j < len(text) and text[j] not in ",()":
            j += 1
        path = text[i:j].strip()
        parts = [p.strip() for p in re.split(r"[./]", path)] if path else []
        if not parts or any(not p for p in parts):
            raise MaskError([], f"Invalid field selection syntax at character {j}")
        sub: dict[str, Any] | None = None
        if j < len(text) and text[j] == "(":
            sub, j = _parse_strict(text, j + 1, depth + 1)
            while j < len(text) and text[j] == " ":
                j += 1
        _merge(tree, parts, sub)
        if j >= len(text):
            if depth:
                raise MaskError([], "Invalid field selection syntax: unclosed '('")
            return tree, j
        if text[j] == ",":
            i = j + 1
        elif text[j] == ")" and depth:
            return tree, j + 1
        else:
            raise MaskError([], f"Invalid field selection syntax at character {j}")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


class MaskChecker:
    """Walks a mask through a discovery document's schemas: `$ref`s, `properties`, arrays' `items`; below an
    `additionalProperties` map (Drive's `exportLinks`) or an `any` any key is accepted. `snake_case` names are
    taken as their camelCase field when `snake_case` is on (Sheets: "camelCase or separated_by_underscores")."""

    def __init__(self, schemas: dict[str, Any], snake_case: bool) -> None:
        self.schemas = schemas
        self.snake_case = snake_case

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while True:
            if "$ref" in schema:
                schema = self.schemas[schema["$ref"]]
            elif schema.get("type") == "array":
                schema = schema.get("items", {})
            else:
                return schema

    def check(self, tree: dict[str, Any], schema: dict[str, Any], prefix: list[str]) -> dict[str, Any]:
        """The mask with each name as the response spells it; MaskError at the first name it does not have."""
        node = self._resolve(schema)
        properties: dict[str, Any] = node.get("properties", {})
        out: dict[str, Any] = {}
        for name, sub in tree.items():
            path = [*prefix, name]
            if name == "*":
                if sub is not None:
                    raise MaskError([*path, next(iter(sub))])
                out[name] = None
                continue
            key = name
            if key not in properties and self.snake_case and "_" in key:
                key = _camel(key)
            if key in properties:
                out[key] = None if sub is None else self.check(sub, properties[key], path)
            elif "additionalProperties" in node or node.get("type") == "any":
                out[name] = sub
            else:
                raise MaskError(path)
        return out


def refuse_spaces(text: str) -> None:
    """Outside Drive a space is part of a name, not a separator: Sheets answers `properties, sheets.properties` with
    "Cannot find matching fields for path ' sheets.properties'" (ringo380/claude-google-sheets-mcp#4)."""
    for piece in re.split(r"[,()]", text):
        if re.search(r"\s", piece):
            raise MaskError([piece])


def check_mask(text: str, schemas: dict[str, Any], root: str, snake_case: bool) -> dict[str, Any]:
    """The parsed `fields` mask, checked against the response schema `root`, with Google's field names."""
    tree, _ = _parse_strict(text, 0, 0)
    return MaskChecker(schemas, snake_case).check(tree, {"$ref": root}, [])


def check_update_mask(text: str, schemas: dict[str, Any], root: str) -> list[str]:
    """An update mask (a FieldMask inside a request body, relative to the object it updates) as dotted paths in
    Google's camelCase names, so a handler reads one spelling. Stricter than a response mask: `*` only stands
    alone, the one form Google documents for update masks (the caller decides whether the request offers it).
    A space is part of a name (`refuse_spaces`)."""
    refuse_spaces(text)
    paths = tree_paths(check_mask(text, schemas, root, snake_case=True))
    for path in paths:
        if path.split(".")[-1] == "*":
            raise MaskError(path.split("."))
    return paths
