"""The seed's Pending boot story over real sockets: PUT boot Pending → Pending answer →
GetBaseReport → NotifyReport parts → the next boot is Accepted (interface.md §4.2, §4.4), and
Pending/Rejected gating in both directions (§4.5)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.helpers import running
from tourmaline.db.models import ReportRequest
from tourmaline.runtime import Runtime, build_runtime
from tourmaline.services.boot import BootWrite
from tourmaline.sim.station import SimulatedStation

from .conftest import OPEN, StationFactory, expect_error, make_settings

TRIGGER = "/ocpp/2.0.1/configuration/triggerMessage"
GET_BASE_REPORT = "/ocpp/2.0.1/reporting/getBaseReport"
RESET = "/ocpp/2.0.1/configuration/reset"


@pytest.fixture
def ocpp_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
async def runtime(database_url: str, ocpp_overrides: dict[str, Any]) -> AsyncIterator[Runtime]:
    async with running(build_runtime(make_settings(database_url, **ocpp_overrides))) as rt:
        yield rt


class ReportingStation:
    """A simulated station that answers GetBaseReport with `answer` and hands the requestIds
    to the test, which then sends the NotifyReport parts it wants."""

    def __init__(self, station: SimulatedStation, answer: str = "Accepted") -> None:
        self.station = station
        self.answer = answer
        self.requests: asyncio.Queue[int] = asyncio.Queue()
        station.on("GetBaseReport", self._on_get_base_report)

    def _on_get_base_report(self, payload: dict[str, Any]) -> dict[str, Any]:
        assert payload["reportBase"] == "FullInventory"
        self.requests.put_nowait(payload["requestId"])
        return {"status": self.answer}

    async def next_request_id(self) -> int:
        return await asyncio.wait_for(self.requests.get(), 5)

    async def part(self, request_id: int, seq_no: int, *, tbc: bool) -> dict[str, Any]:
        return await self.station.call("NotifyReport", _part(request_id, seq_no, tbc))


def _part(request_id: int, seq_no: int, tbc: bool) -> dict[str, Any]:
    return {
        "requestId": request_id,
        "generatedAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "seqNo": seq_no,
        "tbc": tbc,
        "reportData": [
            {
                "component": {"name": "ChargingStation"},
                "variable": {"name": f"Variable{seq_no}"},
                "variableAttribute": [{"type": "Actual", "value": str(seq_no)}],
                "variableCharacteristics": {"dataType": "string", "supportsMonitoring": False},
            }
        ],
    }


async def put_boot(api: httpx.AsyncClient, station_id: str, **fields: Any) -> None:
    response = await api.put(
        "/data/configuration/boot", params={"stationId": station_id}, json=fields
    )
    assert response.status_code == 200, response.text


async def boot_record(api: httpx.AsyncClient, station_id: str) -> dict[str, Any]:
    response = await api.get("/data/configuration/boot", params={"stationId": station_id})
    body: dict[str, Any] = response.json()
    return body


async def report_row(runtime: Runtime, station_id: str, request_id: int) -> ReportRequest:
    async with runtime.sessionmaker() as session:
        row = await session.scalar(
            select(ReportRequest).where(
                ReportRequest.station_id == station_id, ReportRequest.request_id == request_id
            )
        )
    assert row is not None
    return row


async def eventually_state(runtime: Runtime, station_id: str, request_id: int, state: str) -> None:
    for _ in range(200):
        if (await report_row(runtime, station_id, request_id)).state == state:
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"report {request_id} never became {state}")


async def pending_station(
    connect: StationFactory, api: httpx.AsyncClient, station_id: str, answer: str = "Accepted"
) -> tuple[ReportingStation, int]:
    """The seed's first steps: PUT boot Pending, boot, receive the GetBaseReport."""
    await put_boot(api, station_id, status="Pending")
    reporting = ReportingStation(await connect(station_id), answer)
    booted = await reporting.station.boot()
    assert (booted["status"], booted["interval"]) == ("Pending", 15)
    return reporting, await reporting.next_request_id()


# -- the seed story (§4.4) ---------------------------------------------------------------------


async def test_full_report_makes_the_next_boot_accepted(
    connect: StationFactory, api: httpx.AsyncClient, runtime: Runtime
) -> None:
    reporting, request_id = await pending_station(connect, api, "cp001")

    assert await reporting.part(request_id, 0, tbc=True) == {}
    assert await reporting.part(request_id, 1, tbc=True) == {}
    assert await reporting.part(request_id, 2, tbc=False) == {}

    record = await boot_record(api, "cp001")
    assert record["status"] == "Accepted"
    assert record["getBaseReportOnPending"] is False
    assert (await report_row(runtime, "cp001", request_id)).state == "complete"
    stored = await api.get(
        "/data/monitoring/variableAttribute",
        params={"stationId": "cp001", "variable_name": "Variable1"},
    )
    assert [attribute["value"] for attribute in stored.json()] == ["1"]
    assert (await reporting.station.boot())["status"] == "Accepted"
    assert "currentTime" in await reporting.station.heartbeat()


async def test_out_of_order_and_duplicate_parts_complete_once_all_are_seen(
    connect: StationFactory, api: httpx.AsyncClient, runtime: Runtime
) -> None:
    reporting, request_id = await pending_station(connect, api, "cp-ooo")

    assert await reporting.part(request_id, 2, tbc=False) == {}
    assert await reporting.part(request_id, 0, tbc=True) == {}
    assert await reporting.part(request_id, 0, tbc=True) == {}
    assert (await boot_record(api, "cp-ooo"))["status"] == "Pending"
    assert await reporting.part(request_id, 1, tbc=True) == {}

    row = await report_row(runtime, "cp-ooo", request_id)
    assert (row.state, row.seq_nos) == ("complete", [0, 1, 2])
    assert (await reporting.station.boot())["status"] == "Accepted"


async def test_a_missing_part_keeps_the_report_open_and_nothing_new_is_sent(
    connect: StationFactory, api: httpx.AsyncClient, runtime: Runtime
) -> None:
    reporting, request_id = await pending_station(connect, api, "cp-gap")
    await reporting.part(request_id, 0, tbc=True)
    await reporting.part(request_id, 2, tbc=False)

    again = await reporting.station.boot()

    assert again["status"] == "Pending"
    assert (await report_row(runtime, "cp-gap", request_id)).state == "accepted"
    # A new flow writes its row before the Pending answer is sent.
    async with runtime.sessionmaker() as session:
        request_ids = list(await session.scalars(select(ReportRequest.request_id)))
    assert request_ids == [request_id]


async def test_empty_result_set_completes_the_report(
    connect: StationFactory, api: httpx.AsyncClient, runtime: Runtime
) -> None:
    reporting, request_id = await pending_station(connect, api, "cp-empty", "EmptyResultSet")

    await eventually_state(runtime, "cp-empty", request_id, "complete")

    assert (await reporting.station.boot())["status"] == "Accepted"


async def test_a_rejected_request_fails_and_the_next_boot_starts_a_new_flow(
    connect: StationFactory, api: httpx.AsyncClient, runtime: Runtime
) -> None:
    reporting, first_id = await pending_station(connect, api, "cp-no", "Rejected")
    await eventually_state(runtime, "cp-no", first_id, "failed")
    reporting.answer = "Accepted"

    again = await reporting.station.boot()

    assert again["status"] == "Pending"
    second_id = await reporting.next_request_id()
    assert second_id != first_id
    await reporting.part(second_id, 0, tbc=False)
    assert (await reporting.station.boot())["status"] == "Accepted"


async def test_a_callerror_answer_fails_the_report(
    connect: StationFactory, api: httpx.AsyncClient, runtime: Runtime
) -> None:
    await put_boot(api, "cp-err", status="Pending")
    station = await connect("cp-err")  # no GetBaseReport handler: the simulator answers CALLERROR
    await station.boot()

    await eventually_state(runtime, "cp-err", 1, "failed")


@pytest.mark.parametrize("ocpp_overrides", [{"report_inactivity_timeout": 0.3}])
async def test_inactivity_fails_the_report_and_the_next_boot_retries(
    connect: StationFactory, api: httpx.AsyncClient, runtime: Runtime
) -> None:
    reporting, first_id = await pending_station(connect, api, "cp-slow")
    await reporting.part(first_id, 0, tbc=True)

    await eventually_state(runtime, "cp-slow", first_id, "failed")

    assert (await reporting.station.boot())["status"] == "Pending"
    assert await reporting.next_request_id() != first_id


@pytest.mark.parametrize("ocpp_overrides", [{"boot_report_accept_any_request_id": True}])
async def test_any_request_id_counts_towards_the_boot_report_when_configured(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    reporting, _ = await pending_station(connect, api, "cp-zero")

    assert await reporting.part(0, 0, tbc=False) == {}

    assert (await reporting.station.boot())["status"] == "Accepted"


async def test_message_api_get_base_report_is_tracked_under_the_callers_request_id(
    connect: StationFactory, api: httpx.AsyncClient, runtime: Runtime
) -> None:
    reporting = ReportingStation(await connect("cp-api"))
    await reporting.station.boot()

    response = await api.post(
        GET_BASE_REPORT,
        params={"identifier": "cp-api", "wait": "true"},
        json={"requestId": 77, "reportBase": "FullInventory"},
    )
    assert response.json()[0]["payload"] == {"status": "Accepted"}
    await reporting.part(77, 0, tbc=False)

    row = await report_row(runtime, "cp-api", 77)
    assert (row.purpose, row.state) == ("api", "complete")


async def test_a_part_with_an_unknown_request_id_is_answered_when_accepted(
    connect: StationFactory,
) -> None:
    reporting = ReportingStation(await connect("cp-unknown"))
    await reporting.station.boot()

    assert await reporting.part(4242, 0, tbc=False) == {}


# -- gating (§4.5) -----------------------------------------------------------------------------


async def test_pending_station_may_not_send_a_heartbeat_or_a_foreign_report(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    reporting, request_id = await pending_station(connect, api, "cp-gated")

    heartbeat = await expect_error(reporting.station, "Heartbeat", {})
    foreign = await expect_error(reporting.station, "NotifyReport", _part(request_id + 1, 0, False))

    assert (heartbeat.code, heartbeat.description) == (
        "SecurityError",
        "Action Heartbeat not allowed",
    )
    assert (foreign.code, foreign.description) == (
        "SecurityError",
        "Action NotifyReport not allowed",
    )


async def test_rejected_station_may_only_boot(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    await put_boot(api, "cp-rej", status="Rejected")
    station = await connect("cp-rej")
    assert (await station.boot())["status"] == "Rejected"

    error = await expect_error(station, "Heartbeat", {})

    assert (error.code, error.description) == ("SecurityError", "Action Heartbeat not allowed")
    assert (await station.boot())["status"] == "Rejected"


async def test_gating_is_lifted_by_an_accepted_boot(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    await put_boot(api, "cp-lift", status="Rejected")
    station = await connect("cp-lift")
    await station.boot()
    await put_boot(api, "cp-lift", status="Accepted")

    assert (await station.boot())["status"] == "Accepted"
    assert "currentTime" in await station.heartbeat()


async def test_gating_survives_a_reconnect(connect: StationFactory, api: httpx.AsyncClient) -> None:
    await put_boot(api, "cp-again", status="Rejected")
    first = await connect("cp-again")
    await first.boot()
    await first.close()

    second = await connect("cp-again")
    error = await expect_error(second, "Heartbeat", {})

    assert error.code == "SecurityError"


async def test_an_accepted_trigger_opens_a_window_for_one_message(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    reporting, _ = await pending_station(connect, api, "cp-trig")
    reporting.station.on("TriggerMessage", lambda payload: {"status": "Accepted"})

    response = await api.post(
        TRIGGER,
        params={"identifier": "cp-trig", "wait": "true"},
        json={"requestedMessage": "Heartbeat"},
    )
    assert response.json()[0]["payload"] == {"status": "Accepted"}

    assert "currentTime" in await reporting.station.heartbeat()
    assert (await expect_error(reporting.station, "Heartbeat", {})).code == "SecurityError"


async def test_an_evse_wide_status_trigger_admits_several_messages(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    reporting, _ = await pending_station(connect, api, "cp-evse")
    reporting.station.on("TriggerMessage", lambda payload: {"status": "Accepted"})
    await api.post(
        TRIGGER,
        params={"identifier": "cp-evse", "wait": "true"},
        json={"requestedMessage": "StatusNotification"},
    )

    assert await reporting.station.status_notification(1, 1, "Available") == {}
    assert await reporting.station.status_notification(2, 1, "Available") == {}


async def test_a_refused_trigger_opens_nothing(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    reporting, _ = await pending_station(connect, api, "cp-notrig")
    reporting.station.on("TriggerMessage", lambda payload: {"status": "Rejected"})
    await api.post(
        TRIGGER,
        params={"identifier": "cp-notrig", "wait": "true"},
        json={"requestedMessage": "Heartbeat"},
    )

    assert (await expect_error(reporting.station, "Heartbeat", {})).code == "SecurityError"


async def test_rejected_station_gets_only_a_boot_trigger(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    await put_boot(api, "cp-out", status="Rejected")
    station = await connect("cp-out")
    await station.boot()
    station.on("TriggerMessage", lambda payload: {"status": "Accepted"})
    station.on("Reset", lambda payload: {"status": "Accepted"})

    reset = await api.post(
        RESET, params={"identifier": "cp-out", "wait": "true"}, json={"type": "Immediate"}
    )
    trigger = await api.post(
        TRIGGER,
        params={"identifier": "cp-out", "wait": "true"},
        json={"requestedMessage": "BootNotification"},
    )

    assert reset.json() == [
        {
            "success": False,
            "payload": (
                "Station cp-out is Rejected; only TriggerMessage(BootNotification) may be sent"
            ),
        }
    ]
    assert trigger.json()[0]["payload"] == {"status": "Accepted"}
    assert [action for action, _ in station.received_calls] == ["TriggerMessage"]


async def test_pending_station_may_be_configured(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    reporting, _ = await pending_station(connect, api, "cp-conf")
    reporting.station.on("Reset", lambda payload: {"status": "Accepted"})

    reset = await api.post(
        RESET, params={"identifier": "cp-conf", "wait": "true"}, json={"type": "OnIdle"}
    )

    assert reset.json()[0]["payload"] == {"status": "Accepted"}


async def test_report_progress_and_gating_survive_a_restart(database_url: str) -> None:
    settings = make_settings(database_url)
    first = build_runtime(settings)
    await first.start(serve_api=False)
    try:
        await first.boots.put("cp-restart", BootWrite.model_validate({"status": "Pending"}))
        async with SimulatedStation(first.station_url(OPEN, "cp-restart"), "cp-restart") as one:
            reporting = ReportingStation(one)
            await one.boot()
            request_id = await reporting.next_request_id()
            await reporting.part(request_id, 0, tbc=True)
    finally:
        await first.stop()

    second = build_runtime(settings)
    await second.start(serve_api=False)
    try:
        async with SimulatedStation(second.station_url(OPEN, "cp-restart"), "cp-restart") as two:
            assert (await expect_error(two, "Heartbeat", {})).code == "SecurityError"
            assert await ReportingStation(two).part(request_id, 1, tbc=False) == {}
            assert (await two.boot())["status"] == "Accepted"
    finally:
        await second.stop()
