"""Drive state: the file registry every other service's documents live in.

Sheets, Docs and Forms objects are Drive files of their Google mime type with the same id; the Workspace
wires them through ``GoogleTypeHooks`` so creating, copying, renaming, exporting or deleting a file through
Drive does the same to the underlying object, as in Google.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.errors import GoogleError, bad_request, not_found, unimplemented
from emulator.ids import file_id, hex_id, now_rfc3339
from emulator.service import Media, current_app

FOLDER = "application/vnd.google-apps.folder"
DOCUMENT = "application/vnd.google-apps.document"
SPREADSHEET = "application/vnd.google-apps.spreadsheet"
FORM = "application/vnd.google-apps.form"
ROOT_ID = "0AEmulatorRootFolderUk9PVA"

WRITABLE = {
    "id", "name", "mimeType", "parents", "description", "properties", "appProperties", "starred",
    "originalFilename", "modifiedTime", "createdTime", "folderColorRgb", "viewedByMeTime",
    "writersCanShare", "copyRequiresWriterPermission", "contentHints", "trashed", "contentRestrictions",
    "shortcutDetails", "inheritedPermissionsDisabled", "downloadRestrictions",
}  # fmt: skip
PERMISSION_ROLES = {"owner", "organizer", "fileOrganizer", "writer", "commenter", "reader"}
PERMISSION_TYPES = {"user", "group", "domain", "anyone"}


@dataclass
class GoogleTypeHooks:
    """How Drive reaches the service that owns a Google mime type."""

    create: Callable[[str, str, str], object]
    copy: Callable[[str, str, str], None]
    delete: Callable[[str], None]
    rename: Callable[[str, str], None]
    export: Callable[[str, str], bytes]
    import_media: Callable[[str, str, Media], None] | None = None


@dataclass
class DriveFile:
    id: str
    name: str
    mime_type: str
    owner: str
    parents: list[str]
    created: str
    modified: str
    trashed: bool = False
    starred: bool = False
    description: str | None = None
    content: bytes | None = None
    properties: dict[str, str] = field(default_factory=dict)
    app_properties: dict[str, str] = field(default_factory=dict)
    permissions: list[dict[str, Any]] = field(default_factory=list)
    version: int = 1
    app: str = ""  # the OAuth client that created it: what a drive.file token may reach

    def resource(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "drive#file",
            "id": self.id,
            "name": self.name,
            "mimeType": self.mime_type,
            "parents": list(self.parents),
            "trashed": self.trashed,
            "starred": self.starred,
            "createdTime": self.created,
            "modifiedTime": self.modified,
            "version": str(self.version),
            "owners": [{"kind": "drive#user", "emailAddress": self.owner, "displayName": self.owner, "me": True}],
            "permissions": copy.deepcopy(self.permissions),
            "webViewLink": _web_link(self.id, self.mime_type),
            "properties": dict(self.properties),
            "appProperties": dict(self.app_properties),
            "capabilities": {"canEdit": True, "canCopy": True, "canShare": True},
        }
        if self.description is not None:
            out["description"] = self.description
        if self.content is not None:
            out["size"] = str(len(self.content))
            out["webContentLink"] = f"https://drive.google.com/uc?id={self.id}&export=download"
        return out

    def to_json(self) -> dict[str, Any]:
        data = self.__dict__.copy()
        data["content"] = self.content.hex() if self.content is not None else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DriveFile:
        data = dict(data)
        data["content"] = bytes.fromhex(data["content"]) if data.get("content") is not None else None
        return cls(**data)


def _web_link(fid: str, mime: str) -> str:
    kind = {DOCUMENT: "document", SPREADSHEET: "spreadsheets", FORM: "forms"}.get(mime)
    if kind:
        return f"https://docs.google.com/{kind}/d/{fid}/edit"
    return f"https://drive.google.com/file/d/{fid}/view"


EXPORT_LIMIT_BYTES = 10 * 2**20  # "The exported content is limited to 10MB" (files.export reference)


class DriveModel:
    def __init__(self) -> None:
        self.export_limit_bytes = EXPORT_LIMIT_BYTES
        self.files: dict[str, DriveFile] = {}
        self.hooks: dict[str, GoogleTypeHooks] = {}
        self.lock = threading.RLock()

    # ---------------------------------------------------------------- registry used by other services

    def register(self, fid: str, name: str, mime: str, owner: str, parents: list[str] | None = None) -> None:
        stamp = now_rfc3339()
        with self.lock:
            self.files[fid] = DriveFile(fid, name, mime, owner, parents or [ROOT_ID], stamp, stamp,
                                        app=current_app())

    def require(self, fid: str, mime: str | None = None) -> DriveFile:
        with self.lock:
            found = self.files.get(fid)
        if found is None or (mime is not None and found.mime_type != mime):
            raise not_found(f"File not found: {fid}.")
        return found

    def exists(self, fid: str) -> bool:
        with self.lock:
            return fid in self.files

    def touch(self, fid: str) -> None:
        with self.lock:
            found = self.files.get(fid)
            if found:
                found.modified = now_rfc3339()
                found.version += 1

    def renamed(self, fid: str, name: str) -> None:
        with self.lock:
            found = self.files.get(fid)
            if found:
                found.name = name
                found.modified = now_rfc3339()

    # ---------------------------------------------------------------- Drive API

    def _check_writable(self, metadata: dict[str, Any]) -> None:
        for key in metadata:
            if key not in WRITABLE:
                raise GoogleError(
                    403,
                    "The resource body includes fields which are not directly writable.",
                    reason="fieldNotWritable",
                )

    def create(self, metadata: dict[str, Any], media: Media | None, owner: str) -> DriveFile:
        self._check_writable(metadata)
        mime = metadata.get("mimeType") or (media.content_type if media else "application/octet-stream")
        fid = metadata.get("id") or (file_id() if mime.startswith("application/vnd.google-apps") else file_id()[:33])
        parents = self._resolve_parents(metadata.get("parents"))
        name = metadata.get("name") or "Untitled"
        with self.lock:
            if fid in self.files:
                raise GoogleError(409, "A file already exists with the provided ID.", reason="duplicate")
            stamp = now_rfc3339()
            created = DriveFile(fid, name, mime, owner, parents, stamp, stamp, app=current_app())
            created.description = metadata.get("description")
            created.starred = bool(metadata.get("starred", False))
            created.properties = dict(metadata.get("properties") or {})
            created.app_properties = dict(metadata.get("appProperties") or {})
            hooks = self.hooks.get(mime)
            if hooks is None and mime.startswith("application/vnd.google-apps.") and mime != FOLDER:
                raise unimplemented(f"Creating Drive files of type {mime}")
            if hooks is None and media is not None:
                created.content = media.data
            self.files[fid] = created
        if hooks is not None:
            hooks.create(fid, name, owner)
            if media is not None:
                if hooks.import_media is None:
                    raise unimplemented(f"Importing {media.content_type} into {mime}")
                hooks.import_media(fid, name, media)
        return created

    def _resolve_parents(self, parents: list[str] | None) -> list[str]:
        if not parents:
            return [ROOT_ID]
        if len(parents) > 1:
            raise GoogleError(
                403,
                "Increasing the number of parents is not allowed.",
                reason="cannotAddParent",
            )
        resolved = []
        for parent in parents:
            pid = ROOT_ID if parent == "root" else parent
            if pid != ROOT_ID:
                folder = self.files.get(pid)
                if folder is None or folder.mime_type != FOLDER:
                    raise not_found(f"File not found: {parent}.")
            resolved.append(pid)
        return resolved

    def get(self, fid: str) -> DriveFile:
        return self.require(fid)

    def list(
        self,
        q: str | None,
        order_by: str | None,
    ) -> list[DriveFile]:
        matcher = compile_query(q or "")
        with self.lock:
            found = [f for f in self.files.values() if matcher(f)]
        keys = [k.strip() for k in (order_by or "").split(",") if k.strip()]
        if not keys:
            found.sort(key=lambda f: f.created)
        for key in reversed(keys):
            name, _, direction = key.partition(" ")
            attr = {
                "name": lambda f: f.name.lower(),
                "name_natural": lambda f: f.name.lower(),
                "modifiedTime": lambda f: f.modified,
                "createdTime": lambda f: f.created,
                "folder": lambda f: f.mime_type != FOLDER,
                "starred": lambda f: not f.starred,
            }.get(name)
            if attr is None:
                raise unimplemented(f"Drive files.list orderBy={name}")
            found.sort(key=attr, reverse=direction.strip() == "desc")
        return found

    def copy(self, fid: str, metadata: dict[str, Any], owner: str) -> DriveFile:
        self._check_writable(metadata)
        source = self.require(fid)
        if source.mime_type == FOLDER:
            raise GoogleError(403, "This file cannot be copied by the user.", reason="cannotCopyFile")
        new_id = metadata.get("id") or file_id()
        name = metadata.get("name") or f"Copy of {source.name}"
        parents = self._resolve_parents(metadata.get("parents")) if metadata.get("parents") else list(source.parents)
        stamp = now_rfc3339()
        with self.lock:
            created = DriveFile(new_id, name, source.mime_type, owner, parents, stamp, stamp, app=current_app())
            created.content = source.content
            created.description = metadata.get("description", source.description)
            created.properties = dict(source.properties)
            self.files[new_id] = created
        hooks = self.hooks.get(source.mime_type)
        if hooks is not None:
            hooks.copy(fid, new_id, name)
        return created

    def update(
        self,
        fid: str,
        metadata: dict[str, Any],
        add_parents: str | None,
        remove_parents: str | None,
        media: Media | None,
    ) -> DriveFile:
        self._check_writable(metadata)
        if "parents" in metadata:
            raise GoogleError(
                403,
                "The parents field is not directly writable in update requests. "
                "Use the addParents and removeParents parameters instead.",
                reason="fieldNotWritable",
            )
        target = self.require(fid)
        with self.lock:
            if "name" in metadata and metadata["name"] != target.name:
                target.name = metadata["name"]
                hooks = self.hooks.get(target.mime_type)
                if hooks is not None:
                    hooks.rename(fid, target.name)
            if "description" in metadata:
                target.description = metadata["description"]
            if "starred" in metadata:
                target.starred = bool(metadata["starred"])
            if "trashed" in metadata:
                target.trashed = bool(metadata["trashed"])
            if "properties" in metadata:
                target.properties.update(metadata["properties"] or {})
            if "appProperties" in metadata:
                target.app_properties.update(metadata["appProperties"] or {})
            for pid in [p for p in (remove_parents or "").split(",") if p]:
                pid = ROOT_ID if pid == "root" else pid
                if pid in target.parents:
                    target.parents.remove(pid)
            for pid in [p for p in (add_parents or "").split(",") if p]:
                resolved = self._resolve_parents([pid])[0]
                if resolved not in target.parents:
                    if target.parents:
                        raise GoogleError(
                            403,
                            "Increasing the number of parents is not allowed.",
                            reason="cannotAddParent",
                        )
                    target.parents.append(resolved)
            if media is not None:
                if target.mime_type in self.hooks:
                    hook = self.hooks[target.mime_type].import_media
                    if hook is None:
                        raise unimplemented(f"Uploading content into {target.mime_type}")
                    hook(fid, target.name, media)
                else:
                    target.content = media.data
            target.modified = now_rfc3339()
            target.version += 1
        return target

    def delete(self, fid: str) -> None:
        target = self.require(fid)
        with self.lock:
            doomed = [fid]
            if target.mime_type == FOLDER:
                doomed += [f.id for f in self.files.values() if fid in f.parents]
            removed = [self.files.pop(d) for d in doomed if d in self.files]
        for gone in removed:
            hooks = self.hooks.get(gone.mime_type)
            if hooks is not None:
                hooks.delete(gone.id)

    def export(self, fid: str, mime: str) -> bytes:
        target = self.require(fid)
        hooks = self.hooks.get(target.mime_type)
        if hooks is None:
            raise GoogleError(403, "Export only supports Docs Editors files.", reason="fileNotExportable")
        return hooks.export(fid, mime)

    def download(self, fid: str) -> DriveFile:
        target = self.require(fid)
        if target.content is None:
            if target.mime_type.startswith("application/vnd.google-apps"):
                raise GoogleError(
                    403,
                    "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
                    reason="fileNotDownloadable",
                )
            return target
        return target

    def create_permission(self, fid: str, body: dict[str, Any]) -> dict[str, Any]:
        target = self.require(fid)
        role, kind = body.get("role"), body.get("type")
        if role not in PERMISSION_ROLES:
            raise bad_request("The permission role field is required and must be valid.", "permission.role")
        if kind not in PERMISSION_TYPES:
            raise bad_request("The permission type field is required and must be valid.", "permission.type")
        if kind in ("user", "group") and not body.get("emailAddress"):
            raise bad_request(
                "The permission emailAddress field is required for type user or group.", "permission.emailAddress"
            )
        if kind == "domain" and not body.get("domain"):
            raise bad_request("The permission domain field is required for type domain.", "permission.domain")
        permission = {"kind": "drive#permission", "id": hex_id(20), "type": kind, "role": role}
        for key in ("emailAddress", "domain", "allowFileDiscovery", "expirationTime"):
            if key in body:
                permission[key] = body[key]
        with self.lock:
            target.permissions.append(permission)
        return permission

    def delete_permission(self, fid: str, permission_id: str) -> None:
        target = self.require(fid)
        with self.lock:
            kept = [p for p in target.permissions if p["id"] != permission_id]
            if len(kept) == len(target.permissions):
                raise not_found(f"Permission not found: {permission_id}.")
            target.permissions = kept

    def readable_by_anyone(self, fid: str) -> DriveFile | None:
        """The file if anyone with its link may read it (an `anyone` permission on it or on a folder above it),
        as Google's image fetcher needs: it carries no user's credentials."""
        with self.lock:
            target = self.files.get(fid)
            seen: set[str] = set()
            current = target
            while current is not None and current.id not in seen:
                if any(p.get("type") == "anyone" for p in current.permissions):
                    return target if target is not None and not target.trashed else None
                seen.add(current.id)
                current = self.files.get(current.parents[0]) if current.parents else None
        return None

    # ---------------------------------------------------------------- snapshot

    def to_json(self) -> dict[str, Any]:
        with self.lock:
            return {"files": [f.to_json() for f in self.files.values()]}

    def load_json(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.files = {f["id"]: DriveFile.from_json(f) for f in data.get("files", [])}


# -------------------------------------------------------------------- the q language

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")|(?P<op>!=|<=|>=|=|<|>|\(|\))|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))"
)


class QueryError(Exception):
    pass


def _tokens(q: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    q = q.strip()
    while pos < len(q):
        found = _TOKEN.match(q, pos)
        if not found or found.end() == pos:
            raise QueryError(q[pos:])
        pos = found.end()
        if found.group("str") is not None:
            raw = found.group("str")[1:-1]
            out.append(("str", re.sub(r"\\(.)", r"\1", raw)))
        elif found.group("op") is not None:
            out.append(("op", found.group("op")))
        else:
            out.append(("word", found.group("word")))
        while pos < len(q) and q[pos].isspace():
            pos += 1
    return out


Matcher = Callable[[DriveFile], bool]


def _prefix_match(name: str, value: str) -> bool:
    name, value = name.lower(), value.lower()
    if not value:
        return True
    return any((i == 0 or not name[i - 1].isalnum()) and name.startswith(value, i) for i in range(len(name)))


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise QueryError("unexpected end")
        self.pos += 1
        return token

    def expr(self) -> Matcher:
        left = self.conj()
        while self.peek() == ("word", "or"):
            self.take()
            right = self.conj()
            left = (lambda a, b: lambda f: a(f) or b(f))(left, right)
        return left

    def conj(self) -> Matcher:
        left = self.unary()
        while self.peek() == ("word", "and"):
            self.take()
            right = self.unary()
            left = (lambda a, b: lambda f: a(f) and b(f))(left, right)
        return left

    def unary(self) -> Matcher:
        if self.peek() == ("word", "not"):
            self.take()
            inner = self.unary()
            return lambda f: not inner(f)
        if self.peek() == ("op", "("):
            self.take()
            inner = self.expr()
            if self.take() != ("op", ")"):
                raise QueryError(")")
            return inner
        return self.term()

    def term(self) -> Matcher:
        first = self.take()
        if first[0] == "str":
            op = self.take()
            target = self.take()
            if op != ("word", "in"):
                raise QueryError(op[1])
            value = ROOT_ID if first[1] == "root" else first[1]
            if target == ("word", "parents"):
                return lambda f: value in f.parents
            if target == ("word", "owners"):
                return lambda f: f.owner == value
            raise UnsupportedQuery(f"'...' in {target[1]}")
        if first[0] != "word":
            raise QueryError(first[1])
        field_name = first[1]
        op = self.take()
        value_token = self.take()
        op_text = op[1]
        value = value_token[1]
        if field_name in ("trashed", "starred"):
            if value not in ("true", "false") or op_text not in ("=", "!="):
                raise QueryError(field_name)
            wanted = value == "true"
            attr = field_name
            return lambda f: (getattr(f, attr) == wanted) == (op_text == "=")
        if value_token[0] != "str":
            raise QueryError(value)
        if field_name in ("name", "mimeType", "description"):
            getter: Callable[[DriveFile], str] = {
                "name": lambda f: f.name,
                "mimeType": lambda f: f.mime_type,
                "description": lambda f: f.description or "",
            }[field_name]
            if op_text == "=":
                return lambda f: getter(f) == value
            if op_text == "!=":
                return lambda f: getter(f) != value
            if op_text == "contains" or op == ("word", "contains"):
                if field_name == "name":
                    return lambda f: _prefix_match(getter(f), value)
                return lambda f: value.lower() in getter(f).lower()
            raise QueryError(op_text)
        if field_name in ("modifiedTime", "createdTime"):
            stamp: Callable[[DriveFile], str] = (
                (lambda f: f.modified) if field_name == "modifiedTime" else (lambda f: f.created)
            )
            compare = {
                "=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
                "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
            }.get(op_text)  # fmt: skip
            if compare is None:
                raise QueryError(op_text)
            return lambda f: bool(compare(stamp(f), value))
        raise UnsupportedQuery(field_name)


class UnsupportedQuery(Exception):
    pass


def compile_query(q: str) -> Matcher:
    if not q.strip():
        return lambda f: True
    try:
        parser = _Parser(_tokens(q))
        matcher = parser.expr()
        if parser.peek() is not None:
            raise QueryError(parser.peek()[1])  # type: ignore[index]
        return matcher
    except UnsupportedQuery as exc:
        raise unimplemented(f"Drive files.list q term {exc}") from None
    except QueryError:
        raise GoogleError(400, "Invalid Value", reason="invalid", details=None) from None
