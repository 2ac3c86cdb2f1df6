"""Forms v1 over HTTP: forms create/get/batchUpdate, responses list/get."""

from __future__ import annotations

from emulator.forms.models import FormsModel
from emulator.service import Call, Handler, Reply


def handlers(forms: FormsModel) -> dict[str, Handler]:
    def create(call: Call) -> Reply:
        return Reply(forms.create(call.body or {}, call.user).resource())

    def get(call: Call) -> Reply:
        return Reply(forms.require(call.param("formId")).resource())

    def batch_update(call: Call) -> Reply:
        return Reply(forms.batch_update(call.param("formId"), call.body or {}))

    def set_publish_settings(call: Call) -> Reply:
        return Reply(forms.set_publish_settings(call.param("formId"), call.body or {}))

    def list_responses(call: Call) -> Reply:
        return Reply(
            forms.list_responses(
                call.param("formId"),
                int(call.query.get("pageSize", 0)),
                call.query.get("pageToken"),
                call.query.get("filter"),
            )
        )

    def get_response(call: Call) -> Reply:
        return Reply(forms.get_response(call.param("formId"), call.param("responseId")))

    return {
        "forms.forms.create": create,
        "forms.forms.get": get,
        "forms.forms.batchUpdate": batch_update,
        "forms.forms.setPublishSettings": set_publish_settings,
        "forms.forms.responses.list": list_responses,
        "forms.forms.responses.get": get_response,
    }
