"""RSS per idle OCPP connection of the transport (server side only), with and without compression.

The server runs in a child process with a do-nothing dispatcher; this process opens N stations,
each sends one Heartbeat, then all sit idle. Server RSS before and after gives KiB per connection.
Usage: python benchmarks/idle_memory_transport.py [connections]   (loopback only)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import multiprocessing
import resource
import sys
from multiprocessing.connection import Connection
from pathlib import Path

import structlog
from websockets.asyncio.client import connect
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tourmaline.clock import SystemClock
from tourmaline.ocpp.rpc import Call, CallResult
from tourmaline.ocpp.schemas import SchemaRegistry
from tourmaline.settings import ListenerSettings, OcppSettings
from tourmaline.transport import ws_server
from tourmaline.transport.ports import (
    Admission,
    FrameRecord,
    HandshakeRequest,
    Reply,
    StationLink,
)
from tourmaline.transport.ws_server import OcppServer

MODES = {
    "none": "no compression",
    "deflate": "deflate, no context takeover",
    "takeover": "deflate, context takeover (12 bits)",
}


def context_takeover_extension() -> ServerPerMessageDeflateFactory:
    return ServerPerMessageDeflateFactory(
        server_max_window_bits=12, client_max_window_bits=12, compress_settings={"memLevel": 5}
    )


class AllowAll:
    async def admit(self, request: HandshakeRequest) -> Admission:
        return Admission.ALLOW


class Answer:
    async def dispatch(self, link: StationLink, call: Call) -> Reply:
        return Reply(CallResult(call.message_id, {"currentTime": "2026-01-01T00:00:00Z"}))


class Ignore:
    async def opened(self, link: StationLink) -> None: ...

    async def closed(self, link: StationLink, code: int | None, reason: str) -> None: ...

    def frame(self, record: FrameRecord) -> None: ...

    def call_outcome(self, station_id: str, message_id: str, outcome: str) -> None: ...


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def serve(pipe: Connection, mode: str) -> None:
    if mode == "takeover":
        ws_server.deflate_extension = context_takeover_extension  # type: ignore[assignment]
    server = OcppServer(
        listener=ListenerSettings(id="0", host="127.0.0.1", port=0),
        ocpp=OcppSettings(compression=mode != "none"),
        schemas=SchemaRegistry(),
        authenticator=AllowAll(),
        dispatcher=Answer(),
        hooks=Ignore(),
        clock=SystemClock(),
    )
    await server.start()
    pipe.send(server.port)
    loop = asyncio.get_running_loop()
    while await loop.run_in_executor(None, pipe.recv) != "stop":
        pipe.send(rss_kib())
    await server.close()


def server_main(pipe: Connection, mode: str) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    asyncio.run(serve(pipe, mode))


async def open_stations(port: int, count: int) -> list[object]:
    stations = []
    for index in range(count):
        client = await connect(f"ws://127.0.0.1:{port}/cp{index}", subprotocols=["ocpp2.0.1"])
        await client.send(json.dumps([2, "1", "Heartbeat", {}]))
        await client.recv()
        stations.append(client)
    return stations


async def measure(count: int, mode: str) -> float:
    # A fresh interpreter per run: a forked child would reuse memory freed by earlier runs.
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=server_main, args=(child, mode))
    process.start()
    port = parent.recv()
    parent.send("rss")
    before = parent.recv()
    stations = await open_stations(port, count)
    await asyncio.sleep(1)
    parent.send("rss")
    after = parent.recv()
    for station in stations:
        with contextlib.suppress(Exception):
            await station.close()  # type: ignore[attr-defined]
    parent.send("stop")
    process.join()
    return (after - before) / count


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 2 * count + 100)), hard))
    for mode, label in MODES.items():
        per_connection = asyncio.run(measure(count, mode))
        print(f"{label:38} {count} idle connections: {per_connection:.1f} KiB each")


if __name__ == "__main__":
    main()
