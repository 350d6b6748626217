"""Console boot configuration (the data of PUT /data/configuration/boot), commands and setting
a variable through the message API's path, the device-model browser and the message log."""

from __future__ import annotations

import asyncio
import html
import json
import re
from datetime import UTC, datetime

import pytest

from tests.cluster.fakes import FakeLink
from tourmaline.api.deps import ApiDeps
from tourmaline.ocpp.framelog import FrameRecord
from tourmaline.services.boot import BootWrite
from tourmaline.services.stations import StationWrite

from .conftest import Browser

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def station(deps: ApiDeps) -> str:
    await deps.stations.upsert("cp1", StationWrite())
    return "cp1"


def status_region(text: str, action: str) -> str:
    found = re.search(rf'<div id="result-{action}" class="result"[^>]*>(.*?)</div>', text, re.S)
    assert found, f"no result region for {action}"
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(1)))


async def test_boot_form_writes_the_record_and_keeps_fields_it_does_not_show(
    browser: Browser, deps: ApiDeps, station: str
) -> None:
    status_info = {"reasonCode": "Maintenance", "additionalInfo": "site work"}
    await deps.boots.put(
        station,
        BootWrite.model_validate(
            {"status": "Accepted", "statusInfo": status_info, "setVariableIds": [3]}
        ),
    )
    page = await browser.get("/ui/stations/cp1/boot")
    assert '<option value="Accepted" selected>' in page.text

    response = await browser.post(
        "/ui/stations/cp1/boot",
        {"status": "Pending", "get_base_report_on_pending": "on", "heartbeat_interval": "30",
         "boot_retry_interval": ""},
    )  # fmt: skip

    assert response.status_code == 200
    assert "the next BootNotification of cp1 will be answered Pending" in response.text
    boot = await deps.boots.get(station)
    assert boot is not None
    assert boot.model_dump(by_alias=True, include={"status", "heartbeat_interval",
        "boot_retry_interval", "get_base_report_on_pending", "status_info",
        "set_variable_ids"}) == {
        "status": "Pending",
        "heartbeatInterval": 30,
        "bootRetryInterval": None,
        "getBaseReportOnPending": True,
        "statusInfo": status_info,
        "setVariableIds": [3],
    }  # fmt: skip


async def test_unticked_base_report_is_stored_as_false(
    browser: Browser, deps: ApiDeps, station: str
) -> None:
    await browser.post("/ui/stations/cp1/boot", {"status": "Pending"})
    boot = await deps.boots.get(station)
    assert boot is not None and boot.get_base_report_on_pending is False


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"status": "Maybe"}, "status", "Choose one of: Accepted, Pending, Rejected."),
        ({"status": ""}, "status", "Required."),
        ({"heartbeat_interval": "0"}, "heartbeat_interval", "Enter a number from 1 to"),
        ({"boot_retry_interval": "ten"}, "boot_retry_interval", "Enter a whole number."),
    ],
)
async def test_bad_boot_input_is_refused_and_nothing_is_stored(
    browser: Browser, deps: ApiDeps, station: str, form: dict[str, str], field: str, message: str
) -> None:
    response = await browser.post("/ui/stations/cp1/boot", {"status": "Rejected", **form})
    assert response.status_code == 400
    assert re.search(rf'id="{field}-error" class="field-error">{re.escape(message)}', response.text)
    assert await deps.boots.get(station) is None


async def test_a_command_to_an_offline_station_says_so(browser: Browser, station: str) -> None:
    page = await browser.get("/ui/stations/cp1/commands")
    for action in ("Reset", "TriggerMessage", "ChangeAvailability", "UnlockConnector",
                   "RequestStartTransaction", "RequestStopTransaction", "GetBaseReport",
                   "GetVariables"):  # fmt: skip
        assert f'id="command-{action}"' in page.text

    response = await browser.post(
        "/ui/stations/cp1/commands/Reset", {"type": "Immediate"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<article id="command-Reset"')
    assert "No connection found for identifier: 1:cp1" in status_region(response.text, "Reset")


async def test_the_station_answer_is_shown(browser: Browser, deps: ApiDeps, station: str) -> None:
    link = FakeLink("cp1")
    await deps.connections.opened(link)

    async def answer() -> None:
        call = await link.next_call()
        assert (call.action, call.payload) == (
            "TriggerMessage",
            {"requestedMessage": "StatusNotification", "evse": {"id": 1, "connectorId": 2}},
        )
        call.respond({"status": "Rejected"})

    station_side = asyncio.create_task(answer())
    response = await browser.post(
        "/ui/stations/cp1/commands/TriggerMessage",
        {"requested_message": "StatusNotification", "evse_id": "1", "connector_id": "2"},
    )
    await station_side

    region = status_region(response.text, "TriggerMessage")
    assert "TriggerMessage: Rejected" in region
    assert json.loads(region.split("Answer of the station", 1)[1]) == {"status": "Rejected"}


async def test_input_the_schema_refuses_is_not_sent(
    browser: Browser, deps: ApiDeps, station: str
) -> None:
    link = FakeLink("cp1")
    await deps.connections.opened(link)
    # A connector without its EVSE: the form accepts each field, the OCPP schema does not.
    response = await browser.post(
        "/ui/stations/cp1/commands/ChangeAvailability",
        {"operational_status": "Inoperative", "connector_id": "1"},
    )
    assert response.status_code == 400
    assert "Not sent: the OCPP schema refuses this request." in response.text
    assert "$.evse" in status_region(response.text, "ChangeAvailability")
    missing = await browser.post("/ui/stations/cp1/commands/UnlockConnector", {"evse_id": "1"})
    assert missing.status_code == 400
    assert 'id="UnlockConnector-connector_id-error" class="field-error">Required.' in missing.text
    assert link.calls == []
    unknown = await browser.post("/ui/stations/cp1/commands/DeleteEverything", {})
    assert unknown.status_code == 404


async def test_set_variable_sends_set_variables_and_shows_the_answer(
    browser: Browser, deps: ApiDeps, station: str
) -> None:
    link = FakeLink("cp1")
    await deps.connections.opened(link)

    async def answer() -> None:
        call = await link.next_call()
        assert call.action == "SetVariables"
        assert call.payload == {
            "setVariableData": [
                {
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                    "attributeType": "Actual",
                    "attributeValue": "120",
                }
            ]
        }
        data = call.payload["setVariableData"][0]
        result = {"attributeStatus": "RebootRequired", "component": data["component"],
                  "variable": data["variable"]}  # fmt: skip
        call.respond({"setVariableResult": [result]})

    form = await browser.get(
        "/ui/stations/cp1/device-model/set",
        params={"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval",
                "attribute_type": "Actual", "value": "60", "unrelated": "x"},
    )  # fmt: skip
    assert 'name="variable" type="text" value="HeartbeatInterval"' in form.text
    station_side = asyncio.create_task(answer())
    response = await browser.post(
        "/ui/stations/cp1/device-model/set",
        {"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval",
         "attribute_type": "Actual", "value": "120"},
    )  # fmt: skip
    await station_side

    assert "SetVariables: RebootRequired" in status_region(response.text, "SetVariables")
    # The value may have been a secret: it is not sent back.
    assert 'value="120"' not in response.text


async def test_device_model_browser_searches_and_offers_set_for_writable_variables(
    browser: Browser, deps: ApiDeps, station: str
) -> None:
    assert deps.device_model is not None
    report = [
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"},
         "variableAttribute": [{"value": "60", "mutability": "ReadWrite"}]},
        {"component": {"name": "ChargingStation"}, "variable": {"name": "Model"},
         "variableAttribute": [{"value": "X1", "mutability": "ReadOnly"}]},
        {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"},
         "variableAttribute": [{"value": "DbkTu048=xueA69@-dB94hjV*fGdyQOzgVuhhH1L",
                                "mutability": "WriteOnly"}]},
    ]  # fmt: skip
    await deps.device_model.apply_report(station, report, T0)

    page = await browser.get("/ui/stations/cp1/device-model")
    assert "3 attributes" in page.text
    assert "DbkTu048" not in page.text
    assert "<em>secret</em>" in page.text
    assert 'aria-label="Set OCPPCommCtrlr HeartbeatInterval"' in page.text
    assert 'aria-label="Set ChargingStation Model"' not in page.text
    searched = await browser.get(
        "/ui/stations/cp1/device-model", params={"q": "model"}, headers={"HX-Request": "true"}
    )
    assert searched.text.lstrip().startswith('<div id="device-model-table"')
    assert "1 attribute matching" in searched.text
    assert "HeartbeatInterval" not in searched.text


async def test_message_log_page_filters_frames_newest_first(
    browser: Browser, deps: ApiDeps, writer: object, station: str
) -> None:
    frames = [
        FrameRecord("cp1", "cs", '[2,"1","Heartbeat",{}]', T0, 2, "1", "Heartbeat"),
        FrameRecord("cp1", "csms", '[3,"1",{"currentTime":"x"}]', T0, 3, "1", "Heartbeat"),
        FrameRecord("cp1", "cs", '[2,"2","StatusNotification",{}]', T0, 2, "2",
                    "StatusNotification"),
        FrameRecord("other", "cs", '[2,"9","Heartbeat",{}]', T0, 2, "9", "Heartbeat"),
    ]  # fmt: skip
    for frame in frames:
        deps.connections.frame(frame)
    await writer.flush()  # type: ignore[attr-defined]

    page = await browser.get("/ui/stations/cp1/messages")
    assert re.findall(r"<td>(Heartbeat|StatusNotification)</td>", page.text) == [
        "StatusNotification",
        "Heartbeat",
        "Heartbeat",
    ]
    assert 'data-events="/ui/events?station=cp1&amp;frames=1"' in page.text
    filtered = await browser.get(
        "/ui/stations/cp1/messages", params={"action": "Heartbeat", "origin": "csms"}
    )
    assert re.findall(r"<td>(CSMS → station|Station → CSMS)</td>", filtered.text) == [
        "CSMS → station"
    ]
    unknown = await browser.get("/ui/stations/cp1/messages", params={"action": "Nope"})
    assert unknown.status_code == 400
