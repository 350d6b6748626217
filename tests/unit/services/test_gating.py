"""Pending / Rejected gating (interface.md §4.5) on a real database with a FakeClock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import FakeClock
from tourmaline.db.models import ChargingStation, ReportRequest
from tourmaline.ocpp.rpc import Call
from tourmaline.services.gating import GatingService, rejected_text, triggered_action

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def gating(sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock) -> GatingService:
    return GatingService(sessionmaker, clock)


def call(action: str, **payload: Any) -> Call:
    return Call("m1", action, payload)


def refused(gating: GatingService, action: str, **payload: Any) -> bool:
    error = gating.check_inbound("cp1", call(action, **payload))
    if error is not None:
        assert (error.code, error.description) == ("SecurityError", f"Action {action} not allowed")
    return error is not None


async def store_station(
    sessionmaker: async_sessionmaker[AsyncSession], status: str | None, *reports: int
) -> None:
    async with sessionmaker.begin() as session:
        session.add(ChargingStation(id="cp1", registration_status=status))
        for request_id in reports:
            session.add(
                ReportRequest(
                    station_id="cp1",
                    request_id=request_id,
                    action="GetBaseReport",
                    purpose="boot",
                    state="accepted",
                    seq_nos=[],
                    created_at=NOW,
                    updated_at=NOW,
                )
            )


async def test_a_station_that_never_booted_is_not_gated(
    gating: GatingService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await store_station(sessionmaker, None)
    await gating.prepare("cp1", object())

    assert not refused(gating, "Heartbeat")


def test_pending_admits_only_boot_notification(gating: GatingService) -> None:
    gating.on_boot("cp1", "Pending")

    assert not refused(gating, "BootNotification")
    assert refused(gating, "Heartbeat")
    assert refused(gating, "NotifyReport", requestId=1)


def test_rejected_admits_only_boot_notification_even_for_follow_ups(
    gating: GatingService,
) -> None:
    gating.on_boot("cp1", "Rejected")
    gating.allow_follow_ups("cp1", "NotifyReport", [1])

    assert not refused(gating, "BootNotification")
    assert refused(gating, "NotifyReport", requestId=1)


def test_accepted_lifts_gating(gating: GatingService) -> None:
    gating.on_boot("cp1", "Pending")
    gating.on_boot("cp1", "Accepted")

    assert not refused(gating, "Heartbeat")


async def test_follow_ups_of_requests_sent_while_pending_are_admitted(
    gating: GatingService,
) -> None:
    gating.on_boot("cp1", "Pending")

    assert await gating.check_outbound("cp1", "GetLog", {"requestId": 5}) is None

    assert not refused(gating, "LogStatusNotification", requestId=5)
    assert refused(gating, "LogStatusNotification", requestId=6)
    assert refused(gating, "NotifyReport", requestId=5)


def test_a_new_pending_period_forgets_the_previous_requests(gating: GatingService) -> None:
    gating.on_boot("cp1", "Pending")
    gating.allow_follow_ups("cp1", "NotifyReport", [1])
    gating.on_boot("cp1", "Pending")
    assert not refused(gating, "NotifyReport", requestId=1)

    gating.on_boot("cp1", "Accepted")
    gating.on_boot("cp1", "Pending")

    assert refused(gating, "NotifyReport", requestId=1)


async def test_state_and_open_reports_are_loaded_per_connection(
    gating: GatingService, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await store_station(sessionmaker, "Pending", 3)

    await gating.prepare("cp1", object())

    assert refused(gating, "Heartbeat")
    assert not refused(gating, "NotifyReport", requestId=3)


async def test_rejected_station_is_sent_only_a_boot_trigger(gating: GatingService) -> None:
    gating.on_boot("cp1", "Rejected")

    reset = await gating.check_outbound("cp1", "Reset", {"type": "Immediate"})
    other = await gating.check_outbound("cp1", "TriggerMessage", {"requestedMessage": "Heartbeat"})
    boot = await gating.check_outbound(
        "cp1", "TriggerMessage", {"requestedMessage": "BootNotification"}
    )

    assert reset == other == rejected_text("cp1")
    assert reset == "Station cp1 is Rejected; only TriggerMessage(BootNotification) may be sent"
    assert boot is None


async def test_an_accepted_trigger_admits_one_message_for_thirty_seconds(
    gating: GatingService, clock: FakeClock
) -> None:
    gating.on_boot("cp1", "Pending")
    trigger = {"requestedMessage": "Heartbeat"}
    await gating.check_outbound("cp1", "TriggerMessage", trigger)
    gating.on_trigger_answer("cp1", trigger, "Accepted")

    assert not refused(gating, "Heartbeat")
    assert refused(gating, "Heartbeat")

    await gating.check_outbound("cp1", "TriggerMessage", trigger)
    gating.on_trigger_answer("cp1", trigger, "Accepted")
    clock.advance(31)
    assert refused(gating, "Heartbeat")


async def test_a_refused_trigger_closes_its_window(gating: GatingService) -> None:
    gating.on_boot("cp1", "Pending")
    trigger = {"requestedMessage": "MeterValues", "evse": {"id": 1}}
    await gating.check_outbound("cp1", "TriggerMessage", trigger)

    gating.on_trigger_answer("cp1", trigger, "Rejected")

    assert refused(gating, "MeterValues")


async def test_an_evse_wide_trigger_admits_several_messages(gating: GatingService) -> None:
    gating.on_boot("cp1", "Pending")
    trigger = {"requestedMessage": "StatusNotification"}
    await gating.check_outbound("cp1", "TriggerMessage", trigger)
    gating.on_trigger_answer("cp1", trigger, "Accepted")

    assert not refused(gating, "StatusNotification")
    assert not refused(gating, "StatusNotification")
    assert refused(gating, "Heartbeat")


@pytest.mark.parametrize(
    "requested",
    ["SignChargingStationCertificate", "SignV2GCertificate", "SignCombinedCertificate"],
)
def test_sign_certificate_triggers_map_to_sign_certificate(requested: str) -> None:
    assert triggered_action(requested) == "SignCertificate"


def test_any_request_id_is_admitted_for_an_open_boot_report_when_configured(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    gating = GatingService(sessionmaker, clock, accept_any_report_request_id=True)
    gating.on_boot("cp1", "Pending")
    assert refused(gating, "NotifyReport", requestId=0)

    gating.allow_follow_ups("cp1", "NotifyReport", [7])

    assert not refused(gating, "NotifyReport", requestId=0)
