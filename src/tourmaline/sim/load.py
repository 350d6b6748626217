"""Bounded OCPP load generator: N simulated stations boot, then send Heartbeats for S seconds.

    python -m tourmaline.sim.load --url ws://127.0.0.1:8081 --stations 1000 --rate 2 --duration 10

Each station keeps one outstanding CALL (OCPP-J 4.1.1); a slot that comes due while the previous
Heartbeat is still unanswered is counted as missed rather than sent late, so a slow server shows up
as offered > sent instead of as a burst. Only loopback targets are allowed unless `--allow-host`:
this tool opens thousands of sockets and must not be pointed at someone else's server by accident.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import math
import random
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import structlog

from tourmaline.sim.station import CallErrorReceived, SimulatedStation, StationDisconnected

__all__ = [
    "FleetResult",
    "LoadConfig",
    "LoadReport",
    "close_fleet",
    "ensure_loopback",
    "main",
    "open_fleet",
    "percentiles",
    "raise_fd_limit",
    "run_async",
    "run_load",
]

log = structlog.get_logger(__name__)
T = TypeVar("T")
FD_HEADROOM = 256


@dataclass(frozen=True, slots=True)
class LoadConfig:
    url: str
    stations: int = 100
    rate: float = 1.0  # Heartbeats per second per station
    duration: float = 10.0
    ramp: float = 0.0  # seconds over which connection attempts are spread
    connect_concurrency: int = 200
    schedule: Literal["poisson", "fixed"] = "fixed"
    compression: Literal["deflate"] | None = None
    id_prefix: str = "sim-"
    password: str | None = None
    call_timeout: float = 10.0
    boot: bool = True
    seed: int | None = None
    saturate: bool = False  # back-to-back Heartbeats instead of `rate`: the throughput ceiling


@dataclass(slots=True)
class FleetResult:
    stations: list[SimulatedStation] = field(default_factory=list)
    boot_statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    connect_seconds: float = 0.0
    all_accepted_seconds: float | None = None


@dataclass(slots=True)
class _Traffic:
    offered: int = 0
    sent: int = 0
    answered: int = 0
    missed: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class LoadReport:
    stations: int
    connected: int
    boot_statuses: dict[str, int]
    connect_seconds: float
    connections_per_second: float
    all_accepted_seconds: float | None
    duration_seconds: float
    calls_offered: int
    calls_sent: int
    calls_answered: int
    calls_missed: int
    offered_per_second: float
    answered_per_second: float
    latency_ms: dict[str, float]
    errors: dict[str, int]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    def render_text(self) -> str:
        accepted = self.all_accepted_seconds
        latency = self.latency_ms
        lines = [
            f"stations          {self.connected}/{self.stations} connected",
            f"boots             {self.boot_statuses}",
            f"connect           {self.connect_seconds:.2f} s ({self.connections_per_second:.0f}/s)",
            "all Accepted      " + (f"{accepted:.2f} s" if accepted is not None else "no"),
            f"calls             offered {self.calls_offered}, sent {self.calls_sent}, "
            f"answered {self.calls_answered}, missed slots {self.calls_missed}",
            f"throughput        offered {self.offered_per_second:.0f}/s, "
            f"answered {self.answered_per_second:.0f}/s over {self.duration_seconds:.2f} s",
            "latency ms        "
            + ", ".join(f"{name} {latency.get(name, math.nan):.2f}" for name in _LATENCY_KEYS),
            f"errors            {self.errors or 'none'}",
        ]
        return "\n".join(lines)


_LATENCY_KEYS = ("p50", "p95", "p99", "max", "mean")


# -- guards -------------------------------------------------------------------------------------


def ensure_loopback(url: str, *, allow_host: bool = False) -> None:
    """Refuse non-loopback targets unless explicitly allowed."""
    host = urlsplit(url).hostname or ""
    if allow_host or host == "localhost" or _is_loopback_ip(host):
        return
    raise ValueError(f"refusing to load {host!r}: not a loopback address (use --allow-host)")


def _is_loopback_ip(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def raise_fd_limit(connections: int) -> int:
    """Lift the soft RLIMIT_NOFILE so `connections` sockets fit; return the resulting soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = connections + FD_HEADROOM
    if soft >= needed:
        return soft
    target = needed if hard == resource.RLIM_INFINITY else min(hard, needed)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if target < needed:
        log.warning("fd_limit_too_low", wanted=needed, hard_limit=hard)
    return target


# -- fleet --------------------------------------------------------------------------------------


def _station(config: LoadConfig, index: int) -> SimulatedStation:
    return SimulatedStation(
        config.url,
        f"{config.id_prefix}{index:06d}",
        password=config.password,
        compression=config.compression,
        open_timeout=max(config.call_timeout, 10.0),
    )


async def open_fleet(config: LoadConfig) -> FleetResult:
    """Connect (and boot) every station with bounded concurrency, spread over `config.ramp`."""
    fleet = FleetResult()
    gate = asyncio.Semaphore(config.connect_concurrency)
    started = time.perf_counter()
    last_accept: list[float] = []

    async def bring_up(index: int) -> None:
        if config.ramp > 0:
            await asyncio.sleep(config.ramp * index / config.stations)
        station = _station(config, index)
        async with gate:
            if not await _connect(station, fleet):
                return
            fleet.stations.append(station)
            if config.boot and await _boot(station, fleet, config.call_timeout):
                last_accept.append(time.perf_counter() - started)

    await asyncio.gather(*(bring_up(i) for i in range(config.stations)))
    fleet.connect_seconds = time.perf_counter() - started
    if config.boot and fleet.boot_statuses["Accepted"] == config.stations:
        fleet.all_accepted_seconds = max(last_accept, default=0.0)
    return fleet


async def _connect(station: SimulatedStation, fleet: FleetResult) -> bool:
    try:
        await station.connect()
    except Exception as failure:  # any refusal (HTTP status, reset, timeout) is a measured outcome
        fleet.errors[f"connect: {type(failure).__name__}"] += 1
        return False
    return True


async def _boot(station: SimulatedStation, fleet: FleetResult, call_timeout: float) -> bool:
    try:
        answer = await station.boot(timeout=call_timeout)
    except (CallErrorReceived, StationDisconnected, TimeoutError) as failure:
        fleet.errors[f"boot: {_error_name(failure)}"] += 1
        return False
    status = str(answer.get("status"))
    fleet.boot_statuses[status] += 1
    return status == "Accepted"


async def close_fleet(stations: Sequence[SimulatedStation], concurrency: int = 500) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def close_one(station: SimulatedStation) -> None:
        async with gate:
            with contextlib.suppress(Exception):
                await station.close()

    await asyncio.gather(*(close_one(s) for s in stations))


# -- steady traffic -----------------------------------------------------------------------------


def _gaps(config: LoadConfig, rng: random.Random) -> Callable[[], float]:
    mean = 1.0 / config.rate
    if config.schedule == "fixed":
        return lambda: mean
    return lambda: rng.expovariate(config.rate)


async def _heartbeats(
    station: SimulatedStation, config: LoadConfig, traffic: _Traffic, rng: random.Random
) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    end = start + config.duration
    if config.saturate:
        while loop.time() < end:
            traffic.offered += 1
            if not await _one_heartbeat(station, config, traffic):
                return
        return
    gap = _gaps(config, rng)
    due = start + rng.uniform(0, 1.0 / config.rate)  # de-synchronise the fleet
    while due < end:
        await asyncio.sleep(max(0.0, due - loop.time()))
        traffic.offered += 1
        if not await _one_heartbeat(station, config, traffic):
            return
        due += gap()
        due = _skip_missed_slots(due, min(loop.time(), end), gap, traffic)


def _skip_missed_slots(
    due: float, now: float, gap: Callable[[], float], traffic: _Traffic
) -> float:
    # One outstanding CALL per station (OCPP-J 4.1.1): slots that passed while waiting are lost.
    while due < now:
        traffic.offered += 1
        traffic.missed += 1
        due += gap()
    return due


async def _one_heartbeat(station: SimulatedStation, config: LoadConfig, traffic: _Traffic) -> bool:
    traffic.sent += 1
    began = time.perf_counter()
    try:
        await station.heartbeat(timeout=config.call_timeout)
    except (CallErrorReceived, TimeoutError) as failure:
        traffic.errors[_error_name(failure)] += 1
        return True
    except StationDisconnected:
        traffic.errors["disconnected"] += 1
        return False
    traffic.latencies.append(time.perf_counter() - began)
    traffic.answered += 1
    return True


def _error_name(failure: Exception) -> str:
    if isinstance(failure, CallErrorReceived):
        return f"CALLERROR {failure.code}"
    if isinstance(failure, TimeoutError):
        return "timeout"
    return type(failure).__name__


# -- report -------------------------------------------------------------------------------------


def _percentiles(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {}
    ordered = sorted(samples)

    def rank(q: float) -> float:
        return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)] * 1000

    stats = {"p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99)}
    stats |= {"max": ordered[-1] * 1000, "mean": sum(ordered) / len(ordered) * 1000}
    return {name: round(value, 3) for name, value in stats.items()}


percentiles = _percentiles
"""p50/p95/p99/max/mean in milliseconds of latencies in seconds (for other load tools)."""


def _report(
    config: LoadConfig, fleet: FleetResult, traffic: _Traffic, elapsed: float
) -> LoadReport:
    connected = len(fleet.stations)
    span = max(elapsed, 1e-9)
    return LoadReport(
        stations=config.stations,
        connected=connected,
        boot_statuses=dict(fleet.boot_statuses),
        connect_seconds=round(fleet.connect_seconds, 4),
        connections_per_second=round(connected / max(fleet.connect_seconds, 1e-9), 1),
        all_accepted_seconds=fleet.all_accepted_seconds,
        duration_seconds=round(elapsed, 4),
        calls_offered=traffic.offered,
        calls_sent=traffic.sent,
        calls_answered=traffic.answered,
        calls_missed=traffic.missed,
        offered_per_second=round(traffic.offered / span, 1),
        answered_per_second=round(traffic.answered / span, 1),
        latency_ms=_percentiles(traffic.latencies),
        errors=dict(fleet.errors + traffic.errors),
    )


async def run_load(config: LoadConfig) -> LoadReport:
    """Open the fleet, run the Heartbeat phase, close everything, and report."""
    raise_fd_limit(config.stations)
    rng = random.Random(config.seed)  # noqa: S311 - scheduling jitter, not security
    fleet = await open_fleet(config)
    traffic = _Traffic()
    try:
        began = time.perf_counter()
        if (config.rate > 0 or config.saturate) and config.duration > 0:
            await asyncio.gather(*(_heartbeats(s, config, traffic, rng) for s in fleet.stations))
        elapsed = time.perf_counter() - began
    finally:
        await close_fleet(fleet.stations)
    return _report(config, fleet, traffic, elapsed)


# -- command line -------------------------------------------------------------------------------


def run_async(main_coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop when it is installed (a cheaper client leaves more CPU to the server)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main_coroutine)
    return uvloop.run(main_coroutine)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tourmaline.sim.load", description=__doc__)
    parser.add_argument("--url", default="ws://127.0.0.1:8081", help="listener base URL")
    parser.add_argument("--stations", type=int, default=100)
    parser.add_argument("--rate", type=float, default=1.0, help="Heartbeats/s per station")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of Heartbeats")
    parser.add_argument("--ramp", type=float, default=0.0, help="spread connects over seconds")
    parser.add_argument("--connect-concurrency", type=int, default=200)
    parser.add_argument("--schedule", choices=["fixed", "poisson"], default="fixed")
    parser.add_argument("--compression", choices=["deflate", "none"], default="none")
    parser.add_argument("--id-prefix", default="sim-")
    parser.add_argument("--password", default=None, help="Basic-auth password for every station")
    parser.add_argument("--call-timeout", type=float, default=10.0)
    parser.add_argument("--no-boot", action="store_true", help="skip BootNotification")
    parser.add_argument("--saturate", action="store_true", help="send back to back, ignore --rate")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--allow-host", action="store_true", help="allow a non-loopback URL")
    return parser


MAX_STATIONS = 60_000


def config_from_args(args: argparse.Namespace) -> LoadConfig:
    if not 1 <= args.stations <= MAX_STATIONS:
        raise ValueError(f"--stations must be between 1 and {MAX_STATIONS}")
    if args.rate < 0 or args.duration < 0 or args.connect_concurrency < 1:
        raise ValueError("--rate and --duration must be >= 0, --connect-concurrency >= 1")
    return LoadConfig(
        url=args.url,
        stations=args.stations,
        rate=args.rate,
        duration=args.duration,
        ramp=args.ramp,
        connect_concurrency=args.connect_concurrency,
        schedule=args.schedule,
        compression=None if args.compression == "none" else "deflate",
        id_prefix=args.id_prefix,
        password=args.password,
        call_timeout=args.call_timeout,
        boot=not args.no_boot,
        seed=args.seed,
        saturate=args.saturate,
    )


def main(argv: Sequence[str] | None = None, *, out: Callable[[str], Any] = print) -> int:
    args = _parser().parse_args(argv)
    try:
        ensure_loopback(args.url, allow_host=args.allow_host)
        config = config_from_args(args)
    except ValueError as refusal:
        sys.stderr.write(f"error: {refusal}\n")
        return 2
    report = run_async(run_load(config))
    out(report.to_json() if args.json else report.render_text())
    return 0 if report.connected == config.stations and not report.errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
