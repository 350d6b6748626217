"""The console's command forms, declared as data: each field says where its value goes in the
OCPP request payload, so one reader and one template serve every command.

Options come from the generated OCPP 2.0.1 models; the official schema checks the finished
payload before it is sent (ui/dispatch.py), as the REST message API does.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from tourmaline.ocpp.rpc import JsonObject
from tourmaline.ocpp.v201.models.change_availability import OperationalStatusEnumType
from tourmaline.ocpp.v201.models.get_base_report import ReportBaseEnumType
from tourmaline.ocpp.v201.models.get_variables import AttributeEnumType
from tourmaline.ocpp.v201.models.request_start_transaction import IdTokenEnumType
from tourmaline.ocpp.v201.models.reset import ResetEnumType
from tourmaline.ocpp.v201.models.trigger_message import MessageTriggerEnumType
from tourmaline.ui.forms import Form

__all__ = [
    "COMMANDS",
    "SET_VARIABLE",
    "CommandForm",
    "Field",
    "read_payload",
]

# OCPP integer fields are 32-bit in practice; identifierStrings are at most 36 characters.
MAX_INT = 2_147_483_647
_WHOLE_STATION = "Empty: the whole station."


def _random_id() -> str:
    return str(secrets.randbelow(MAX_INT))


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    label: str
    path: str
    kind: Literal["select", "int", "text"] = "text"
    required: bool = False
    options: tuple[str, ...] = ()
    minimum: int = 0
    max_length: int = 1000
    default: Callable[[], str] | None = None
    hint: str | None = None

    def initial(self) -> str:
        if self.default is not None:
            return self.default()
        return self.options[0] if self.kind == "select" and self.required else ""


@dataclass(frozen=True, slots=True)
class CommandForm:
    action: str
    title: str
    description: str
    fields: tuple[Field, ...]

    def initial_form(self) -> Form:
        return Form((field.name, field.initial()) for field in self.fields)


def _options(enum: type[Any]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


def _evse(prefix: str, label: str = "EVSE id") -> tuple[Field, ...]:
    return (
        Field("evse_id", label, f"{prefix}id", "int", hint=_WHOLE_STATION),
        Field("connector_id", "Connector id", f"{prefix}connectorId", "int", minimum=1),
    )


def _component_variable(prefix: str) -> tuple[Field, ...]:
    return (
        Field("component", "Component", f"{prefix}component.name", required=True, max_length=50),
        Field("component_instance", "Component instance", f"{prefix}component.instance",
              max_length=50),
        Field("evse_id", "EVSE id", f"{prefix}component.evse.id", "int"),
        Field("connector_id", "Connector id", f"{prefix}component.evse.connectorId", "int"),
        Field("variable", "Variable", f"{prefix}variable.name", required=True, max_length=50),
        Field("variable_instance", "Variable instance", f"{prefix}variable.instance",
              max_length=50),
        Field("attribute_type", "Attribute type", f"{prefix}attributeType", "select",
              options=_options(AttributeEnumType)),
    )  # fmt: skip


COMMANDS: dict[str, CommandForm] = {
    form.action: form
    for form in (
        CommandForm("Reset", "Reset", "Restart the station or one EVSE.", (
            Field("type", "When", "type", "select", True, _options(ResetEnumType),
                  default=lambda: ResetEnumType.on_idle.value),
            Field("evse_id", "EVSE id", "evseId", "int", hint=_WHOLE_STATION),
        )),
        CommandForm("TriggerMessage", "Trigger message", "Ask the station to send a message now.", (
            Field("requested_message", "Message", "requestedMessage", "select", True,
                  _options(MessageTriggerEnumType)),
            *_evse("evse."),
        )),
        CommandForm("ChangeAvailability", "Change availability",
                    "Make the station, an EVSE or a connector operative or inoperative.", (
            Field("operational_status", "Status", "operationalStatus", "select", True,
                  _options(OperationalStatusEnumType),
                  default=lambda: OperationalStatusEnumType.operative.value),
            *_evse("evse."),
        )),
        CommandForm("UnlockConnector", "Unlock connector", "Release a stuck cable.", (
            Field("evse_id", "EVSE id", "evseId", "int", True, minimum=1),
            Field("connector_id", "Connector id", "connectorId", "int", True, minimum=1),
        )),
        CommandForm("RequestStartTransaction", "Start transaction",
                    "Start charging remotely for an idToken.", (
            Field("id_token", "idToken", "idToken.idToken", required=True, max_length=36),
            Field("id_token_type", "idToken type", "idToken.type", "select", True,
                  _options(IdTokenEnumType), default=lambda: IdTokenEnumType.central.value),
            Field("evse_id", "EVSE id", "evseId", "int", minimum=1),
            Field("remote_start_id", "Remote start id", "remoteStartId", "int", True,
                  default=_random_id),
        )),
        CommandForm("RequestStopTransaction", "Stop transaction",
                    "Stop a running transaction.", (
            Field("transaction_id", "Transaction id", "transactionId", required=True,
                  max_length=36),
        )),
        CommandForm("GetBaseReport", "Get base report",
                    "Ask for a device-model report; its parts update the device model.", (
            Field("report_base", "Report", "reportBase", "select", True,
                  _options(ReportBaseEnumType),
                  default=lambda: ReportBaseEnumType.full_inventory.value),
            Field("request_id", "Request id", "requestId", "int", True, default=_random_id),
        )),
        CommandForm("GetVariables", "Get variables", "Read one variable from the station.",
                    _component_variable("getVariableData.0.")),
    )
}  # fmt: skip

SET_VARIABLE = CommandForm(
    "SetVariables",
    "Set a variable",
    "Send SetVariables to the station; its answer updates the device model.",
    (
        *_component_variable("setVariableData.0."),
        Field("value", "Value", "setVariableData.0.attributeValue", required=True, max_length=1000),
    ),
)


def read_payload(command: CommandForm, form: Form) -> JsonObject | None:
    """The request payload from the submitted form, or None with the problems in `form`."""
    payload: JsonObject = {}
    for field in command.fields:
        value = _read(field, form)
        if value is not None:
            _put(payload, field.path.split("."), value)
    return payload if form.ok else None


def _read(field: Field, form: Form) -> str | int | None:
    if field.kind == "int":
        return form.integer(
            field.name, required=field.required, minimum=field.minimum, maximum=MAX_INT
        )
    if field.kind == "select":
        return form.choice(field.name, field.options, required=field.required)
    return form.text(field.name, required=field.required, max_length=field.max_length)


def _put(payload: JsonObject, path: list[str], value: object) -> None:
    """Set `value` at `path`; a numeric segment is a list index ("getVariableData.0.variable")."""
    node: Any = payload
    for key, following in itertools.pairwise(path):
        child: Any = [] if following.isdigit() else {}
        if isinstance(node, list):
            while len(node) <= int(key):
                node.append(child)
            node = node[int(key)]
        else:
            node = node.setdefault(key, child)
    if isinstance(node, list):
        node.append(value)
    else:
        node[path[-1]] = value
