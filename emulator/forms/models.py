"""Forms state: forms with their items, and the responses submitted to them.

Google offers no API to submit a response, so the emulator has an admin one
(``POST /_emulator/forms/{formId}/responses``); a form can also be linked to a response spreadsheet
(``POST /_emulator/forms/{formId}/link``), after which each submission appends a row starting with
"Dấu thời gian", as Google does for a Vietnamese-locale form.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from emulator.errors import GoogleError, bad_request, not_found, unimplemented
from emulator.fields import mask_paths
from emulator.ids import file_id, hex_id, now_rfc3339

if TYPE_CHECKING:
    from emulator.sheets.models import SheetsModel

TIMESTAMP_HEADER = "Dấu thời gian"
RESPONSES_SHEET = "Câu trả lời biểu mẫu 1"
# What the Forms UI names a linked response sheet, its tab and its first columns, by the user's UI language.
RESPONSE_TAB = {
    "vi": {"tab": "Câu trả lời biểu mẫu", "timestamp": "Dấu thời gian", "email": "Địa chỉ email",
           "responses": "Câu trả lời", "locale": "vi_VN"},
    "en": {"tab": "Form Responses", "timestamp": "Timestamp", "email": "Email Address",
           "responses": "Responses", "locale": "en_US"},
}  # fmt: skip
CHOICE_TYPES = {"RADIO", "CHECKBOX", "DROP_DOWN"}


@dataclass
class Form:
    id: str
    info: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    linked_sheet: str | None = None
    revision: int = 1
    # Forms created through the API after 30 June 2026 start unpublished ("API changes to Google Forms").
    publish_state: dict[str, bool] = field(
        default_factory=lambda: {"isPublished": False, "isAcceptingResponses": False}
    )
    response_sheet: str = ""

    @property
    def accepting(self) -> bool:
        return bool(self.publish_state.get("isPublished") and self.publish_state.get("isAcceptingResponses"))

    @property
    def revision_id(self) -> str:
        return f"{self.revision:08x}"

    def resource(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "formId": self.id,
            "info": copy.deepcopy(self.info),
            "settings": copy.deepcopy(self.settings),
            "revisionId": self.revision_id,
            "responderUri": f"https://docs.google.com/forms/d/e/{self.id}/viewform",
            "publishSettings": {"publishState": dict(self.publish_state)},
        }
        if self.items:
            out["items"] = copy.deepcopy(self.items)
        if self.linked_sheet:
            out["linkedSheetId"] = self.linked_sheet
        return out

    def questions(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(questionId, title as the response sheet shows it, question) in form order."""
        out = []
        for item in self.items:
            if "questionItem" in item:
                question = item["questionItem"]["question"]
                out.append((question["questionId"], item.get("title", ""), question))
            elif "questionGroupItem" in item:
                for question in item["questionGroupItem"].get("questions", []):
                    row_title = (question.get("rowQuestion") or {}).get("title", "")
                    out.append((question["questionId"], f"{item.get('title', '')} [{row_title}]", question))
        return out


def _mask_update(target: dict[str, Any], source: dict[str, Any], mask: str) -> None:
    """Copies the masked fields from `source` (absent there: removed); the mask was checked with the body."""
    if mask == "*":
        target.clear()
        target.update(copy.deepcopy(source))
        return
    for path in mask_paths(mask):
        parts = path.split(".")
        src: Any = source
        dst = target
        for part in parts[:-1]:
            src = src.get(part, {}) if isinstance(src, dict) else {}
            dst = dst.setdefault(part, {})
        if isinstance(src, dict) and parts[-1] in src:
            dst[parts[-1]] = copy.deepcopy(src[parts[-1]])
        else:
            dst.pop(parts[-1], None)


class FormsModel:
    def __init__(self, on_create: Callable[[str, str, str], None], sheets: SheetsModel) -> None:
        self.forms: dict[str, Form] = {}
        self.lock = threading.RLock()
        self._on_create = on_create
        self._sheets = sheets

    def create(self, body: dict[str, Any], owner: str, fid: str | None = None, register: bool = True) -> Form:
        info = dict(body.get("info") or {})
        extra = [k for k in body if k != "info" and body[k]]
        extra += [f"info.{k}" for k in info if k not in ("title", "documentTitle")]
        if extra:
            raise bad_request("Only info.title and info.documentTitle can be set when creating a form; use "
                              f"batchUpdate for the rest (got {', '.join(extra)}).")  # fmt: skip
        info.setdefault("title", "")
        info.setdefault("documentTitle", info["title"] or "Untitled form")
        form = Form(fid or file_id(), info)
        with self.lock:
            self.forms[form.id] = form
        if register:
            self._on_create(form.id, info["documentTitle"], owner)
        return form

    def require(self, fid: str) -> Form:
        with self.lock:
            form = self.forms.get(fid)
        if form is None:
            raise not_found(f"Requested entity was not found. (form {fid})")
        return form

    def copy(self, source: str, target: str, title: str) -> None:
        with self.lock:
            form = copy.deepcopy(self.require(source))
            form.id, form.responses, form.linked_sheet, form.revision = target, [], None, 1
            form.publish_state = {"isPublished": False, "isAcceptingResponses": False}
            form.info["documentTitle"] = title
            self.forms[target] = form

    def rename(self, fid: str, title: str) -> None:
        with self.lock:
            self.require(fid).info["documentTitle"] = title

    def delete(self, fid: str) -> None:
        with self.lock:
            self.forms.pop(fid, None)

    # ------------------------------------------------------------------ batchUpdate

    def batch_update(self, fid: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            form = self.require(fid)
            control = body.get("writeControl") or {}
            wanted = control.get("requiredRevisionId")
            if wanted and wanted != form.revision_id:
                raise bad_request("The required revision ID does not match the latest revision.")
            work = copy.deepcopy(form)
            replies = [self._apply(work, i, request) for i, request in enumerate(body.get("requests") or [])]
            if replies:
                work.revision += 1
            self.forms[fid] = work
            result: dict[str, Any] = {"replies": replies, "writeControl": {"requiredRevisionId": work.revision_id}}
            if body.get("includeFormInResponse"):
                result["form"] = work.resource()
            return result

    def _apply(self, form: Form, i: int, request: dict[str, Any]) -> dict[str, Any]:
        if len(request) != 1:
            raise bad_request(f"Invalid requests[{i}]: exactly one request kind must be set.")
        kind, args = next(iter(request.items()))
        where = f"Invalid requests[{i}].{kind}"
        if kind == "updateFormInfo":
            _mask_update(form.info, args.get("info") or {}, str(args["updateMask"]))
            return {}
        if kind == "updateSettings":
            _mask_update(form.settings, args.get("settings") or {}, str(args["updateMask"]))
            return {}
        if kind == "createItem":
            item = copy.deepcopy(args.get("item") or {})
            index = int((args.get("location") or {}).get("index", -1))
            if not 0 <= index <= len(form.items):
                raise bad_request(f"{where}: location.index {index} is out of range [0, {len(form.items)}].")
            question_ids = self._prepare_item(form, item, where)
            form.items.insert(index, item)
            reply: dict[str, Any] = {"itemId": item["itemId"]}
            if question_ids:
                reply["questionId"] = question_ids
            return {"createItem": reply}
        if kind == "deleteItem":
            index = int((args.get("location") or {}).get("index", -1))
            if not 0 <= index < len(form.items):
                raise bad_request(f"{where}: location.index {index} is out of range.")
            del form.items[index]
            return {}
        if kind == "moveItem":
            source = int((args.get("originalLocation") or {}).get("index", -1))
            target = int((args.get("newLocation") or {}).get("index", -1))
            if not (0 <= source < len(form.items) and 0 <= target < len(form.items)):
                raise bad_request(f"{where}: location index out of range.")
            form.items.insert(target, form.items.pop(source))
            return {}
        if kind == "updateItem":
            index = int((args.get("location") or {}).get("index", -1))
            if not 0 <= index < len(form.items):
                raise bad_request(f"{where}: location.index {index} is out of range.")
            current = form.items[index]
            _mask_update(current, args.get("item") or {}, str(args["updateMask"]))
            self._prepare_item(form, current, where, keep_id=True)
            return {}
        raise unimplemented(f"forms.forms.batchUpdate request kind '{kind}'")

    def _prepare_item(self, form: Form, item: dict[str, Any], where: str, keep_id: bool = False) -> list[str]:
        kinds = [
            k
            for k in ("questionItem", "questionGroupItem", "pageBreakItem", "textItem", "imageItem", "videoItem")
            if k in item
        ]
        if len(kinds) != 1:
            raise bad_request(f"{where}: an item must have exactly one kind (questionItem, textItem, ...).")
        used = {i.get("itemId") for i in form.items} | {q[0] for q in form.questions()}
        if not keep_id or "itemId" not in item:
            if item.get("itemId") in used:
                raise bad_request(f"{where}: item ID {item['itemId']} is already in use.")
            item.setdefault("itemId", hex_id(8))
        questions = []
        if "questionItem" in item:
            questions = [item["questionItem"].setdefault("question", {})]
        elif "questionGroupItem" in item:
            questions = item["questionGroupItem"].get("questions") or []
            if not questions:
                raise bad_request(f"{where}: a question group needs questions.")
        for question in questions:
            if "choiceQuestion" in question:
                choice = question["choiceQuestion"]
                if choice.get("type") not in CHOICE_TYPES:
                    raise bad_request(f"{where}: choiceQuestion.type must be one of RADIO, CHECKBOX, DROP_DOWN.")
                if not choice.get("options"):
                    raise bad_request(f"{where}: choiceQuestion needs at least one option.")
            question.setdefault("questionId", hex_id(8))
        return [q["questionId"] for q in questions]

    def set_publish_settings(self, fid: str, body: dict[str, Any]) -> dict[str, Any]:
        """``forms.setPublishSettings``: both booleans required; accepting while unpublished is refused."""
        with self.lock:
            form = self.require(fid)
            mask = str(body.get("updateMask") or "*")  # checked (and camelCased) with the body
            if not set(mask.split(",")) <= {"*", "publishState"}:
                raise bad_request(f"Invalid update mask: {mask}. Only publish_state or * is allowed.", "updateMask")
            settings = body.get("publishSettings")
            if settings is None:
                raise bad_request("publish_settings is required.", "publishSettings")
            state = settings.get("publishState")
            if not isinstance(state, dict) or "isPublished" not in state or "isAcceptingResponses" not in state:
                raise bad_request(
                    "Both is_published and is_accepting_responses must be set when updating publish_state.",
                    "publishSettings.publishState",
                )
            if state["isAcceptingResponses"] and not state["isPublished"]:
                raise bad_request(
                    "Setting is_accepting_responses to true while is_published is false isn't supported.",
                    "publishSettings.publishState",
                )
            form.publish_state = {
                "isPublished": bool(state["isPublished"]),
                "isAcceptingResponses": bool(state["isAcceptingResponses"]),
            }
            return {"formId": fid, "publishSettings": {"publishState": dict(form.publish_state)}}

    # ------------------------------------------------------------------ responses

    def list_responses(
        self, fid: str, page_size: int, page_token: str | None, filter_text: str | None
    ) -> dict[str, Any]:
        form = self.require(fid)
        with self.lock:
            found = list(form.responses)
        if filter_text:
            found = _filter(found, filter_text)
        start = 0
        if page_token:
            try:
                start = int(page_token.removeprefix("emu-"))
            except ValueError:
                raise bad_request("Invalid page token.", "pageToken") from None
        size = page_size or 5000
        page = found[start : start + size]
        body: dict[str, Any] = {}
        if page:
            body["responses"] = copy.deepcopy(page)
        if start + size < len(found):
            body["nextPageToken"] = f"emu-{start + size}"
        return body

    def get_response(self, fid: str, rid: str) -> dict[str, Any]:
        form = self.require(fid)
        for response in form.responses:
            if response["responseId"] == rid:
                return copy.deepcopy(response)
        raise not_found(f"Response {rid} not found.")

    def submit(self, fid: str, body: dict[str, Any]) -> dict[str, Any]:
        """Admin: submit a response, as a respondent would through the form."""
        with self.lock:
            form = self.require(fid)
            if not form.accepting:
                raise GoogleError(
                    403,
                    f"The form {fid} is not accepting responses (published: "
                    f"{form.publish_state.get('isPublished')}, accepting responses: "
                    f"{form.publish_state.get('isAcceptingResponses')}). Publish it with forms.setPublishSettings.",
                    reason="forbidden",
                )
            questions = form.questions()
            by_key = {q[0]: q for q in questions} | {q[1]: q for q in questions}
            given = body.get("answers") or {}
            if not isinstance(given, dict):
                raise bad_request("answers must map questionId (or question title) to a value or list of values.")
            answers: dict[str, Any] = {}
            values_by_qid: dict[str, list[str]] = {}
            for key, value in given.items():
                question = by_key.get(key)
                if question is None:
                    raise bad_request(f"No question with id or title {key!r} in form {fid}.")
                values = [str(v) for v in (value if isinstance(value, list) else [value])]
                choice = question[2].get("choiceQuestion")
                if choice is not None:
                    allowed = {o.get("value") for o in choice.get("options", [])}
                    other = any(o.get("isOther") for o in choice.get("options", []))
                    if not other and any(v not in allowed for v in values):
                        raise bad_request(f"Answer {values} is not an option of question {question[1]!r}.")
                    if choice.get("type") != "CHECKBOX" and len(values) > 1:
                        raise bad_request(f"Question {question[1]!r} accepts one answer.")
                values_by_qid[question[0]] = values
                answers[question[0]] = {
                    "questionId": question[0],
                    "textAnswers": {"answers": [{"value": v} for v in values]},
                }
            if _collects_email(form) and not body.get("respondentEmail"):
                raise bad_request("This form collects the respondent's email address: give respondentEmail.")
            missing = [q[1] for q in questions if q[2].get("required") and q[0] not in answers]
            if missing:
                raise bad_request("Required questions are unanswered: " + ", ".join(missing))
            stamp = body.get("createTime") or now_rfc3339()
            response: dict[str, Any] = {
                "formId": fid,
                "responseId": "ACYDBN" + hex_id(24),
                "createTime": stamp,
                "lastSubmittedTime": stamp,
                "answers": answers,
            }
            if body.get("respondentEmail"):
                response["respondentEmail"] = body["respondentEmail"]
            form.responses.append(response)
            if form.linked_sheet and form.response_sheet and self._sheets.books.get(form.linked_sheet):
                when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
                values = [", ".join(values_by_qid.get(q[0], [])) for q in questions]
                if _collects_email(form):
                    values.insert(0, str(body.get("respondentEmail", "")))
                self._sheets.append_form_response(form.linked_sheet, form.response_sheet, when, values)
            return copy.deepcopy(response)

    def link_sheet(self, fid: str, body: dict[str, Any], owner: str) -> dict[str, Any]:
        """Admin, standing in for the Forms UI's "Link to Sheets": a new spreadsheet, or a new tab in an existing
        one, named as Google names it in the clerk's UI language ("Câu trả lời biểu mẫu N" / "Form Responses N")."""
        language = str(body.get("language", "vi"))
        if language not in RESPONSE_TAB:
            raise bad_request(f"language must be one of {', '.join(RESPONSE_TAB)}.")
        with self.lock:
            form = self.require(fid)
            words = RESPONSE_TAB[language]
            header = [words["timestamp"]]
            if _collects_email(form):
                header.append(words["email"])
            header += [q[1] for q in form.questions()]
            spreadsheet_id = body.get("spreadsheetId")
            if spreadsheet_id is None:
                title = f"{form.info.get('title') or form.info.get('documentTitle')} ({words['responses']})"
                tab = f"{words['tab']} 1"
                properties = {"title": title, "locale": words["locale"],
                              "timeZone": body.get("timeZone", "Etc/GMT")}  # fmt: skip
                book = self._sheets.create({"properties": properties, "sheets": [{"properties": {"title": tab}}]},
                                           owner)  # fmt: skip
                spreadsheet_id = book.id
            else:
                book = self._sheets.require(spreadsheet_id)
                taken = {s.title for s in book.sheets}
                names = (f"{words['tab']} {n}" for n in range(1, len(taken) + 2))
                tab = next(name for name in names if name not in taken)
                self._sheets.batch_update(
                    spreadsheet_id, {"requests": [{"addSheet": {"properties": {"title": tab, "index": 0}}}]}
                )
            quoted = "'" + tab.replace("'", "''") + "'"
            self._sheets.update_values(spreadsheet_id, f"{quoted}!A1", {"values": [header]}, "RAW")
            form.linked_sheet, form.response_sheet = spreadsheet_id, tab
            return {"formId": fid, "linkedSheetId": spreadsheet_id, "sheet": tab}

    # ------------------------------------------------------------------ snapshot

    def to_json(self) -> dict[str, Any]:
        with self.lock:
            return {"forms": [f.__dict__ for f in self.forms.values()]}

    def load_json(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.forms = {f["id"]: Form(**f) for f in data.get("forms", [])}


def _collects_email(form: Form) -> bool:
    return form.settings.get("emailCollectionType") in ("VERIFIED", "RESPONDER_INPUT")


def _filter(responses: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    parts = text.split()
    if len(parts) != 3 or parts[0] != "timestamp" or parts[1] not in (">", ">="):
        raise bad_request("Invalid filter: only 'timestamp > T' and 'timestamp >= T' are supported.", "filter")
    bound = parts[2]
    if parts[1] == ">":
        return [r for r in responses if r["lastSubmittedTime"] > bound]
    return [r for r in responses if r["lastSubmittedTime"] >= bound]
