"""Reservations on a real database (interface.md §10.4): stored before sending, the station's
answers, cancellation, ReservationStatusUpdate, use by a transaction and expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import FakeClock
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.reservations import ReservationService

RFID = {"idToken": "04A2B3C4", "type": "ISO14443"}


@pytest.fixture
def reservations(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock
) -> ReservationService:
    return ReservationService(sessionmaker, clock)


def reserve(
    clock: FakeClock, reservation_id: int = 7, minutes: int = 30, **extra: Any
) -> JsonObject:
    expiry = (clock.now() + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
    return {"id": reservation_id, "expiryDateTime": expiry, "idToken": RFID, **extra}


async def reserved(
    reservations: ReservationService, clock: FakeClock, status: str = "Accepted", **extra: Any
) -> JsonObject:
    payload = reserve(clock, **extra)
    assert await reservations.check_outbound("cp001", "ReserveNow", payload) is None
    await reservations.on_reserve_result("cp001", payload, {"status": status})
    return payload


async def state(reservations: ReservationService, reservation_id: int = 7) -> tuple[Any, ...]:
    view = await reservations.get("cp001", reservation_id)
    assert view is not None
    return view.reserve_status, view.is_active, view.ended_reason


async def test_stored_before_sending_and_activated_by_accepted(
    reservations: ReservationService, clock: FakeClock
) -> None:
    payload = reserve(clock, evseId=1, connectorType="cType2", groupIdToken=RFID)

    assert await reservations.check_outbound("cp001", "ReserveNow", payload) is None
    view = await reservations.get("cp001", 7)
    assert view is not None
    assert view.model_dump(
        by_alias=True, include={"evse_id", "connector_type", "group_id_token"}
    ) == {
        "evseId": 1,
        "connectorType": "cType2",
        "groupIdToken": RFID,
    }
    assert await state(reservations) == (None, False, None)

    await reservations.on_reserve_result("cp001", payload, {"status": "Accepted"})

    assert await state(reservations) == ("Accepted", True, None)


async def test_a_refused_reservation_stays_inactive(
    reservations: ReservationService, clock: FakeClock
) -> None:
    await reserved(reservations, clock, "Occupied")

    assert await state(reservations) == ("Occupied", False, None)
    assert [v.id for v in await reservations.find("cp001", is_active=False)] == [7]
    assert await reservations.find("cp001", is_active=True) == []


async def test_bad_reservations_are_refused_before_sending(
    reservations: ReservationService, clock: FakeClock
) -> None:
    past = reserve(clock, minutes=-1)
    malformed = {**reserve(clock), "idToken": {"idToken": "04A2", "type": "ISO14443"}}

    assert "is not in the future" in str(
        await reservations.check_outbound("cp001", "ReserveNow", past)
    )
    assert "not a valid ISO14443" in str(
        await reservations.check_outbound("cp001", "ReserveNow", malformed)
    )
    unreadable = {**reserve(clock), "expiryDateTime": "2030-13-01T00:00:00Z"}
    assert "not an RFC 3339 date-time" in str(
        await reservations.check_outbound("cp001", "ReserveNow", unreadable)
    )
    assert await reservations.find("cp001") == []


async def test_cancel_needs_a_known_reservation_and_accepted_deactivates(
    reservations: ReservationService, clock: FakeClock
) -> None:
    assert await reservations.check_outbound(
        "cp001", "CancelReservation", {"reservationId": 7}
    ) == ("Reservation 7 not found for station cp001")
    await reserved(reservations, clock)
    cancel = {"reservationId": 7}
    assert await reservations.check_outbound("cp002", "CancelReservation", cancel) is not None
    assert await reservations.check_outbound("cp001", "CancelReservation", cancel) is None

    await reservations.on_cancel_result("cp001", cancel, {"status": "Rejected"})
    assert await state(reservations) == ("Accepted", True, None)
    await reservations.on_cancel_result("cp001", cancel, {"status": "Accepted"})
    assert await state(reservations) == ("Accepted", False, "Cancelled")


async def test_status_updates_end_known_reservations(
    reservations: ReservationService, clock: FakeClock
) -> None:
    await reserved(reservations, clock)

    assert await reservations.on_status_update("cp001", 99, "Removed") is False
    assert await reservations.on_status_update("cp001", 7, "Removed") is True
    assert await state(reservations) == ("Accepted", False, "Removed")


async def test_consume_uses_an_active_reservation_once(
    reservations: ReservationService,
    clock: FakeClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await reserved(reservations, clock)
    now = clock.now()

    async with sessionmaker.begin() as session:
        assert not await reservations.consume(session, "cp001", 8, transaction_id="tx-1", now=now)
        assert await reservations.consume(session, "cp001", 7, transaction_id="tx-1", now=now)
    async with sessionmaker.begin() as session:
        assert not await reservations.consume(session, "cp001", 7, transaction_id="tx-2", now=now)

    view = await reservations.get("cp001", 7)
    assert view is not None
    assert (view.is_active, view.ended_reason, view.terminated_by_transaction) == (
        False,
        "Used",
        "tx-1",
    )


async def test_consume_rolls_back_with_the_callers_transaction(
    reservations: ReservationService,
    clock: FakeClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await reserved(reservations, clock)

    with pytest.raises(RuntimeError):
        async with sessionmaker.begin() as session:
            assert await reservations.consume(
                session, "cp001", 7, transaction_id="tx-1", now=clock.now()
            )
            raise RuntimeError("the transaction event failed")

    assert await state(reservations) == ("Accepted", True, None)


async def test_a_reservation_past_its_expiry_is_not_active(
    reservations: ReservationService,
    clock: FakeClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await reserved(reservations, clock)
    clock.advance(31 * 60)

    assert await state(reservations) == ("Accepted", False, "Expired")
    assert await reservations.find("cp001", is_active=True) == []
    async with sessionmaker.begin() as session:
        assert not await reservations.consume(
            session, "cp001", 7, transaction_id="tx-1", now=clock.now()
        )


async def test_a_new_reserve_now_with_the_same_id_replaces_the_reservation(
    reservations: ReservationService, clock: FakeClock
) -> None:
    await reserved(reservations, clock)
    await reservations.on_status_update("cp001", 7, "Expired")

    await reserved(reservations, clock, evseId=2)

    view = await reservations.get("cp001", 7)
    assert view is not None
    assert (view.evse_id, view.is_active, view.ended_reason) == (2, True, None)
