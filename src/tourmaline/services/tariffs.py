"""Tariffs and the cost of a session (interface.md §10.6, §8.2 `/data/transactions/tariff`).

The tariff with the lowest id applies to every connector. The cost of a session is

    net   = totalKwh * pricePerKwh + chargingMinutes * pricePerMin + pricePerSession
    total = net * (1 + taxRate / 100), rounded half-up to 2 decimals

computed in decimal arithmetic from the prices' shortest representations, so a tariff of
only `pricePerKwh` gives exactly `pricePerKwh * totalKwh` rounded to cents, as §10.6 says.
`chargingMinutes` is the station's `timeSpentCharging` / 60 when it reports one, otherwise the
session's elapsed time. `paymentFee` and `authorizationAmount` are payment-terminal parameters,
stored and returned but not part of `totalCost`. Without a tariff the cost is 0.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.clock import Clock
from tourmaline.db.models import Tariff

__all__ = [
    "Prices",
    "TariffService",
    "TariffView",
    "TariffWrite",
    "current_prices",
    "session_cost",
]

_CENT = Decimal("0.01")

Price = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class TariffWrite(BaseModel):
    """PUT /data/transactions/tariff. With `id` an existing tariff is replaced (or created
    with that id); without, a new one is created."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", strict=True)

    id: Annotated[int | None, Field(ge=1, le=2**31 - 1)] = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. EUR")]
    price_per_kwh: Annotated[Price, Field(alias="pricePerKwh")]
    price_per_min: Annotated[Price | None, Field(alias="pricePerMin")] = None
    price_per_session: Annotated[Price | None, Field(alias="pricePerSession")] = None
    payment_fee: Annotated[Price | None, Field(alias="paymentFee")] = None
    authorization_amount: Annotated[Price | None, Field(alias="authorizationAmount")] = None
    tax_rate: Annotated[
        float | None,
        Field(alias="taxRate", ge=0, le=100, allow_inf_nan=False, description="percent"),
    ] = None


class TariffView(BaseModel):
    model_config = ConfigDict(populate_by_name=True, from_attributes=True)

    id: int
    currency: str
    price_per_kwh: float = Field(alias="pricePerKwh")
    price_per_min: float | None = Field(alias="pricePerMin")
    price_per_session: float | None = Field(alias="pricePerSession")
    payment_fee: float | None = Field(alias="paymentFee")
    authorization_amount: float | None = Field(alias="authorizationAmount")
    tax_rate: float | None = Field(alias="taxRate")


@dataclass(frozen=True, slots=True)
class Prices:
    """The applicable tariff's prices as decimals."""

    currency: str
    per_kwh: Decimal
    per_min: Decimal = Decimal(0)
    per_session: Decimal = Decimal(0)
    tax_rate: Decimal = Decimal(0)

    @classmethod
    def of(cls, row: Tariff) -> Prices:
        return cls(
            currency=row.currency,
            per_kwh=_decimal(row.price_per_kwh),
            per_min=_decimal(row.price_per_min),
            per_session=_decimal(row.price_per_session),
            tax_rate=_decimal(row.tax_rate),
        )


def _decimal(value: float | None) -> Decimal:
    # repr() is the shortest text that reads back as the same double: 0.285, not 0.28499…
    return Decimal(0) if value is None else Decimal(repr(value))


def session_cost(prices: Prices | None, total_kwh: float, charging_seconds: float) -> Decimal:
    """The module docstring's formula."""
    if prices is None:
        return Decimal("0.00")
    minutes = _decimal(float(charging_seconds)) / 60
    net = _decimal(total_kwh) * prices.per_kwh + minutes * prices.per_min + prices.per_session
    total = net * (1 + prices.tax_rate / 100)
    return total.quantize(_CENT, rounding=ROUND_HALF_UP)


async def current_prices(session: AsyncSession) -> Prices | None:
    """The prices of the tariff with the lowest id, read in the caller's transaction."""
    row = await session.scalar(select(Tariff).order_by(Tariff.id).limit(1))
    return None if row is None else Prices.of(row)


async def _advance_id_sequence(session: AsyncSession) -> None:
    """PostgreSQL's id sequence ignores explicit ids: move it past them, so the next tariff
    created without an id does not collide. SQLite takes max(id) + 1 by itself."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('tariffs', 'id'), "
                "(SELECT max(id) FROM tariffs))"
            )
        )


class TariffService:
    """CRUD for the tariff routes; the applicable prices for the cost of sessions; also the
    evdriver side's `TariffPrices` port.

    The applicable prices are kept for `cache_seconds`, so a busy TransactionEvent path does
    not read the tariff for every group of events; a change made through this service applies
    at once, one made through another instance within `cache_seconds`.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        cache_seconds: float = 5.0,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._cached: tuple[float, Prices | None] | None = None

    async def current_prices(self) -> Prices | None:
        now = self._clock.monotonic()
        if self._cached is not None and now < self._cached[0]:
            return self._cached[1]
        async with self._sessionmaker() as session:
            prices = await current_prices(session)
        self._cached = (now + self._cache_seconds, prices)
        return prices

    async def put(self, write: TariffWrite) -> TariffView:
        now = self._clock.now()
        values = write.model_dump(exclude={"id"})
        async with self._sessionmaker.begin() as session:
            row = None if write.id is None else await session.get(Tariff, write.id)
            if row is None:
                row = Tariff(id=write.id, created_at=now)
                session.add(row)
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = now
            await session.flush()
            if write.id is not None:
                await _advance_id_sequence(session)
            view = TariffView.model_validate(row)
        self._cached = None
        return view

    async def list(self, tariff_id: int | None = None) -> builtins.list[TariffView]:
        query = select(Tariff).order_by(Tariff.id)
        if tariff_id is not None:
            query = query.where(Tariff.id == tariff_id)
        async with self._sessionmaker() as session:
            return [TariffView.model_validate(row) for row in await session.scalars(query)]

    async def delete(self, tariff_id: int | None = None) -> int:
        """Delete one tariff, or every tariff without an id; the number deleted."""
        statement = delete(Tariff)
        if tariff_id is not None:
            statement = statement.where(Tariff.id == tariff_id)
        async with self._sessionmaker.begin() as session:
            result = await session.execute(statement)
        self._cached = None
        return int(getattr(result, "rowcount", 0) or 0)

    async def price_per_kwh(self) -> Decimal | None:
        prices = await self.current_prices()
        return None if prices is None else prices.per_kwh
