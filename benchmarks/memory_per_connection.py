"""Server memory per idle OCPP connection: RSS before and after N stations connect and boot.

Either start the server here (`{port}` in the command is replaced by a free loopback port):

    python benchmarks/memory_per_connection.py --stations 10000 \
        --server-cmd "python benchmarks/stub_server.py --port {port} --compression none"

or measure a server that already runs:

    python benchmarks/memory_per_connection.py --url ws://127.0.0.1:8081 --pid <server pid>

RSS is VmRSS from /proc/<pid>/status, read after a warm-up round (so imports and caches are not
charged to the connections) and again after the fleet has been idle for `--settle` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shlex
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from tourmaline.sim.load import (  # noqa: E402 - after the src path is known
    LoadConfig,
    close_fleet,
    ensure_loopback,
    open_fleet,
    raise_fd_limit,
    run_async,
)

DEFAULT_SERVER = f"{sys.executable} {REPO / 'benchmarks' / 'stub_server.py'} --port {{port}}"
MAX_STATIONS = 60_000
WARM_UP_STATIONS = 50


@dataclass(frozen=True)
class MemoryReport:
    stations: int
    connected: int
    rss_before_kib: int
    rss_after_kib: int
    kib_per_connection: float
    errors: dict[str, int]

    def render_text(self) -> str:
        return (
            f"connected {self.connected}/{self.stations}; server RSS {self.rss_before_kib} KiB -> "
            f"{self.rss_after_kib} KiB; {self.kib_per_connection:.1f} KiB per connection"
            + (f"; errors {self.errors}" if self.errors else "")
        )


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_for_port(port: int, deadline: float) -> None:
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on port {port}") from None
            await asyncio.sleep(0.1)
            continue
        writer.close()
        await writer.wait_closed()
        return


async def measure(url: str, pid: int, args: argparse.Namespace) -> MemoryReport:
    compression = None if args.compression == "none" else "deflate"
    base = LoadConfig(url=url, rate=0, duration=0, compression=compression, boot=not args.no_boot)
    warm = await open_fleet(_with(base, stations=WARM_UP_STATIONS, id_prefix="warm-"))
    await close_fleet(warm.stations)
    await asyncio.sleep(args.settle)
    before = rss_kib(pid)
    fleet = await open_fleet(_with(base, stations=args.stations, id_prefix=args.id_prefix))
    try:
        await asyncio.sleep(args.settle)
        after = rss_kib(pid)
    finally:
        await close_fleet(fleet.stations)
    connected = len(fleet.stations)
    per_connection = (after - before) / connected if connected else float("nan")
    errors = dict(fleet.errors)
    return MemoryReport(args.stations, connected, before, after, per_connection, errors)


def _with(config: LoadConfig, *, stations: int, id_prefix: str) -> LoadConfig:
    return LoadConfig(**{**asdict(config), "stations": stations, "id_prefix": id_prefix})


async def measure_started_server(args: argparse.Namespace) -> MemoryReport:
    port = free_port()
    command = shlex.split(args.server_cmd.format(port=port))
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: ASYNC220
    try:
        await wait_for_port(port, time.monotonic() + args.start_timeout)
        return await measure(f"ws://127.0.0.1:{port}", server.pid, args)
    finally:
        server.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            await asyncio.to_thread(server.wait, 15)
        server.kill()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=10_000)
    parser.add_argument("--server-cmd", default=DEFAULT_SERVER, help="command; {port} is filled")
    parser.add_argument("--url", help="measure an already running server (needs --pid)")
    parser.add_argument("--pid", type=int, help="pid of the already running server")
    parser.add_argument("--compression", choices=["deflate", "none"], default="none")
    parser.add_argument("--no-boot", action="store_true", help="connect only")
    parser.add_argument("--id-prefix", default="mem-")
    parser.add_argument("--settle", type=float, default=2.0, help="idle seconds before reading")
    parser.add_argument("--start-timeout", type=float, default=30.0)
    parser.add_argument("--json", action="store_true")
    return parser


def main() -> int:
    args = _parser().parse_args()
    if not 1 <= args.stations <= MAX_STATIONS:
        sys.exit(f"--stations must be between 1 and {MAX_STATIONS}")
    if (args.url is None) != (args.pid is None):
        sys.exit("--url and --pid go together")
    raise_fd_limit(args.stations + WARM_UP_STATIONS)
    if args.url is not None:
        ensure_loopback(args.url)
        report = run_async(measure(args.url, args.pid, args))
    else:
        report = run_async(measure_started_server(args))
    print(json.dumps(asdict(report), indent=2) if args.json else report.render_text())
    return 0 if report.connected == report.stations else 1


if __name__ == "__main__":
    raise SystemExit(main())
