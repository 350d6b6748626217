"""Charger simulator for tests, demos and load runs (client side of OCPP-J over WebSocket)."""

from __future__ import annotations

from tourmaline.sim.station import (
    CallErrorReceived,
    CallHandler,
    ReplyWithCallError,
    SimulatedStation,
    StationDisconnected,
)

__all__ = [
    "CallErrorReceived",
    "CallHandler",
    "ReplyWithCallError",
    "SimulatedStation",
    "StationDisconnected",
]
