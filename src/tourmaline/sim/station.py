"""A simulated OCPP 2.0.1 charging station over a real WebSocket, for tests, demos and load runs.

The station keeps one outstanding CALL of its own (OCPP-J 4.1.1: one per direction), answers CSMS
CALLs from a handler table while its own CALL is in flight, and passes every frame it cannot match
to `recv_raw`, so tests can look at the answers to malformed frames they sent with `send_raw`.
"""

# Timeouts are plain arguments on purpose: tests read better as `await st.call(..., timeout=2)`.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import base64
import contextlib
import inspect
import json
import ssl
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import quote

import structlog
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from tourmaline.ocpp.rpc import JsonObject
from tourmaline.sim.payloads import meter_values_payload, transaction_event_payload

__all__ = [
    "CallErrorReceived",
    "CallHandler",
    "ReplyWithCallError",
    "SimulatedStation",
    "StationDisconnected",
]

log = structlog.get_logger(__name__)

CALL, CALLRESULT, CALLERROR = 2, 3, 4
CallHandler = Callable[[JsonObject], JsonObject | Awaitable[JsonObject]]


class CallErrorReceived(Exception):
    """The CSMS answered one of the station's CALLs with a CALLERROR."""

    def __init__(self, code: str, description: str = "", details: Any = None) -> None:
        super().__init__(f"{code}: {description}" if description else code)
        self.code = code
        self.description = description
        self.details: Any = {} if details is None else details


class ReplyWithCallError(Exception):
    """Raised by a handler to answer a CSMS CALL with a CALLERROR of its choosing."""

    def __init__(self, code: str, description: str = "", details: JsonObject | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.description = description
        self.details = details or {}


class StationDisconnected(Exception):
    """The WebSocket is closed (or was never opened); `code`/`reason` come from the close frame."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"connection closed ({code}) {reason}".rstrip())
        self.code = code
        self.reason = reason


_CLOSED = object()


class SimulatedStation:
    def __init__(
        self,
        url: str,
        station_id: str,
        *,
        password: str | None = None,
        subprotocols: Sequence[str] | None = ("ocpp2.0.1",),
        compression: Literal["deflate"] | None = "deflate",
        id_prefix: str = "",
        open_timeout: float = 10.0,
        ping_interval: float | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.url = url
        self.station_id = station_id
        self.password = password
        self.subprotocols = tuple(subprotocols or ())
        self.compression = compression
        self.id_prefix = id_prefix
        self.open_timeout = open_timeout
        self.ping_interval = ping_interval
        # For wss:// URLs (profiles 2 and 3): the CA to trust and, on profile 3, the station's
        # client certificate (`load_cert_chain`).
        self.ssl_context = ssl_context
        self.received_calls: list[tuple[str, JsonObject]] = []
        self._handlers: dict[str, CallHandler] = {}
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._handler_tasks: set[asyncio.Task[None]] = set()
        self._pending: dict[str, asyncio.Future[JsonObject]] = {}
        self._call_lock = asyncio.Lock()
        self._raw: asyncio.Queue[object] = asyncio.Queue()
        self._counter = 0

    # -- connection -----------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """The station id becomes the last path segment (interface.md §2.1), percent-encoded."""
        return f"{self.url.rstrip('/')}/{quote(self.station_id, safe='')}"

    @property
    def subprotocol(self) -> str | None:
        """What the server selected in the handshake."""
        return None if self._ws is None else self._ws.subprotocol

    @property
    def is_open(self) -> bool:
        return self._ws is not None and self._ws.close_code is None

    @property
    def close_code(self) -> int | None:
        return None if self._ws is None else self._ws.close_code

    @property
    def close_reason(self) -> str | None:
        return None if self._ws is None else self._ws.close_reason

    async def connect(self) -> None:
        """Open the WebSocket. Handshake refusals raise websockets' `InvalidStatus` (e.g. 401)."""
        self._ws = await connect(
            self.endpoint,
            subprotocols=[Subprotocol(p) for p in self.subprotocols] or None,
            additional_headers=self._auth_headers(),
            compression=self.compression,
            open_timeout=self.open_timeout,
            ping_interval=self.ping_interval,
            user_agent_header=None,
            **self._tls_options(),
        )
        self._reader = asyncio.create_task(self._read_loop(self._ws), name=f"sim-{self.station_id}")

    def _tls_options(self) -> dict[str, Any]:
        return {} if self.ssl_context is None else {"ssl": self.ssl_context}

    def _auth_headers(self) -> dict[str, str]:
        if self.password is None:
            return {}
        token = base64.b64encode(f"{self.station_id}:{self.password}".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the socket and wait for every task the station started."""
        for task in list(self._handler_tasks):
            task.cancel()
        if self._ws is not None:
            await self._ws.close(code, reason)
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._handler_tasks:
            await asyncio.gather(*self._handler_tasks, return_exceptions=True)

    async def wait_closed(self, timeout: float = 10.0) -> StationDisconnected:
        """Wait until the server closes the connection; return its close code and reason."""
        if self._reader is not None:
            await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        return self._disconnected()

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _disconnected(self) -> StationDisconnected:
        return StationDisconnected(self.close_code, self.close_reason or "")

    def _require_ws(self) -> ClientConnection:
        if self._ws is None:
            raise StationDisconnected(None, "not connected")
        return self._ws

    # -- outgoing -------------------------------------------------------------------------------

    def next_message_id(self) -> str:
        self._counter += 1
        return f"{self.id_prefix}{self._counter}"

    async def call(self, action: str, payload: JsonObject, timeout: float = 10) -> JsonObject:
        """Send a CALL and return the CALLRESULT payload; a CALLERROR raises `CallErrorReceived`."""
        async with self._call_lock:
            ws = self._require_ws()
            message_id = self.next_message_id()
            answer: asyncio.Future[JsonObject] = asyncio.get_running_loop().create_future()
            self._pending[message_id] = answer
            try:
                await self._send(ws, [CALL, message_id, action, payload])
                return await asyncio.wait_for(answer, timeout)
            finally:
                self._pending.pop(message_id, None)

    async def send_raw(self, text: str) -> None:
        """Send any text frame as is, valid OCPP-J or not."""
        try:
            await self._require_ws().send(text)
        except ConnectionClosed:
            raise self._disconnected() from None

    async def recv_raw(self, timeout: float = 10) -> str:
        """The next frame that answered none of our CALLs: replies to `send_raw`, stray results."""
        item = await asyncio.wait_for(self._raw.get(), timeout)
        if item is _CLOSED:
            self._raw.put_nowait(_CLOSED)
            raise self._disconnected()
        assert isinstance(item, str)
        return item

    async def _send(self, ws: ClientConnection, frame: list[Any]) -> None:
        try:
            await ws.send(json.dumps(frame, separators=(",", ":")))
        except ConnectionClosed:
            raise self._disconnected() from None

    # -- convenience messages -------------------------------------------------------------------

    async def boot(
        self,
        *,
        reason: str = "PowerUp",
        vendor_name: str = "Tourmaline",
        model: str = "Simulator",
        serial_number: str | None = None,
        firmware_version: str | None = None,
        timeout: float = 10,
    ) -> JsonObject:
        charging_station: JsonObject = {"model": model, "vendorName": vendor_name}
        if serial_number is not None:
            charging_station["serialNumber"] = serial_number
        if firmware_version is not None:
            charging_station["firmwareVersion"] = firmware_version
        payload = {"reason": reason, "chargingStation": charging_station}
        return await self.call("BootNotification", payload, timeout)

    async def heartbeat(self, timeout: float = 10) -> JsonObject:
        return await self.call("Heartbeat", {}, timeout)

    async def status_notification(
        self,
        evse_id: int,
        connector_id: int,
        status: str,
        *,
        timestamp: datetime | None = None,
        timeout: float = 10,
    ) -> JsonObject:
        payload = {
            "timestamp": _iso(timestamp or datetime.now(UTC)),
            "connectorStatus": status,
            "evseId": evse_id,
            "connectorId": connector_id,
        }
        return await self.call("StatusNotification", payload, timeout)

    async def authorize(
        self, id_token: str, kind: str = "ISO14443", *, timeout: float = 10
    ) -> JsonObject:
        """Authorize a token; returns the CSMS's idTokenInfo."""
        payload = {"idToken": {"idToken": id_token, "type": kind}}
        answer = await self.call("Authorize", payload, timeout)
        info: JsonObject = answer["idTokenInfo"]
        return info

    async def reservation_status_update(
        self, reservation_id: int, status: str, *, timeout: float = 10
    ) -> JsonObject:
        payload = {"reservationId": reservation_id, "reservationUpdateStatus": status}
        return await self.call("ReservationStatusUpdate", payload, timeout)

    async def transaction_event(
        self,
        event_type: str,
        transaction_id: str,
        seq_no: int,
        *,
        timeout: float = 10,
        **fields: Any,
    ) -> JsonObject:
        """A TransactionEvent; `fields` are those of `sim.payloads.transaction_event_payload`
        (timestamp, evse_id, connector_id, id_token, meter_wh, stopped_reason, offline, …)."""
        payload = transaction_event_payload(event_type, transaction_id, seq_no, **fields)
        return await self.call("TransactionEvent", payload, timeout)

    async def meter_values(
        self, evse_id: int, wh: float, *, timestamp: datetime | None = None, timeout: float = 10
    ) -> JsonObject:
        """Stand-alone MeterValues with one Energy.Active.Import.Register reading."""
        return await self.call("MeterValues", meter_values_payload(evse_id, wh, timestamp), timeout)

    # -- incoming -------------------------------------------------------------------------------

    def on(self, action: str, handler: CallHandler) -> None:
        """Answer CSMS CALLs of `action` with `handler(payload)` (sync or async)."""
        self._handlers[action] = handler

    async def _read_loop(self, ws: ClientConnection) -> None:
        try:
            async for message in ws:
                text = message if isinstance(message, str) else message.decode("utf-8", "replace")
                self._dispatch(ws, text)
        except ConnectionClosed:
            pass
        finally:
            self._fail_pending()
            self._raw.put_nowait(_CLOSED)

    def _dispatch(self, ws: ClientConnection, text: str) -> None:
        frame = _try_parse(text)
        if frame is None:
            self._raw.put_nowait(text)
        elif frame[0] == CALL and len(frame) == 4 and isinstance(frame[3], dict):
            self._start_handler(ws, str(frame[1]), str(frame[2]), frame[3])
        elif not self._resolve(frame):
            self._raw.put_nowait(text)

    def _resolve(self, frame: list[Any]) -> bool:
        answer = self._pending.get(frame[1]) if isinstance(frame[1], str) else None
        if answer is None or answer.done():
            return False
        if frame[0] == CALLRESULT and len(frame) == 3:
            answer.set_result(frame[2])
            return True
        if frame[0] == CALLERROR and len(frame) == 5:
            answer.set_exception(CallErrorReceived(frame[2], frame[3], frame[4]))
            return True
        return False

    def _fail_pending(self) -> None:
        for answer in self._pending.values():
            if not answer.done():
                answer.set_exception(self._disconnected())

    def _start_handler(
        self, ws: ClientConnection, message_id: str, action: str, payload: JsonObject
    ) -> None:
        # A task per CSMS CALL: a handler may itself await `call()` (e.g. TriggerMessage).
        self.received_calls.append((action, payload))
        task = asyncio.create_task(self._answer(ws, message_id, action, payload))
        self._handler_tasks.add(task)
        task.add_done_callback(self._handler_tasks.discard)

    async def _answer(
        self, ws: ClientConnection, message_id: str, action: str, payload: JsonObject
    ) -> None:
        reply = await self._run_handler(message_id, action, payload)
        with contextlib.suppress(ConnectionClosed):
            await ws.send(json.dumps(reply, separators=(",", ":")))

    async def _run_handler(self, message_id: str, action: str, payload: JsonObject) -> list[Any]:
        handler = self._handlers.get(action)
        if handler is None:
            return [CALLERROR, message_id, "NotImplemented", f"No handler for {action}", {}]
        try:
            result = handler(payload)
            response = await result if inspect.isawaitable(result) else result
        except ReplyWithCallError as refusal:
            return [CALLERROR, message_id, refusal.code, refusal.description, refusal.details]
        except Exception:
            log.exception("sim_handler_failed", station_id=self.station_id, action=action)
            return [CALLERROR, message_id, "InternalError", "Simulator handler failed", {}]
        return [CALLRESULT, message_id, response]


def _try_parse(text: str) -> list[Any] | None:
    try:
        frame = json.loads(text)
    except ValueError:
        return None
    if isinstance(frame, list) and len(frame) >= 3 and frame[0] in (CALL, CALLRESULT, CALLERROR):
        return frame
    return None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
