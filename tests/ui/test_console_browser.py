"""The seed's operator story in the browser: create a station, set its boot to Pending with a
base report, watch the charger come online, go Pending, report its device model and be
Accepted on its next boot; then set a variable and see the charger receive it."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from playwright.async_api import Page, expect

from tourmaline.sim.station import SimulatedStation

from .conftest import BROWSER_TEST, Console, Shot, StationFactory

pytestmark = BROWSER_TEST

STATION = "cp-console-1"


def report_item(component: str, name: str, value: str, mutability: str) -> dict[str, Any]:
    return {
        "component": {"name": component},
        "variable": {"name": name},
        "variableAttribute": [{"type": "Actual", "value": value, "mutability": mutability}],
        "variableCharacteristics": {"dataType": "integer", "supportsMonitoring": False},
    }


REPORT_PARTS = [
    [report_item("OCPPCommCtrlr", "HeartbeatInterval", "60", "ReadWrite")],
    [report_item("OCPPCommCtrlr", "MessageTimeout", "30", "ReadOnly")],
]


class ReportingCharger:
    """Answers GetBaseReport Accepted and hands the request id to the test."""

    def __init__(self, station: SimulatedStation) -> None:
        self.station = station
        self.requests: asyncio.Queue[int] = asyncio.Queue()
        station.on("GetBaseReport", self._on_get_base_report)

    def _on_get_base_report(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.requests.put_nowait(payload["requestId"])
        return {"status": "Accepted"}

    async def send_report(self) -> None:
        request_id = await asyncio.wait_for(self.requests.get(), 10)
        for seq_no, data in enumerate(REPORT_PARTS):
            part = {
                "requestId": request_id,
                "generatedAt": "2026-11-27T10:00:00Z",
                "seqNo": seq_no,
                "tbc": seq_no < len(REPORT_PARTS) - 1,
                "reportData": data,
            }
            assert await self.station.call("NotifyReport", part) == {}


def row(page: Page, station_id: str) -> Any:
    return page.locator(f'tr[data-station="{station_id}"]')


async def open_tab(page: Page, name: str) -> None:
    await page.get_by_role("navigation", name="Station").get_by_role("link", name=name).click()


async def create_station(page: Page, station_id: str) -> None:
    await page.goto("/ui/stations/new")
    await page.get_by_label("Station id").fill(station_id)
    await page.get_by_label("Minimum security profile").select_option("0")
    await page.get_by_label("No password").check()
    await page.get_by_role("button", name="Add station").click()
    await expect(page.get_by_role("status").first).to_contain_text(f"Station {station_id} added.")


async def test_create_boot_pending_report_and_accept(
    page: Page, console: Console, charger: StationFactory, screenshot: Shot
) -> None:
    await create_station(page, STATION)
    await expect(page.locator("#station-badge")).to_contain_text("Offline")

    await open_tab(page, "Boot")
    await page.get_by_label("Status for the next boot").select_option("Pending")
    await expect(page.get_by_label("Get base report on Pending")).to_be_checked()
    await page.get_by_label("Heartbeat interval (seconds)").fill("30")
    await page.get_by_role("button", name="Save boot configuration").click()
    await expect(page.get_by_role("status").first).to_contain_text("will be answered Pending")
    await screenshot(page, "boot")

    await page.goto("/ui/stations")
    await expect(row(page, STATION)).to_contain_text("Offline")
    await expect(page.locator("#live-status")).to_have_text("Live updates on")
    station = ReportingCharger(await charger(STATION))
    assert (await station.station.boot())["status"] == "Pending"
    # Live, without reloading the page.
    await expect(row(page, STATION)).to_contain_text("Online")
    await expect(row(page, STATION)).to_contain_text("Pending")

    await station.send_report()
    assert (await station.station.boot())["status"] == "Accepted"
    await expect(row(page, STATION)).to_contain_text("Accepted")
    await screenshot(page, "stations")

    await page.get_by_role("link", name=STATION).click()
    await expect(page.locator("#station-live")).to_contain_text("Accepted at")
    await station.station.status_notification(1, 1, "Available")
    await station.station.status_notification(1, 2, "Occupied")
    # The connectors table follows live too.
    await expect(page.locator("#station-live")).to_contain_text("Occupied")
    await screenshot(page, "station")
    await page.set_viewport_size({"width": 390, "height": 844})
    await expect(page.get_by_role("navigation", name="Station")).to_be_visible()
    await screenshot(page, "station-phone")
    await page.set_viewport_size({"width": 1280, "height": 900})
    await open_tab(page, "Device model")
    table = page.locator("#device-model-table")
    await expect(table).to_contain_text("HeartbeatInterval")
    await expect(table).to_contain_text("MessageTimeout")
    await page.get_by_label("Search components and variables").fill("heartbeat")
    await expect(table).not_to_contain_text("MessageTimeout")
    await expect(table).to_contain_text("HeartbeatInterval")
    await screenshot(page, "device-model")


async def test_set_variable_from_the_browser(
    page: Page, console: Console, charger: StationFactory, screenshot: Shot
) -> None:
    station = await charger("cp-console-2")
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def on_set_variables(payload: dict[str, Any]) -> dict[str, Any]:
        received.put_nowait(payload)
        data = payload["setVariableData"][0]
        result = {"attributeStatus": "Accepted", **{k: data[k] for k in ("component", "variable")}}
        return {"setVariableResult": [result]}

    station.on("SetVariables", on_set_variables)
    await station.boot()
    report = {
        "requestId": 1,
        "generatedAt": "2026-11-27T10:00:00Z",
        "seqNo": 0,
        "reportData": REPORT_PARTS[0],
    }
    await console.runtime.device_model.apply_report(
        "cp-console-2", report["reportData"], console.runtime.clock.now()
    )

    await page.goto("/ui/stations/cp-console-2/device-model")
    await page.get_by_role("link", name="Set OCPPCommCtrlr HeartbeatInterval").click()
    await expect(page.get_by_label("Variable", exact=True)).to_have_value("HeartbeatInterval")
    await page.get_by_label("Value").fill("120")
    await page.get_by_role("button", name="Send SetVariables").click()

    result = page.locator("#result-SetVariables")
    await expect(result).to_contain_text("SetVariables: Accepted")
    payload = await asyncio.wait_for(received.get(), 5)
    data = payload["setVariableData"][0]
    assert data["component"] == {"name": "OCPPCommCtrlr"}
    assert data["variable"] == {"name": "HeartbeatInterval"}
    assert data["attributeValue"] == "120"
    await screenshot(page, "set-variable")


async def test_commands_and_live_message_log(
    page: Page, console: Console, charger: StationFactory, screenshot: Shot
) -> None:
    await create_station(page, "cp-console-3")
    await open_tab(page, "Commands")
    reset = page.locator("#command-Reset")
    await reset.get_by_label("When").select_option("Immediate")
    await reset.get_by_role("button", name="Send Reset").click()
    await expect(reset.get_by_role("status")).to_have_text(
        re.compile("No connection found for identifier: 1:cp-console-3")
    )

    await open_tab(page, "Messages")
    await expect(page.locator("#live-status")).to_have_text("Live updates on")
    station = await charger("cp-console-3")
    await station.boot()
    frames = page.locator("#frames")
    await expect(frames.locator("tr").first).to_contain_text("BootNotification")
    await expect(frames).to_contain_text("CSMS → station")
    await expect(page.locator("#station-badge")).to_contain_text("Online")
    await screenshot(page, "messages")

    station.on("TriggerMessage", lambda payload: {"status": "Accepted"})
    await open_tab(page, "Commands")
    trigger = page.locator("#command-TriggerMessage")
    await trigger.get_by_label("Message").select_option("Heartbeat")
    await trigger.get_by_role("button", name="Send TriggerMessage").click()
    await expect(trigger.get_by_role("status")).to_contain_text("TriggerMessage: Accepted")
    assert ("TriggerMessage", {"requestedMessage": "Heartbeat"}) in station.received_calls
    await screenshot(page, "commands")
