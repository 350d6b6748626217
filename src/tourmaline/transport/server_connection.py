"""The websockets connection class used by every OCPP listener.

It carries what the opening handshake decided (the admitted station) to the connection handler,
and replaces websockets' keepalive so that a silent station is closed the way interface.md §2.7
says: 1011 "Client is not alive" when neither a pong nor any other frame arrived within one
further ping interval.
"""

from __future__ import annotations

import asyncio
import contextlib

from websockets.asyncio.server import ServerConnection
from websockets.frames import CloseCode
from websockets.protocol import Event

from tourmaline.transport.ports import HandshakeRequest

__all__ = ["NOT_ALIVE_REASON", "OcppServerConnection"]

NOT_ALIVE_REASON = "Client is not alive"


class OcppServerConnection(ServerConnection):
    """A websockets server connection that remembers its admission and its last inbound frame."""

    admitted: HandshakeRequest | None = None
    last_frame_at: float = 0.0

    def process_event(self, event: Event) -> None:
        # Any frame proves the station alive, not only a pong (interface.md §2.7).
        self.last_frame_at = self.loop.time()
        super().process_event(event)

    async def keepalive(self) -> None:
        interval = self.ping_interval
        if interval is None:
            return
        with contextlib.suppress(Exception):
            while await self._station_answered_ping(interval):
                pass

    async def _station_answered_ping(self, interval: float) -> bool:
        await asyncio.sleep(interval)
        sent_at = self.loop.time()
        pong = await self.ping()
        try:
            async with asyncio.timeout(interval):
                await pong
        except TimeoutError:
            if self.last_frame_at > sent_at:
                return True
            async with self.send_context():
                self.protocol.fail(CloseCode.INTERNAL_ERROR, NOT_ALIVE_REASON)
            return False
        return True
