"""Subprotocol negotiation (interface.md §2.3, OCPP-J Part 4 §3.1.2).

A station that does not offer `ocpp2.0.1` still completes the upgrade, without a
Sec-WebSocket-Protocol header, and is then closed at once with 1002: that is the procedure OCPP-J
prescribes, and it tells the station why instead of leaving it with a bare HTTP error.
A syntactically invalid header never reaches this module: websockets answers it with 400.
"""

from __future__ import annotations

from collections.abc import Sequence

from websockets.asyncio.server import ServerConnection
from websockets.frames import CloseCode
from websockets.typing import Subprotocol

__all__ = [
    "OCPP201",
    "UNSUPPORTED_SUBPROTOCOL_CODE",
    "UNSUPPORTED_SUBPROTOCOL_REASON",
    "select_subprotocol",
]

OCPP201 = Subprotocol("ocpp2.0.1")
UNSUPPORTED_SUBPROTOCOL_CODE = CloseCode.PROTOCOL_ERROR
UNSUPPORTED_SUBPROTOCOL_REASON = "Unsupported subprotocol"


def select_subprotocol(
    connection: ServerConnection, offered: Sequence[Subprotocol]
) -> Subprotocol | None:
    """`ocpp2.0.1` when offered (exact, case-sensitive match), else no subprotocol at all."""
    return OCPP201 if OCPP201 in offered else None
