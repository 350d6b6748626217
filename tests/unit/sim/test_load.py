"""The load generator against an in-process stub server on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

import tourmaline
from tourmaline.sim.load import LoadConfig, ensure_loopback, main, run_load


async def _answer_everything(ws: ServerConnection) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for text in ws:
            frame = json.loads(text)
            if frame[2] == "BootNotification":
                payload = {
                    "status": "Accepted",
                    "currentTime": "2024-01-01T00:00:00Z",
                    "interval": 60,
                }
            elif frame[2] == "Heartbeat" and frame[1].endswith("3"):
                await ws.send(json.dumps([4, frame[1], "SecurityError", "no", {}]))
                continue
            else:
                payload = {}
            await ws.send(json.dumps([3, frame[1], payload]))


@pytest.fixture
async def stub_url() -> AsyncIterator[str]:
    async with serve(
        _answer_everything, "127.0.0.1", 0, subprotocols=[Subprotocol("ocpp2.0.1")]
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}"


async def test_fleet_boots_then_sends_heartbeats_at_the_requested_rate(stub_url: str) -> None:
    config = LoadConfig(url=stub_url, stations=10, rate=20, duration=0.5, connect_concurrency=3)
    report = await run_load(config)
    assert report.connected == 10
    assert report.boot_statuses == {"Accepted": 10}
    assert report.all_accepted_seconds is not None
    # Fixed spacing: 20/s for 0.5 s is 10 slots per station; every slot is sent or missed.
    assert report.calls_offered == 100
    assert report.calls_sent + report.calls_missed == report.calls_offered
    # Message ids ending in 3 are refused by the stub: those are counted as errors, not answers.
    refused = report.errors.get("CALLERROR SecurityError", 0)
    assert refused > 0
    assert report.calls_answered + refused == report.calls_sent
    assert set(report.latency_ms) == {"p50", "p95", "p99", "max", "mean"}
    assert report.latency_ms["p50"] <= report.latency_ms["p99"] <= report.latency_ms["max"]


async def test_unreachable_server_is_reported_as_connect_errors() -> None:
    report = await run_load(LoadConfig(url="ws://127.0.0.1:9", stations=3, rate=1, duration=0.1))
    assert report.connected == 0
    assert sum(n for kind, n in report.errors.items() if kind.startswith("connect:")) == 3
    assert report.all_accepted_seconds is None


@pytest.mark.parametrize("url", ["ws://127.0.0.1:1", "ws://[::1]:1/ocpp", "ws://localhost:1"])
def test_loopback_targets_are_allowed(url: str) -> None:
    ensure_loopback(url)


def test_other_hosts_are_refused_unless_allowed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="loopback"):
        ensure_loopback("ws://192.0.2.7:8081")
    ensure_loopback("ws://192.0.2.7:8081", allow_host=True)
    assert main(["--url", "ws://example.org:8081", "--stations", "1"]) == 2
    assert "--allow-host" in capsys.readouterr().err


async def test_cli_runs_as_a_module_and_prints_a_json_report(stub_url: str) -> None:
    src = str(Path(tourmaline.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": src}
    args = ["--url", stub_url, "--stations", "2", "--rate", "10", "--duration", "0.3", "--json"]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tourmaline.sim.load", *args, env=env, stdout=PIPE, stderr=PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    report = json.loads(stdout)
    assert report["connected"] == 2, stderr
    assert report["boot_statuses"] == {"Accepted": 2}
    assert report["calls_offered"] == 6  # slots at u, u+0.1, u+0.2 with u < 0.1
