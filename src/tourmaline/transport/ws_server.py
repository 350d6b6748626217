"""One websockets server per configured listener (interface.md §1, §2; design.md §4 steps 1-2).

Memory matters here more than speed: a CSMS holds thousands of mostly idle sockets. websockets
costs about 15 KiB per idle connection; permessage-deflate with context takeover would add a
zlib compressor and decompressor that live as long as the socket. OCPP-J Part 4 §3.3 requires a
CSMS to support the extension, not to keep contexts, so the server asks both sides for
"no context takeover": zlib state exists only while one message is being (de)compressed.
"""

from __future__ import annotations

import structlog
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.extensions.base import ServerExtensionFactory
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.frames import CloseCode

from tourmaline.clock import Clock
from tourmaline.ocpp.schemas import SchemaRegistry
from tourmaline.settings import ListenerSettings, OcppSettings
from tourmaline.transport.connection import StationConnection
from tourmaline.transport.handshake import HandshakeChecks
from tourmaline.transport.ports import (
    ConnectionHooks,
    InboundDispatcher,
    ListenerInfo,
    StationAuthenticator,
)
from tourmaline.transport.server_connection import OcppServerConnection
from tourmaline.transport.subprotocol import (
    UNSUPPORTED_SUBPROTOCOL_CODE,
    UNSUPPORTED_SUBPROTOCOL_REASON,
    select_subprotocol,
)
from tourmaline.transport.tls import ListenerTls, TlsFailureSink, TlsFiles

__all__ = ["SHUTDOWN_REASON", "OcppServer", "deflate_extension"]

log = structlog.get_logger(__name__)

SHUTDOWN_REASON = "Server shutting down"
# Frames buffered by websockets before it stops reading the socket; the reader loop drains them
# at once, so a small mark only bounds what a flooding station can make us hold.
_MAX_QUEUE = 4


def deflate_extension() -> ServerExtensionFactory:
    """permessage-deflate with small windows and no context kept between messages."""
    return ServerPerMessageDeflateFactory(
        server_no_context_takeover=True,
        client_no_context_takeover=True,
        server_max_window_bits=12,
        client_max_window_bits=12,
        compress_settings={"memLevel": 5},
    )


class OcppServer:
    """The charger-facing WebSocket server of one listener."""

    def __init__(
        self,
        *,
        listener: ListenerSettings,
        ocpp: OcppSettings,
        schemas: SchemaRegistry,
        authenticator: StationAuthenticator,
        dispatcher: InboundDispatcher,
        hooks: ConnectionHooks,
        clock: Clock,
        tls_failures: TlsFailureSink | None = None,
    ) -> None:
        self.settings = listener
        self.info = ListenerInfo(
            id=listener.id,
            security_profile=listener.security_profile,
            allow_unknown_stations=listener.allow_unknown_stations,
        )
        self._ocpp = ocpp
        self._schemas = schemas
        self._checks = HandshakeChecks(self.info, authenticator)
        self._dispatcher = dispatcher
        self._hooks = hooks
        self._clock = clock
        self._server: Server | None = None
        # Profiles 2 and 3 speak TLS (interface.md §2.5); the context is loaded at start().
        self.tls = (
            ListenerTls(TlsFiles.of(listener), tls_failures)
            if listener.security_profile >= 2
            else None
        )

    @property
    def scheme(self) -> str:
        return "ws" if self.tls is None else "wss"

    @property
    def port(self) -> int:
        """The bound port (the real one when the settings asked for port 0)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError(f"listener {self.info.id} is not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        interval = self.settings.ping_interval
        self._server = await serve(
            self._handle,
            self.settings.host,
            self.settings.port,
            process_request=self._checks,
            select_subprotocol=select_subprotocol,
            compression=None,
            extensions=[deflate_extension()] if self._ocpp.compression else None,
            max_size=self._ocpp.hard_max_message_size,
            max_queue=_MAX_QUEUE,
            ping_interval=interval,
            # interface.md §2.7: no pong within one further interval closes the socket.
            ping_timeout=interval,
            create_connection=OcppServerConnection,
            ssl=None if self.tls is None else self.tls.load(),
        )
        log.info("listener started", listener=self.info.id, port=self.port)

    async def close(self, code: int = CloseCode.GOING_AWAY, reason: str = SHUTDOWN_REASON) -> None:
        """Stop accepting, close every socket with `code` and wait for their handlers."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close(close_connections=True, code=code, reason=reason)
        await server.wait_closed()
        log.info("listener stopped", listener=self.info.id)

    async def _handle(self, websocket: ServerConnection) -> None:
        admitted = websocket.admitted if isinstance(websocket, OcppServerConnection) else None
        if websocket.subprotocol is None or admitted is None:
            await websocket.close(UNSUPPORTED_SUBPROTOCOL_CODE, UNSUPPORTED_SUBPROTOCOL_REASON)
            return
        link = StationConnection(
            websocket,
            station_id=admitted.station_id,
            listener=self.info,
            ocpp=self._ocpp,
            schemas=self._schemas,
            dispatcher=self._dispatcher,
            hooks=self._hooks,
            clock=self._clock,
        )
        await link.run()
