"""Charging sessions under load: N simulated stations each run sessions back to back, sending
TransactionEvent Started (with an idToken and a meter reading), then an Updated with meter values
every `--interval` seconds, then Ended, and report TransactionEvent calls per second and latency.

    python benchmarks/transactions.py --url ws://127.0.0.1:8081 --stations 2000 --interval 2 \\
        --duration 30

Every answer comes after the server committed the event (interface.md §10). Each station keeps
one outstanding CALL (OCPP-J 4.1.1); a slot that passed while the previous event was unanswered
is counted as missed rather than sent late. `--saturate` sends back to back instead: the
throughput ceiling. Loopback targets only, unless `--allow-host`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from tourmaline.sim.load import (
    LoadConfig,
    close_fleet,
    ensure_loopback,
    open_fleet,
    percentiles,
    raise_fd_limit,
    run_async,
)
from tourmaline.sim.station import CallErrorReceived, SimulatedStation, StationDisconnected

MAX_STATIONS = 20_000


@dataclass(frozen=True, slots=True)
class SessionConfig:
    url: str
    stations: int
    interval: float
    updates: int
    duration: float
    saturate: bool
    call_timeout: float
    token_type: str
    seed: int | None
    server_pid: int | None = None


@dataclass
class Traffic:
    sent: int = 0
    answered: int = 0
    missed: int = 0
    sessions: int = 0
    latencies: list[float] = field(default_factory=list)
    by_type: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)


class _Stop(Exception):
    """The station's connection is gone: its loop ends."""


async def _event(
    station: SimulatedStation,
    traffic: Traffic,
    config: SessionConfig,
    kind: str,
    tx: str,
    seq: int,
    **fields: Any,
) -> None:
    traffic.sent += 1
    began = time.perf_counter()
    try:
        await station.transaction_event(
            kind, tx, seq, timeout=config.call_timeout, timestamp=datetime.now(UTC), **fields
        )
    except (CallErrorReceived, TimeoutError) as failure:
        name = failure.code if isinstance(failure, CallErrorReceived) else "timeout"
        traffic.errors[name] += 1
        return
    except StationDisconnected:
        traffic.errors["disconnected"] += 1
        raise _Stop from None
    traffic.latencies.append(time.perf_counter() - began)
    traffic.answered += 1
    traffic.by_type[kind] += 1


class _Schedule:
    """When the next event is due; slots missed while waiting for an answer are skipped."""

    def __init__(self, config: SessionConfig, rng: random.Random) -> None:
        self._loop = asyncio.get_running_loop()
        self._gap = 0.0 if config.saturate else config.interval
        self.end = self._loop.time() + config.duration
        self._due = self._loop.time() + rng.uniform(0, self._gap)

    async def next(self, traffic: Traffic) -> bool:
        now = self._loop.time()
        while self._gap and self._due < now:
            traffic.missed += 1
            self._due += self._gap
        if max(self._due, now) >= self.end:
            return False
        await asyncio.sleep(max(0.0, self._due - now))
        self._due += self._gap
        return True


async def _sessions(
    station: SimulatedStation, config: SessionConfig, traffic: Traffic, rng: random.Random
) -> None:
    schedule = _Schedule(config, rng)
    wh, number = 0.0, 0
    try:
        while await schedule.next(traffic):
            number += 1
            tx = f"{station.station_id}-{number}"
            token = f"{rng.getrandbits(32):08X}"
            start = {
                "evse_id": 1,
                "connector_id": 1,
                "id_token": token,
                "token_type": config.token_type,
            }
            await _event(station, traffic, config, "Started", tx, 0, meter_wh=wh, **start)
            for seq in range(1, config.updates + 1):
                if not await schedule.next(traffic):
                    return
                wh += 250.0
                await _event(station, traffic, config, "Updated", tx, seq, meter_wh=wh)
            if not await schedule.next(traffic):
                return
            await _event(station, traffic, config, "Ended", tx, config.updates + 1, meter_wh=wh)
            traffic.sessions += 1
    except _Stop:
        return


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process (Linux /proc), None when unknown."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _report(
    config: SessionConfig, connected: int, traffic: Traffic, elapsed: float, cpu: float | None
) -> dict[str, Any]:
    span = max(elapsed, 1e-9)
    per_event = None if cpu is None or not traffic.answered else cpu / traffic.answered * 1000
    return {
        "stations": config.stations,
        "connected": connected,
        "duration_seconds": round(elapsed, 3),
        "transaction_events_sent": traffic.sent,
        "transaction_events_answered": traffic.answered,
        "answered_per_second": round(traffic.answered / span, 1),
        "missed_slots": traffic.missed,
        "sessions_completed": traffic.sessions,
        "by_event_type": dict(traffic.by_type),
        "latency_ms": percentiles(traffic.latencies),
        "errors": dict(traffic.errors),
        "server_cpu_seconds": None if cpu is None else round(cpu, 2),
        "server_cpu_ms_per_event": None if per_event is None else round(per_event, 3),
        "settings": asdict(config),
    }


def _render(report: dict[str, Any]) -> str:
    latency = report["latency_ms"]
    return "\n".join(
        [
            f"stations          {report['connected']}/{report['stations']} connected",
            f"TransactionEvent  answered {report['transaction_events_answered']} of "
            f"{report['transaction_events_sent']} sent, {report['answered_per_second']:.0f}/s "
            f"over {report['duration_seconds']:.1f} s ({report['missed_slots']} missed slots)",
            f"by type           {report['by_event_type']}; "
            f"{report['sessions_completed']} sessions completed",
            "latency ms        "
            + ", ".join(
                f"{k} {latency.get(k, float('nan')):.2f}" for k in ("p50", "p95", "p99", "max")
            ),
            f"errors            {report['errors'] or 'none'}",
            f"server CPU        {report['server_cpu_seconds']} s, "
            f"{report['server_cpu_ms_per_event']} ms per TransactionEvent",
        ]
    )


async def run(config: SessionConfig) -> dict[str, Any]:
    raise_fd_limit(config.stations)
    rng = random.Random(config.seed)
    fleet = await open_fleet(
        LoadConfig(
            url=config.url,
            stations=config.stations,
            id_prefix="tx-",
            call_timeout=config.call_timeout,
        )
    )
    traffic = Traffic(errors=Counter(fleet.errors))
    try:
        began, cpu_before = time.perf_counter(), cpu_seconds(config.server_pid)
        await asyncio.gather(*(_sessions(s, config, traffic, rng) for s in fleet.stations))
        elapsed, cpu_after = time.perf_counter() - began, cpu_seconds(config.server_pid)
    finally:
        await close_fleet(fleet.stations)
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return _report(config, len(fleet.stations), traffic, elapsed, cpu)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python benchmarks/transactions.py", description=__doc__)
    parser.add_argument("--url", default="ws://127.0.0.1:8081", help="listener base URL")
    parser.add_argument("--stations", type=int, default=100)
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between events")
    parser.add_argument("--updates", type=int, default=10, help="Updated events per session")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of sessions")
    parser.add_argument("--saturate", action="store_true", help="send back to back")
    parser.add_argument("--call-timeout", type=float, default=10.0)
    parser.add_argument("--token-type", default="ISO14443")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--server-pid", type=int, default=None, help="report its CPU time")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--allow-host", action="store_true", help="allow a non-loopback URL")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        ensure_loopback(args.url, allow_host=args.allow_host)
        if not 1 <= args.stations <= MAX_STATIONS or args.interval <= 0 or args.duration <= 0:
            raise ValueError(f"--stations 1-{MAX_STATIONS}, --interval and --duration > 0")
    except ValueError as refusal:
        sys.stderr.write(f"error: {refusal}\n")
        return 2
    config = SessionConfig(
        url=args.url,
        stations=args.stations,
        interval=args.interval,
        updates=max(args.updates, 0),
        duration=args.duration,
        saturate=args.saturate,
        call_timeout=args.call_timeout,
        token_type=args.token_type,
        seed=args.seed,
        server_pid=args.server_pid,
    )
    report = run_async(run(config))
    print(json.dumps(report, indent=2) if args.json else _render(report))
    return 0 if report["connected"] == config.stations and not report["errors"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
