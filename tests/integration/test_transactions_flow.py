"""Charging sessions end to end: a simulated station over a real socket, the runtime, the data
and message APIs (interface.md §10.1, §7.4, §8.2). The rules in detail are service tests
(tests/unit/services/test_transactions.py); these check that the pieces are wired together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.helpers import running
from tests.tx_support import at
from tourmaline.runtime import Runtime, build_runtime
from tourmaline.settings import TransactionSettings
from tourmaline.sim.station import ReplyWithCallError

from .conftest import StationFactory, expect_error, make_settings

TOKEN = "04A2B3C4"
TX = "/data/transactions/transaction"
ACCEPTED = {"status": "Accepted"}


@pytest.fixture
async def runtime(migrated_database_url: str) -> AsyncIterator[Runtime]:
    """The shared runtime with a short CostUpdated interval, on an already migrated database
    (cheaper than migrating per test)."""
    settings = make_settings(migrated_database_url).model_copy(
        update={"transactions": TransactionSettings(cost_updated_interval=0.2)}
    )
    async with running(build_runtime(settings)) as rt:
        yield rt


@pytest.fixture(autouse=True)
async def issued_token(api: httpx.AsyncClient) -> None:
    """The operator issues the driver's token (interface.md §8.2 authorization routes)."""
    body = {"idToken": {"idToken": TOKEN, "type": "ISO14443"}, "idTokenInfo": ACCEPTED}
    issued = await api.put(
        "/data/evdriver/authorization", params={"idToken": TOKEN, "type": "ISO14443"}, json=body
    )
    assert issued.status_code == 200, issued.text


async def transaction(api: httpx.AsyncClient, station: str, tx: str) -> dict[str, Any]:
    response = await api.get(TX, params={"stationId": station, "transactionId": tx})
    body: dict[str, Any] = response.json()
    assert body is not None, f"transaction {tx} not stored"
    return body


async def test_a_full_session_is_read_back_through_the_data_api(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    await api.put("/data/transactions/tariff", json={"currency": "EUR", "pricePerKwh": 0.35})
    station = await connect("cp-tx")
    await station.boot()
    common = {"evse_id": 1, "connector_id": 1}
    assert await station.authorize(TOKEN) == ACCEPTED

    started = await station.transaction_event(
        "Started", "s1", 0, id_token=TOKEN, meter_wh=12_000, timestamp=at(0), **common
    )
    for seq in (1, 2):
        wh = 12_000 + seq * 4000
        assert (
            await station.transaction_event(
                "Updated", "s1", seq, meter_wh=wh, timestamp=at(seq * 60)
            )
            == {}
        )
    ended = await station.transaction_event(
        "Ended", "s1", 3, meter_wh=22_000, stopped_reason="EVDisconnected", timestamp=at(180)
    )

    assert started == {"idTokenInfo": ACCEPTED}
    assert ended == {"totalCost": 3.5}
    body = await transaction(api, "cp-tx", "s1")
    assert (body["isActive"], body["stoppedReason"], body["authorizationStatus"]) == (
        False,
        "EVDisconnected",
        "Accepted",
    )
    assert (body["totalKwh"], body["totalCost"], body["durationSeconds"]) == (10.0, 3.5, 180.0)
    assert [e["seqNo"] for e in body["transactionEvents"]] == [0, 1, 2, 3]
    assert len(body["meterValues"]) == 4


async def test_retries_and_an_offline_replay_after_reconnect_are_stored_once(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp-off")
    await station.transaction_event("Started", "r1", 0, evse_id=1, meter_wh=0, timestamp=at(0))
    await station.transaction_event("Started", "r1", 0, evse_id=1, meter_wh=0, timestamp=at(0))
    await station.close()

    # Back online: the queue is replayed out of order, the first event once more.
    again = await connect("cp-off")
    replay = [
        ("Updated", 2, {"meter_wh": 2000}),
        ("Started", 0, {"evse_id": 1, "meter_wh": 0}),
        ("Updated", 1, {"meter_wh": 1000}),
        ("Ended", 3, {"meter_wh": 3000, "stopped_reason": "Local"}),
        ("Updated", 4, {"meter_wh": 3000}),  # after Ended: kept, never reopens
    ]
    for kind, seq, fields in replay:
        await again.transaction_event(
            kind, "r1", seq, offline=True, timestamp=at(seq * 60), **fields
        )

    body = await transaction(api, "cp-off", "r1")
    assert [e["seqNo"] for e in body["transactionEvents"]] == [0, 1, 2, 3, 4]
    assert [e["offline"] for e in body["transactionEvents"]] == [False, True, True, True, True]
    assert (body["isActive"], body["endTime"], body["totalKwh"]) == (
        False,
        "2026-03-04T10:03:00Z",
        3.0,
    )


async def test_a_started_on_a_busy_evse_supersedes_the_stale_session(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp-busy")
    await station.transaction_event("Started", "stale", 0, evse_id=1, timestamp=at(0))

    await station.transaction_event("Started", "fresh", 0, evse_id=1, timestamp=at(600))

    stale = await transaction(api, "cp-busy", "stale")
    assert (stale["isActive"], stale["stoppedReason"], stale["stoppedNote"]) == (
        False,
        "Other",
        "superseded by fresh",
    )
    assert (await transaction(api, "cp-busy", "fresh"))["isActive"] is True


async def test_remote_start_links_the_session_and_remote_stop_and_status_are_recorded(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp-remote")
    station.on("RequestStartTransaction", lambda payload: ACCEPTED)
    station.on("RequestStopTransaction", lambda payload: ACCEPTED)
    station.on(
        "GetTransactionStatus", lambda p: {"ongoingIndicator": False, "messagesInQueue": True}
    )
    wait = {"identifier": "cp-remote", "wait": "true"}

    start = {"idToken": {"idToken": TOKEN, "type": "ISO14443"}, "remoteStartId": 77, "evseId": 1}
    started = await api.post(
        "/ocpp/2.0.1/evdriver/requestStartTransaction", params=wait, json=start
    )
    await station.transaction_event(
        "Started",
        "rs1",
        0,
        evse_id=1,
        id_token=TOKEN,
        remote_start_id=77,
        trigger_reason="RemoteStart",
    )
    stopped = await api.post(
        "/ocpp/2.0.1/evdriver/requestStopTransaction", params=wait, json={"transactionId": "rs1"}
    )
    status = await api.post(
        "/ocpp/2.0.1/transactions/getTransactionStatus", params=wait, json={"transactionId": "rs1"}
    )

    assert [r.json()[0]["success"] for r in (started, stopped, status)] == [True] * 3
    rows = (
        await api.get("/data/transactions/remoteRequests", params={"stationId": "cp-remote"})
    ).json()
    assert [(r["action"], r["transactionId"]) for r in rows] == [
        ("GetTransactionStatus", "rs1"),
        ("RequestStopTransaction", "rs1"),
        ("RequestStartTransaction", "rs1"),
    ]
    body = await transaction(api, "cp-remote", "rs1")
    # GetTransactionStatus said "not ongoing": inactive, but not ended (interface.md §7.4).
    assert (body["remoteStartId"], body["isActive"], body["endTime"]) == (77, False, None)


async def test_answers_to_the_other_remote_commands_are_stored_under_their_action(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp-answers")
    sent = [
        (
            "configuration/changeAvailability",
            "ChangeAvailability",
            {"operationalStatus": "Inoperative"},
        ),
        ("evdriver/clearCache", "ClearCache", {}),
        ("evdriver/unlockConnector", "UnlockConnector", {"evseId": 1, "connectorId": 1}),
    ]
    answers = {"ChangeAvailability": ACCEPTED, "ClearCache": ACCEPTED}
    answers["UnlockConnector"] = {"status": "Unlocked"}
    for action, answer in answers.items():
        station.on(action, lambda payload, answer=answer: answer)
    wait = {"identifier": "cp-answers", "wait": "true"}

    for path, _, body in sent:
        reply = await api.post(f"/ocpp/2.0.1/{path}", params=wait, json=body)
        assert reply.json()[0]["success"] is True

    rows = (
        await api.get("/data/transactions/remoteRequests", params={"stationId": "cp-answers"})
    ).json()
    assert sorted((r["action"], r["outcome"], r["response"]) for r in rows) == sorted(
        (action, "Answered", answers[action]) for _, action, _ in sent
    )


async def test_remote_commands_without_a_callresult_are_listed_with_their_outcome(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp-fail")
    never = asyncio.Event()

    def refuse(payload: dict[str, Any]) -> dict[str, Any]:
        raise ReplyWithCallError("NotSupported", "no unlocking here")

    async def silent(payload: dict[str, Any]) -> dict[str, Any]:
        await never.wait()
        return ACCEPTED

    station.on("UnlockConnector", refuse)
    station.on("RequestStartTransaction", silent)
    wait = {"identifier": "cp-fail", "wait": "true", "timeout": "1"}
    start = {"idToken": {"idToken": TOKEN, "type": "ISO14443"}, "remoteStartId": 78, "evseId": 1}
    unlock = {"evseId": 1, "connectorId": 1}
    not_tx_profile = {
        **start,
        "chargingProfile": {
            "id": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": [
                {
                    "id": 1,
                    "chargingRateUnit": "W",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7000}],
                }
            ],
        },
    }

    unlocked = await api.post("/ocpp/2.0.1/evdriver/unlockConnector", params=wait, json=unlock)
    started = await api.post(
        "/ocpp/2.0.1/evdriver/requestStartTransaction", params=wait, json=start
    )
    refused = await api.post(
        "/ocpp/2.0.1/evdriver/requestStartTransaction", params=wait, json=not_tx_profile
    )
    offline = await api.post(
        "/ocpp/2.0.1/evdriver/clearCache", params={**wait, "identifier": "cp-gone"}, json={}
    )
    # The station starts the session after all: a start that timed out is not linked to it.
    await station.transaction_event(
        "Started", "late1", 0, evse_id=1, id_token=TOKEN, remote_start_id=78
    )

    assert [unlocked.status_code, started.status_code, refused.status_code] == [200, 504, 200]
    assert offline.json() == [
        {"success": False, "payload": "No connection found for identifier: 1:cp-gone"}
    ]
    rows = (
        await api.get("/data/transactions/remoteRequests", params={"stationId": "cp-fail"})
    ).json()
    assert [(r["action"], r["outcome"], r["errorCode"], r["transactionId"]) for r in rows] == [
        ("RequestStartTransaction", "NotSent", None, None),
        ("RequestStartTransaction", "Timeout", None, None),
        ("UnlockConnector", "CallError", "NotSupported", None),
    ]
    assert [r["reason"] for r in rows] == [
        "chargingProfile must have chargingProfilePurpose TxProfile, not TxDefaultProfile",
        "Timed out after 1 s",
        "no unlocking here",
    ]
    [gone] = (
        await api.get("/data/transactions/remoteRequests", params={"stationId": "cp-gone"})
    ).json()
    assert (gone["action"], gone["outcome"], gone["reason"]) == (
        "ClearCache",
        "NotSent",
        "No connection found for identifier: 1:cp-gone",
    )
    assert (await transaction(api, "cp-fail", "late1"))["remoteStartId"] == 78


async def test_bad_inputs_get_the_specified_answers_and_store_nothing_wrong(
    connect: StationFactory, api: httpx.AsyncClient
) -> None:
    station = await connect("cp-bad")

    unknown_evse = await station.transaction_event("Started", "b1", 0, evse_id=99, meter_wh=500)
    malformed = await station.transaction_event("Updated", "b1", 1, id_token="123")
    negative = await station.transaction_event("Updated", "b1", 2, meter_wh=-4000)
    refused = await expect_error(
        station,
        "TransactionEvent",
        {
            "eventType": "Updated",
            "timestamp": "2026-03-04T10:00:00Z",
            "triggerReason": "Trigger",
            "seqNo": "3",
            "transactionInfo": {"transactionId": "b1"},
        },
    )
    standalone = await station.meter_values(0, 90_000)

    assert (unknown_evse, negative, standalone) == ({}, {}, {})
    assert malformed == {"idTokenInfo": {"status": "Invalid"}}  # odd-length ISO14443 (§10.2)
    assert refused.code == "TypeConstraintViolation"
    body = await transaction(api, "cp-bad", "b1")
    assert (body["evseId"], body["totalKwh"], body["meterStart"]) == (99, 0.0, 500.0)
    assert [e["seqNo"] for e in body["transactionEvents"]] == [0, 1, 2]


async def test_cost_updated_is_sent_while_an_accepted_session_is_active(
    connect: StationFactory,
) -> None:
    station = await connect("cp-cost")
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    station.on("CostUpdated", lambda payload: received.put_nowait(payload) or {})

    await station.transaction_event("Started", "c1", 0, evse_id=1, id_token=TOKEN, meter_wh=0)

    update = await asyncio.wait_for(received.get(), timeout=5)
    assert update == {"totalCost": 0.0, "transactionId": "c1"}
