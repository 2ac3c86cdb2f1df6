"""The discovery documents shipped with google-api-python-client, as the emulator's contract.

Routes a request to its discovery method (by HTTP method and path) and validates path parameters, query
parameters and JSON bodies against the method's schema, answering with Google's 400 shapes. One generic
validator serves every API, so the emulator is exactly as strict as the documents it ships with.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import googleapiclient

from emulator.errors import GoogleError, bad_request
from emulator.fields import MaskError, check_mask, check_update_mask, refuse_spaces

API_DOCUMENTS = ("sheets.v4", "docs.v1", "drive.v3", "gmail.v1", "forms.v1")
DOCUMENTS_DIR = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"


@dataclass(frozen=True)
class Method:
    """One discovery method: its id, where it lives, and what it accepts."""

    id: str
    api: str
    http_method: str
    path: str
    parameters: dict[str, Any]
    request_ref: str | None
    response_ref: str | None
    scopes: tuple[str, ...]
    upload: bool
    doc: ApiDocument = field(repr=False, compare=False, hash=False)
    max_upload: int | None = None  # the discovery document's mediaUpload.maxSize, in bytes


def _bytes(size: str | None) -> int | None:
    """A discovery maxSize ("36700160", "5120GB", "10MB") in bytes."""
    if not size:
        return None
    units = {"KB": 2**10, "MB": 2**20, "GB": 2**30, "TB": 2**40}
    for suffix, factor in units.items():
        if size.upper().endswith(suffix):
            return int(float(size[: -len(suffix)]) * factor)
    return int(size)


@dataclass
class Route:
    method: Method
    regex: re.Pattern[str]
    names: list[str]
    literal_length: int
    upload: bool


@dataclass(frozen=True)
class Match:
    method: Method
    path_params: dict[str, str]
    upload: bool


class ApiDocument:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.name: str = raw["name"]
        self.host = urllib.parse.urlparse(raw["rootUrl"]).netloc
        self.service_path: str = raw["servicePath"]
        self.schemas: dict[str, Any] = raw["schemas"]
        self.global_parameters: dict[str, Any] = raw.get("parameters", {})
        self.methods: dict[str, Method] = {}
        self._collect(raw)
        # Query parameters some method of the API defines, by name: legacy Drive accepts (and ignores) them on
        # the other methods too — gspread sends includeItemsFromAllDrives to files.get and Drive answers 200.
        self.api_wide_parameters: dict[str, Any] = {}
        for method in self.methods.values():
            for name, spec in method.parameters.items():
                if spec.get("location") == "query":
                    self.api_wide_parameters.setdefault(name, spec)

    def _collect(self, resource: dict[str, Any]) -> None:
        for desc in resource.get("methods", {}).values():
            method = Method(
                id=desc["id"],
                api=self.name,
                http_method=desc["httpMethod"],
                path=desc.get("flatPath", desc["path"]),
                parameters=desc.get("parameters", {}),
                request_ref=desc.get("request", {}).get("$ref"),
                response_ref=desc.get("response", {}).get("$ref"),
                scopes=tuple(desc.get("scopes", ())),
                upload=bool(desc.get("supportsMediaUpload")),
                doc=self,
                max_upload=_bytes(desc.get("mediaUpload", {}).get("maxSize")),
            )
            self.methods[method.id] = method
        for sub in resource.get("resources", {}).values():
            self._collect(sub)


def _route_for(method: Method, prefix: str, upload: bool) -> Route:
    names: list[str] = []
    pattern = ""
    literal = 0
    for piece in re.split(r"(\{[^}]+\})", prefix + method.path):
        if piece.startswith("{"):
            name = piece[1:-1].lstrip("+")
            names.append(name)
            pattern += "(.+)" if piece.startswith("{+") else "([^/]+?)"
        else:
            pattern += re.escape(piece)
            literal += len(piece)
    return Route(method, re.compile("^" + pattern + "$"), names, literal, upload)


class Registry:
    """All APIs' methods, routable by path."""

    def __init__(self) -> None:
        self.documents: dict[str, ApiDocument] = {}
        self.methods: dict[str, Method] = {}
        self._routes: dict[str, list[Route]] = {}
        for name in API_DOCUMENTS:
            raw = json.loads((DOCUMENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
            doc = ApiDocument(raw)
            self.documents[doc.name] = doc
            for method in doc.methods.values():
                self.methods[method.id] = method
                base = "/" + doc.service_path
                routes = [_route_for(method, base, upload=False)]
                if method.upload:
                    routes.append(_route_for(method, "/upload/" + doc.service_path, upload=True))
                for route in routes:
                    self._routes.setdefault(method.http_method, []).append(route)
        for routes in self._routes.values():
            routes.sort(key=lambda r: -r.literal_length)

    def match(self, http_method: str, raw_path: str) -> Match | None:
        for route in self._routes.get(http_method, []):
            found = route.regex.match(raw_path)
            if found:
                params = {n: urllib.parse.unquote(v) for n, v in zip(route.names, found.groups(), strict=True)}
                return Match(route.method, params, route.upload)
        return None

    def path_exists(self, raw_path: str) -> bool:
        return any(route.regex.match(raw_path) for routes in self._routes.values() for route in routes)


@lru_cache(maxsize=1)
def registry() -> Registry:
    return Registry()


# ---------------------------------------------------------------- parameters


def _coerce_param(name: str, spec: dict[str, Any], value: str) -> Any:
    kind = spec.get("type", "string")
    if kind == "integer":
        try:
            number = int(value)
        except ValueError:
            raise bad_request(f"Invalid value at '{name}' (TYPE_INT32), \"{value}\"", name) from None
        if "minimum" in spec and number < int(spec["minimum"]):
            raise bad_request(f"Invalid value at '{name}': {value} is below the minimum.", name)
        return number
    if kind == "boolean":
        if value.lower() not in ("true", "false", "1", "0"):
            raise bad_request(f"Invalid value at '{name}' (TYPE_BOOL), \"{value}\"", name)
        return value.lower() in ("true", "1")
    if "enum" in spec and value not in spec["enum"]:
        raise bad_request(f"Invalid value at '{name}' (TYPE_ENUM), \"{value}\"", name)
    return value


# APIs whose server ignores a query parameter that the API defines for another method (see ApiDocument).
LENIENT_QUERY_APIS = frozenset({"drive"})


def validate_query(match: Match, query: list[tuple[str, str]]) -> dict[str, Any]:
    """Typed query parameters; unknown names, wrong types and missing required ones are Google's 400s."""
    method = match.method
    known = {**method.doc.global_parameters, **method.parameters}
    typed: dict[str, Any] = {}
    for name, value in query:
        spec = known.get(name)
        if spec is None and method.api in LENIENT_QUERY_APIS:
            spec = method.doc.api_wide_parameters.get(name)
        if spec is None or spec.get("location") == "path":
            raise bad_request(
                f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. '
                f"Field '{name}' could not be found in request message.",
                name,
            )
        coerced = _coerce_param(name, spec, value)
        if spec.get("repeated"):
            typed.setdefault(name, []).append(coerced)
        elif name in typed and typed[name] != coerced:
            raise bad_request(f"Parameter '{name}' given more than once.", name)
        else:
            typed[name] = coerced
    for name, spec in method.parameters.items():
        if spec.get("location") == "path":
            value = match.path_params.get(name, "")
            if not value:
                raise bad_request(f"Missing required path parameter '{name}'.", name)
            pattern = spec.get("pattern")
            if pattern and not re.fullmatch(pattern.lstrip("^").rstrip("$"), value):
                raise bad_request(f"Invalid value for path parameter '{name}': \"{value}\".", name)
        elif spec.get("required") and name not in typed:
            raise bad_request(f"Required parameter '{name}' is missing.", name)
    return typed


# ---------------------------------------------------------------- the fields mask

# Drive v3 answers in the legacy shape, naming the bad field ("Invalid field selection canAddChildren", reason
# invalidParameter at location "fields": Drive's fields-parameter guide; googleworkspace/java-samples#1547). The
# others answer "Request contains an invalid argument." with a BadRequest violation "Error expanding 'fields'
# parameter. Cannot find matching fields for path 'sheets.sheetProperties'." (r-lib/gargle's recorded Sheets
# fixture sheets-spreadsheets-get-bad-field-mask_400; google/google-api-javascript-client#517).
LEGACY_FIELDS_ERROR_APIS = frozenset({"drive"})


def _mask_error(method: Method, text: str, error: MaskError) -> GoogleError:
    if method.api in LEGACY_FIELDS_ERROR_APIS:
        message = error.syntax or f"Invalid field selection {error.name}"
        return GoogleError(400, message, reason="invalidParameter", location=("fields", "parameter"))
    description = error.syntax or (
        f"Error expanding 'fields' parameter. Cannot find matching fields for path '{'.'.join(error.path)}'."
    )
    details = [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": text, "description": description}]}]
    return GoogleError(400, "Request contains an invalid argument.", details=details)


@lru_cache(maxsize=4096)
def _checked_mask(method_id: str, text: str) -> dict[str, Any] | None:
    method = registry().methods[method_id]
    if method.response_ref is None:
        return None
    snake_case = method.api not in LEGACY_FIELDS_ERROR_APIS  # the APIs on Google's newer front end
    if snake_case:
        refuse_spaces(text)  # Drive's legacy parser takes 'title, mimeType' (its fields-parameter guide)
    return check_mask(text, method.doc.schemas, method.response_ref, snake_case)


def validate_fields(method: Method, text: str) -> dict[str, Any] | None:
    """The `fields` mask as a tree of the response's own field names (None: the method has no JSON response);
    a name the response schema lacks, or broken syntax, is Google's 400. Cached: a repeated mask costs a lookup."""
    try:
        return _checked_mask(method.id, text)
    except MaskError as error:
        raise _mask_error(method, text, error) from None


# ---------------------------------------------------------------- bodies

# Fields Google still accepts (and ignores) although the discovery document no longer lists them; real clients
# send them (gspread's share() sends Drive v2's Permission.withLink), so rejecting them would be stricter than Google.
LEGACY_IGNORED_FIELDS: dict[tuple[str, str], frozenset[str]] = {("drive", "Permission"): frozenset({"withLink"})}

_INT_FORMATS = {"int32": "TYPE_INT32", "uint32": "TYPE_UINT32", "int64": "TYPE_INT64", "uint64": "TYPE_UINT64"}


def _unknown(name: str, where: str) -> GoogleError:
    at = f" at '{where}'" if where else ""
    return bad_request(f'Invalid JSON payload received. Unknown name "{name}"{at}: Cannot find field.', where or name)


def _invalid(where: str, proto_type: str, value: Any) -> GoogleError:
    shown = json.dumps(value, ensure_ascii=False)
    return bad_request(f"Invalid value at '{where}' ({proto_type}), {shown}", where)


class BodyValidator:
    def __init__(self, doc: ApiDocument) -> None:
        self.doc = doc

    def validate(self, value: Any, schema: dict[str, Any], where: str) -> None:
        if "$ref" in schema:
            schema = self.doc.schemas[schema["$ref"]]
        kind = schema.get("type", "any")
        if value is None:
            return
        if kind == "object":
            self._object(value, schema, where)
        elif kind == "array":
            if not isinstance(value, list):
                raise _invalid(where, "TYPE_LIST", value)
            for i, item in enumerate(value):
                self.validate(item, schema.get("items", {}), f"{where}[{i}]")
        elif kind == "string":
            self._string(value, schema, where)
        elif kind == "integer":
            proto = _INT_FORMATS.get(schema.get("format", "int32"), "TYPE_INT32")
            if isinstance(value, bool) or not (
                isinstance(value, int)
                or (isinstance(value, float) and value.is_integer())
                or (isinstance(value, str) and re.fullmatch(r"-?\d+", value))
            ):
                raise _invalid(where, proto, value)
        elif kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise _invalid(where, "TYPE_DOUBLE", value)
            if isinstance(value, str):
                try:
                    float(value)
                except ValueError:
                    raise _invalid(where, "TYPE_DOUBLE", value) from None
        elif kind == "boolean" and not isinstance(value, bool):
            raise _invalid(where, "TYPE_BOOL", value)

    def _string(self, value: Any, schema: dict[str, Any], where: str) -> None:
        fmt = schema.get("format")
        if fmt in ("int64", "uint64"):
            if isinstance(value, bool) or not (
                isinstance(value, int) or (isinstance(value, str) and re.fullmatch(r"-?\d+", value))
            ):
                raise _invalid(where, _INT_FORMATS[fmt], value)
            return
        if not isinstance(value, str):
            proto = "TYPE_BYTES" if fmt == "byte" else "TYPE_STRING"
            if "enum" in schema:
                proto = "TYPE_ENUM"
            raise _invalid(where, proto, value)
        if "enum" in schema and value not in schema["enum"]:
            raise _invalid(where, "TYPE_ENUM", value)

    def _object(self, value: Any, schema: dict[str, Any], where: str) -> None:
        if not isinstance(value, dict):
            raise bad_request(
                f"Invalid JSON payload received. Expected an object at '{where}'."
                if where
                else "Invalid JSON payload received. Expected an object.",
                where,
            )
        properties: dict[str, Any] = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for name, item in value.items():
            child = f"{where}.{name}" if where else name
            if name in properties:
                self.validate(item, properties[name], child)
            elif extra is not None:
                self.validate(item, extra, f"{where}[{name}]" if where else name)
            elif name in LEGACY_IGNORED_FIELDS.get((self.doc.name, str(schema.get("id"))), frozenset()):
                continue
            else:
                raise _unknown(name, where)
        root = UPDATE_MASK_ROOTS.get(self.doc.name, {}).get(str(schema.get("id")))
        if root is not None:
            validate_update_mask(self.doc, value, schema, root, where)


# ---------------------------------------------------------------- update masks inside request bodies

#: For each request message holding a FieldMask (`format: google-fieldmask`), the schema the mask names fields of:
#: the root its discovery description says is implied ("The root `cell` is implied", "The fields of CellData").
#: `tests/emulator/test_emulator_update_masks.py` checks that every such message of the three APIs is here.
UPDATE_MASK_ROOTS: dict[str, dict[str, str]] = {
    "sheets": {
        "AppendCellsRequest": "CellData", "RepeatCellRequest": "CellData", "UpdateCellsRequest": "CellData",
        "UpdateBandingRequest": "BandedRange", "UpdateDataSourceRequest": "DataSource",
        "UpdateDeveloperMetadataRequest": "DeveloperMetadata", "UpdateDimensionGroupRequest": "DimensionGroup",
        "UpdateDimensionPropertiesRequest": "DimensionProperties",
        "UpdateEmbeddedObjectBorderRequest": "EmbeddedObjectBorder",
        "UpdateEmbeddedObjectPositionRequest": "OverlayPosition", "UpdateFilterViewRequest": "FilterView",
        "UpdateNamedRangeRequest": "NamedRange", "UpdateProtectedRangeRequest": "ProtectedRange",
        "UpdateSheetPropertiesRequest": "SheetProperties", "UpdateSlicerSpecRequest": "SlicerSpec",
        "UpdateSpreadsheetPropertiesRequest": "SpreadsheetProperties", "UpdateTableRequest": "Table",
    },
    "docs": {
        "UpdateDocumentStyleRequest": "DocumentStyle", "UpdateDocumentTabPropertiesRequest": "TabProperties",
        "UpdateDropdownDefinitionPropertiesRequest": "DropdownDefinitionProperties",
        "UpdateDropdownPropertiesRequest": "DropdownProperties", "UpdateNamedStyleRequest": "NamedStyle",
        "UpdateParagraphStyleRequest": "ParagraphStyle", "UpdateSectionStyleRequest": "SectionStyle",
        "UpdateTableCellStyleRequest": "TableCellStyle", "UpdateTableColumnPropertiesRequest": "TableColumnProperties",
        "UpdateTableRowStyleRequest": "TableRowStyle", "UpdateTextStyleRequest": "TextStyle",
    },
    "forms": {
        "UpdateFormInfoRequest": "Info", "UpdateSettingsRequest": "FormSettings", "UpdateItemRequest": "Item",
        "SetPublishSettingsRequest": "PublishSettings",
    },
}


def mask_property(schema: dict[str, Any]) -> tuple[str, str]:
    """The name and description of a request message's FieldMask property (`fields` or `updateMask`)."""
    for name, spec in schema.get("properties", {}).items():
        if spec.get("format") == "google-fieldmask":
            return name, str(spec.get("description", ""))
    raise KeyError(f"{schema.get('id')} has no FieldMask property")


def mask_required(description: str) -> bool:
    """Google refuses a missing or empty mask where its description says "Required." or "At least one field must
    be specified"; UpdateEmbeddedObjectPosition's lower-case "at least one" holds only with an overlay position."""
    return description.startswith("Required.") or "At least" in description


def star_allowed(description: str) -> bool:
    """`*` ("every field") is accepted where the description offers it: 'A single `"*"` can be used'."""
    return '"*"' in description


@lru_cache(maxsize=4096)
def _canonical_update_mask(api: str, root: str, text: str) -> str:
    return ",".join(check_update_mask(text, registry().documents[api].schemas, root))


def validate_update_mask(doc: ApiDocument, value: dict[str, Any], schema: dict[str, Any], root: str,
                         where: str) -> None:
    """Checks one request's update mask against the schema it updates, before anything in the batch is applied
    (a batch with one bad mask changes nothing), and rewrites it in camelCase so the handlers read one spelling."""
    name, description = mask_property(schema)
    prefix, field = (f"Invalid {where}: ", f"{where}.{name}") if where else ("", name)
    text = value.get(name)
    if not text:
        if mask_required(description):
            raise bad_request(f"{prefix}At least one field must be listed in '{name}'.", field)
        return
    if text == "*":
        if not star_allowed(description):
            raise bad_request(f"{prefix}'*' cannot be used in '{name}' here; list the fields to update.", field)
        return
    try:
        value[name] = _canonical_update_mask(doc.name, root, text)
    except MaskError as error:
        detail = error.syntax or f"Cannot find matching fields for path '{'.'.join(error.path)}' in {root}."
        raise bad_request(f"{prefix}Invalid field mask '{text}'. {detail}", field) from None


def validate_body(method: Method, body: Any) -> None:
    if method.request_ref is None:
        return
    BodyValidator(method.doc).validate(body, {"$ref": method.request_ref}, "")
