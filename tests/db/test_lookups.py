"""Composite-key lookups (db/lookups.py): the clause is built once per power-of-two number of
slots, the keys fill them, and the rows found are exactly the ones asked for, on both
databases."""

from __future__ import annotations

import pytest
from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.db.lookups import KeyLookup
from tourmaline.db.models import ChargingStation, Connector

CONNECTORS: Table = Connector.__table__  # type: ignore[assignment]
BY_PLACE = KeyLookup("place", (CONNECTORS.c.station_id, CONNECTORS.c.evse_id))


@pytest.mark.parametrize(("count", "slots"), [(0, 1), (1, 1), (2, 2), (3, 4), (5, 8), (200, 256)])
def test_keys_fill_power_of_two_slots(count: int, slots: int) -> None:
    assert KeyLookup.slots(count) == slots


def test_one_clause_per_number_of_slots() -> None:
    assert BY_PLACE.clause(4) is BY_PLACE.clause(4)
    assert BY_PLACE.clause(4) is not BY_PLACE.clause(8)


def test_spare_slots_repeat_the_last_key() -> None:
    params = BY_PLACE.params([("cp-1", 1), ("cp-2", 3), ("cp-3", 5)])
    assert len(params) == 8
    assert (params["place_2_0"], params["place_2_1"]) == ("cp-3", 5)
    assert (params["place_3_0"], params["place_3_1"]) == ("cp-3", 5)


async def test_the_rows_found_are_the_keys_asked_for_each_once(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    stations = ["cp-1", "cp-2"]
    rows = [{"station_id": s, "evse_id": e, "connector_id": 1} for s in stations for e in (1, 2)]
    async with sessionmaker.begin() as session:
        await session.execute(insert(ChargingStation), [{"id": s} for s in stations])
        await session.execute(insert(CONNECTORS), rows)
    asked = [("cp-1", 2), ("cp-2", 1), ("cp-9", 1)]
    where, params = BY_PLACE.matching(asked)
    query = select(CONNECTORS.c.station_id, CONNECTORS.c.evse_id).where(where)
    async with sessionmaker() as session:
        found = [tuple(row) for row in await session.execute(query, params)]
    assert sorted(found) == [("cp-1", 2), ("cp-2", 1)]
