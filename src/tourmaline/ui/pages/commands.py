"""Commands to a station (issue 6, item 4): Reset, TriggerMessage, ChangeAvailability,
UnlockConnector, RequestStart/StopTransaction, GetBaseReport and GetVariables, each with the
station's answer shown next to its form."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import APIRouter, Request
from starlette.responses import Response

from tourmaline.api.deps import ApiDeps
from tourmaline.ui.command_forms import COMMANDS, CommandForm, read_payload
from tourmaline.ui.deps import ConsoleDeps, station_context
from tourmaline.ui.dispatch import Answer, schema_problems, send_and_wait
from tourmaline.ui.forms import Form, read_form
from tourmaline.ui.render import ConsoleError, page

__all__ = ["CommandState", "router", "submit_command"]

log = structlog.get_logger(__name__)

router = APIRouter()

CommandState = dict[str, Any]


def command_state(command: CommandForm, form: Form | None = None) -> CommandState:
    return {"command": command, "form": form or command.initial_form(), "answer": None}


async def submit_command(
    deps: ApiDeps, station_id: str, command: CommandForm, form: Form
) -> tuple[CommandState, int]:
    """Read the form, send the call, and return what to show with its HTTP status: 400 for
    input the form or the OCPP schema refuses (nothing sent)."""
    state = command_state(command, form)
    payload = read_payload(command, form)
    problems = [] if payload is None else schema_problems(deps, command.action, payload)
    if payload is None or problems:
        state["problems"] = problems
        return state, 400
    answer: Answer = await send_and_wait(deps, station_id, command.action, payload)
    log.info("console.command", station_id=station_id, action=command.action, ok=answer.ok)
    state["answer"] = answer
    return state, 200


@router.get("/stations/{station_id}/commands")
async def commands_page(request: Request, deps: ConsoleDeps, station_id: str) -> Response:
    context = await station_context(deps, station_id)
    states = [command_state(command) for command in COMMANDS.values()]
    return page(request, "commands.html", {**context, "tab": "commands", "states": states})


@router.post("/stations/{station_id}/commands/{action}")
async def send_command(
    request: Request, deps: ConsoleDeps, station_id: str, action: str
) -> Response:
    form = await read_form(request)
    command = COMMANDS.get(action)
    if command is None:
        raise ConsoleError(404, "Unknown command", f"The console cannot send {action!r}.")
    context = await station_context(deps, station_id)
    state, status = await submit_command(deps, station_id, command, form)
    states = [state if c is command else command_state(c) for c in COMMANDS.values()]
    context = {**context, "tab": "commands", "states": states, "state": state}
    return page(request, "commands.html", {**context, "fragment": "_command.html"}, status)
