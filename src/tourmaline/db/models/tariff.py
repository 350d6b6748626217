"""Tariffs (interface.md §10.6): the one with the lowest id applies to every connector.

Prices are stored as doubles and turned into decimals from their shortest representation for
the cost arithmetic (services/tariffs.py); SQLite has no exact decimal type.
"""

from __future__ import annotations

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tourmaline.db.base import Base, TimestampsMixin

__all__ = ["Tariff"]


class Tariff(TimestampsMixin, Base):
    __tablename__ = "tariffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    currency: Mapped[str] = mapped_column(String(3))
    price_per_kwh: Mapped[float] = mapped_column(Float)
    price_per_min: Mapped[float | None] = mapped_column(Float)
    price_per_session: Mapped[float | None] = mapped_column(Float)
    payment_fee: Mapped[float | None] = mapped_column(Float)
    authorization_amount: Mapped[float | None] = mapped_column(Float)
    # Percent, e.g. 19 for 19 %.
    tax_rate: Mapped[float | None] = mapped_column(Float)
