"""Drive v3 over HTTP: files create/get/list/copy/update/delete/export, permissions create/list/delete, about.get."""

from __future__ import annotations

import base64
from typing import Any

from emulator.drive.models import ROOT_ID, DriveFile, DriveModel
from emulator.errors import GoogleError, bad_request, not_found
from emulator.fields import apply_fields
from emulator.service import Call, Handler, Reply, file_scoped

DEFAULT_FILE_FIELDS = "kind,id,name,mimeType"
DEFAULT_PERMISSION_FIELDS = "kind,id,type,role"
MAX_PAGE_SIZE = 1000


def _file(found: DriveFile, call: Call) -> dict[str, Any]:
    fields = call.query.get("fields") or DEFAULT_FILE_FIELDS
    return apply_fields(found.resource(), fields)  # type: ignore[no-any-return]


def _page_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode())
    except Exception:
        raise bad_request("Invalid Value", "pageToken") from None


def _visible(call: Call, found: DriveFile) -> bool:
    """Under drive.file a token sees only what its app created; Drive answers 404 for the rest."""
    return not file_scoped(call.grant) or found.app == call.grant.client


def handlers(drive: DriveModel) -> dict[str, Handler]:
    def require(call: Call, fid: str | None = None) -> DriveFile:
        fid = fid or call.param("fileId")
        found = drive.require(str(fid))
        if not _visible(call, found):
            raise not_found(f"File not found: {fid}.")
        return found

    def check_parents(call: Call, parents: list[str] | str | None) -> None:
        names = parents.split(",") if isinstance(parents, str) else parents or []
        for parent in names:
            if parent.strip() and parent.strip() not in ("root", ROOT_ID):
                require(call, parent.strip())

    def create(call: Call) -> Reply:
        check_parents(call, (call.body or {}).get("parents"))
        created = drive.create(call.body or {}, call.media, call.user)
        return Reply(_file(created, call))

    def get(call: Call) -> Reply:
        found = require(call)
        if call.query.get("alt") == "media":
            content = drive.download(found.id)
            return Reply(content=content.content or b"", content_type=found.mime_type)
        return Reply(_file(found, call))

    def list_files(call: Call) -> Reply:
        page_size = int(call.query.get("pageSize", 100))
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise bad_request("Invalid Value", "pageSize")
        found = [f for f in drive.list(call.query.get("q"), call.query.get("orderBy")) if _visible(call, f)]
        start = _page_token(call.query.get("pageToken"))
        page = found[start : start + page_size]
        body: dict[str, Any] = {
            "kind": "drive#fileList",
            "incompleteSearch": False,
            "files": [f.resource() for f in page],
        }
        if start + page_size < len(found):
            body["nextPageToken"] = base64.urlsafe_b64encode(str(start + page_size).encode()).decode()
        fields = call.query.get("fields") or "kind,incompleteSearch,nextPageToken,files(" + DEFAULT_FILE_FIELDS + ")"
        return Reply(apply_fields(body, fields))

    def copy(call: Call) -> Reply:
        require(call)
        check_parents(call, (call.body or {}).get("parents"))
        return Reply(_file(drive.copy(call.param("fileId"), call.body or {}, call.user), call))

    def update(call: Call) -> Reply:
        require(call)
        check_parents(call, call.query.get("addParents"))
        updated = drive.update(
            call.param("fileId"),
            call.body or {},
            call.query.get("addParents"),
            call.query.get("removeParents"),
            call.media,
        )
        return Reply(_file(updated, call))

    def delete(call: Call) -> Reply:
        require(call)
        drive.delete(call.param("fileId"))
        return Reply(status=204, content=b"")

    def export(call: Call) -> Reply:
        mime = call.query["mimeType"]
        require(call)
        content = drive.export(call.param("fileId"), mime)
        if len(content) > drive.export_limit_bytes:
            raise GoogleError(403, "This file is too large to be exported.", reason="exportSizeLimitExceeded")
        return Reply(content=content, content_type=mime)

    def create_permission(call: Call) -> Reply:
        require(call)
        permission = drive.create_permission(call.param("fileId"), call.body or {})
        return Reply(apply_fields(permission, call.query.get("fields") or DEFAULT_PERMISSION_FIELDS))

    def delete_permission(call: Call) -> Reply:
        drive.delete_permission(call.param("fileId"), call.param("permissionId"))
        return Reply(status=204, content=b"")

    def list_permissions(call: Call) -> Reply:
        found = require(call)
        body = {"kind": "drive#permissionList", "permissions": found.resource()["permissions"]}
        fields = call.query.get("fields") or "kind,nextPageToken,permissions(" + DEFAULT_PERMISSION_FIELDS + ")"
        return Reply(apply_fields(body, fields))

    def list_comments(call: Call) -> Reply:
        # Comments cannot be created here (drive.comments.create is 501), so every file truly has none.
        require(call)
        fields = call.query.get("fields")
        if not fields:
            raise GoogleError(400, "The 'fields' parameter is required for this method.", reason="required")
        return Reply(apply_fields({"kind": "drive#commentList", "comments": []}, fields))

    def about(call: Call) -> Reply:
        fields = call.query.get("fields")
        if not fields:
            raise GoogleError(400, "The 'fields' parameter is required for this method.", reason="required")
        body = {
            "kind": "drive#about",
            "user": {"kind": "drive#user", "displayName": call.user, "emailAddress": call.user, "me": True},
            "storageQuota": {"limit": "16106127360", "usage": "0"},
        }
        return Reply(apply_fields(body, fields))

    return {
        "drive.files.create": create,
        "drive.files.get": get,
        "drive.files.list": list_files,
        "drive.files.copy": copy,
        "drive.files.update": update,
        "drive.files.delete": delete,
        "drive.files.export": export,
        "drive.permissions.create": create_permission,
        "drive.permissions.list": list_permissions,
        "drive.permissions.delete": delete_permission,
        "drive.about.get": about,
        "drive.comments.list": list_comments,
    }
