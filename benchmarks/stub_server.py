"""A do-nothing OCPP 2.0.1 "server" on the `websockets` library: the harness ceiling.

Answers every CALL with `[3, id, {}]` and BootNotification with Accepted, so a load run against it
measures the load generator and the WebSocket layer only.

    python benchmarks/stub_server.py --port 8091 [--compression deflate] [--ping-interval 60]

Prints `listening on ws://127.0.0.1:<port>` once ready (port 0 picks a free one).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
from datetime import UTC, datetime
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol


def answer(text: str | bytes) -> str | None:
    try:
        frame = json.loads(text)
    except ValueError:
        return '[4,"-1","RpcFrameworkError","Invalid OCPP-J frame",{}]'
    if not isinstance(frame, list) or len(frame) != 4 or frame[0] != 2:
        return None
    payload: dict[str, Any] = {}
    if frame[2] == "BootNotification":
        now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        payload = {"status": "Accepted", "currentTime": now, "interval": 300}
    return json.dumps([3, frame[1], payload], separators=(",", ":"))


async def handle(ws: ServerConnection) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for text in ws:
            reply = answer(text)
            if reply is not None:
                await ws.send(reply)


async def serve_forever(host: str, port: int, compression: str | None, ping: float | None) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(
        handle,
        host,
        port,
        subprotocols=[Subprotocol("ocpp2.0.1")],
        compression=compression,
        ping_interval=ping,
        backlog=4096,
    ) as server:
        bound = next(iter(server.sockets)).getsockname()[1]
        print(f"listening on ws://{host}:{bound}", flush=True)
        await stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--compression", choices=["deflate", "none"], default="deflate")
    parser.add_argument("--ping-interval", type=float, default=None)
    args = parser.parse_args()
    compression = None if args.compression == "none" else "deflate"
    coroutine = serve_forever(args.host, args.port, compression, args.ping_interval)
    try:
        import uvloop
    except ImportError:
        asyncio.run(coroutine)
    else:
        uvloop.run(coroutine)


if __name__ == "__main__":
    main()
