"""The charger-facing WebSocket transport: handshake checks, subprotocol, sockets and sessions.

It owns sockets and the OCPP-J session of each; every decision is taken behind the protocols of
`tourmaline.transport.ports`.
"""

from __future__ import annotations
