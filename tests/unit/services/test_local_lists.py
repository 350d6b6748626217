"""Local authorization lists on a real database (interface.md §10.3): the pre-send refusals,
Full and Differential updates, VersionMismatch and version reconciliation."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import FakeClock
from tourmaline.db.models import LocalListRequest
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.device_model import DeviceModelService
from tourmaline.services.local_lists import LocalListService

SEND = "SendLocalList"
CONTROLLER = {"name": "LocalAuthListCtrlr"}


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, JsonObject]] = []

    async def send(self, station_id: str, action: str, payload: JsonObject) -> object:
        self.sent.append((station_id, action, payload))
        return None


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def lists(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock, sender: RecordingSender
) -> LocalListService:
    return LocalListService(sessionmaker, clock, sender=sender)


async def limits(
    model: DeviceModelService, *, entries: int | None = 10, items: int | None = None
) -> None:
    data = []
    if entries is not None:
        data.append(
            {
                "component": CONTROLLER,
                "variable": {"name": "Entries"},
                "variableAttribute": [{"value": "0", "mutability": "ReadOnly"}],
                "variableCharacteristics": {
                    "dataType": "integer",
                    "maxLimit": entries,
                    "supportsMonitoring": False,
                },
            }
        )
    if items is not None:
        data.append(
            {
                "component": CONTROLLER,
                "variable": {"name": "ItemsPerMessage"},
                "variableAttribute": [{"value": str(items)}],
            }
        )
    await model.apply_report("cp001", data, FakeClock().now())


def entry(token: str, status: str | None = "Accepted", kind: str = "ISO14443") -> JsonObject:
    data: JsonObject = {"idToken": {"idToken": token, "type": kind}}
    if status is not None:
        data["idTokenInfo"] = {"status": status}
    return data


def send_list(version: int, update: str, *entries: JsonObject) -> JsonObject:
    payload: JsonObject = {"versionNumber": version, "updateType": update}
    if entries:
        payload["localAuthorizationList"] = list(entries)
    return payload


async def sent_and_answered(
    lists: LocalListService, payload: JsonObject, status: str = "Accepted"
) -> bool:
    assert await lists.check_outbound("cp001", SEND, payload) is None
    return await lists.on_send_result("cp001", payload, {"status": status})


async def tokens_of(lists: LocalListService) -> dict[str, Any]:
    view = await lists.current("cp001")
    assert view is not None
    return {
        "version": view.version_number,
        "tokens": {
            a["idToken"]["idToken"]: a["idTokenInfo"]["status"] for a in view.authorizations
        },
    }


async def test_full_then_differential_updates_the_stored_list(
    lists: LocalListService, station_model: DeviceModelService
) -> None:
    await limits(station_model)
    assert await lists.current("cp001") is None

    full = send_list(1, "Full", entry("AAAAAAAA"), entry("BBBBBBBB", "Blocked"))
    assert await sent_and_answered(lists, full) is False
    assert await tokens_of(lists) == {
        "version": 1,
        "tokens": {"AAAAAAAA": "Accepted", "BBBBBBBB": "Blocked"},
    }

    diff = send_list(
        2, "Differential", entry("bbbbbbbb", None), entry("CCCCCCCC"), entry("AAAAAAAA", "Expired")
    )
    await sent_and_answered(lists, diff)
    assert await tokens_of(lists) == {
        "version": 2,
        "tokens": {"AAAAAAAA": "Expired", "CCCCCCCC": "Accepted"},
    }

    await sent_and_answered(lists, send_list(3, "Full", entry("DDDDDDDD")))
    assert await tokens_of(lists) == {"version": 3, "tokens": {"DDDDDDDD": "Accepted"}}


async def test_every_request_is_stored_with_its_answer(
    lists: LocalListService,
    station_model: DeviceModelService,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await limits(station_model)
    await sent_and_answered(lists, send_list(1, "Full", entry("AAAAAAAA")))
    await sent_and_answered(lists, send_list(2, "Full", entry("BBBBBBBB")), "Failed")

    async with sessionmaker() as session:
        rows = (await session.scalars(select(LocalListRequest).order_by(LocalListRequest.id))).all()
    assert [(r.version_number, r.update_type, r.status) for r in rows] == [
        (1, "Full", "Accepted"),
        (2, "Full", "Failed"),
    ]
    # Failed changes nothing.
    assert await tokens_of(lists) == {"version": 1, "tokens": {"AAAAAAAA": "Accepted"}}


async def test_versions_must_be_positive_and_increase(
    lists: LocalListService, station_model: DeviceModelService
) -> None:
    await limits(station_model)
    assert "greater than 0" in str(await lists.check_outbound("cp001", SEND, send_list(0, "Full")))
    await sent_and_answered(lists, send_list(5, "Full", entry("AAAAAAAA")))

    for version in (5, 4):
        refusal = await lists.check_outbound("cp001", SEND, send_list(version, "Differential"))
        assert refusal == f"versionNumber {version} is not greater than the current version 5"


async def test_duplicates_and_malformed_tokens_are_refused(
    lists: LocalListService, station_model: DeviceModelService
) -> None:
    await limits(station_model)
    twice = send_list(1, "Full", entry("AAAAAAAA"), entry("aaaaaaaa", "Blocked"))
    malformed = send_list(1, "Full", entry("AAAAAAA"))

    assert await lists.check_outbound("cp001", SEND, twice) == (
        "idToken aaaaaaaa (ISO14443) appears more than once"
    )
    assert "not a valid ISO14443" in str(await lists.check_outbound("cp001", SEND, malformed))
    # Nothing was stored for the refused requests.
    assert await lists.current("cp001") is None
    assert await lists.on_send_result("cp001", twice, {"status": "Accepted"}) is False


async def test_size_limits_come_from_the_device_model(
    lists: LocalListService, station_model: DeviceModelService
) -> None:
    three = send_list(1, "Full", entry("AAAAAAAA"), entry("BBBBBBBB"), entry("CCCCCCCC"))
    assert await lists.check_outbound("cp001", SEND, three) == (
        "the maxLimit of LocalAuthListCtrlr.Entries is not known (required by D01.FR.12)"
    )
    # An empty Full list (clearing) fits any limit.
    assert await lists.check_outbound("cp001", SEND, send_list(1, "Full")) is None

    await limits(station_model, entries=2, items=2)
    assert await lists.check_outbound("cp001", SEND, three) == (
        "3 entries exceed LocalAuthListCtrlr.ItemsPerMessage 2"
    )
    await sent_and_answered(lists, send_list(2, "Full", entry("AAAAAAAA"), entry("BBBBBBBB")))
    grow = send_list(3, "Differential", entry("CCCCCCCC"))
    swap = send_list(3, "Differential", entry("AAAAAAAA", None), entry("CCCCCCCC"))

    assert await lists.check_outbound("cp001", SEND, grow) == (
        "the list would hold 3 entries, over LocalAuthListCtrlr.Entries maxLimit 2"
    )
    assert await lists.check_outbound("cp001", SEND, swap) is None


async def test_version_mismatch_is_reported_and_reconciled(
    lists: LocalListService, station_model: DeviceModelService
) -> None:
    await limits(station_model)
    await sent_and_answered(lists, send_list(1, "Full", entry("AAAAAAAA")))

    assert await sent_and_answered(
        lists, send_list(2, "Differential", entry("BBBBBBBB")), "VersionMismatch"
    )
    assert await tokens_of(lists) == {"version": 1, "tokens": {"AAAAAAAA": "Accepted"}}

    # The station reports a version it never acknowledged: that request was applied after all.
    await lists.check_outbound("cp001", SEND, send_list(7, "Full", entry("CCCCCCCC")))
    await lists.on_version_result("cp001", {"versionNumber": 7})
    assert await tokens_of(lists) == {"version": 7, "tokens": {"CCCCCCCC": "Accepted"}}

    # A version Tourmaline never sent: the entries are unknown, so none are kept.
    await lists.on_version_result("cp001", {"versionNumber": 9})
    assert await tokens_of(lists) == {"version": 9, "tokens": {}}
    await lists.on_version_result("cp001", {"versionNumber": 0})
    assert await tokens_of(lists) == {"version": 0, "tokens": {}}


async def test_request_version_asks_the_station(
    lists: LocalListService, sender: RecordingSender
) -> None:
    await lists.request_version("cp001")

    assert sender.sent == [("cp001", "GetLocalListVersion", {})]


async def test_other_actions_pass_the_check(lists: LocalListService) -> None:
    assert await lists.check_outbound("cp001", "Reset", {"type": "Immediate"}) is None
