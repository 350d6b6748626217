#!/usr/bin/env bash
# Run every OCPP benchmark against one target, loopback only; each run stops by itself.
#   benchmarks/run_all.sh                      # against the stub (the harness ceiling)
#   TARGET=ws://127.0.0.1:8081 SERVER_PID=<pid> benchmarks/run_all.sh   # against `tourmaline serve`
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export PYTHONPATH=src${PYTHONPATH:+:$PYTHONPATH}
LOAD="$PY -m tourmaline.sim.load"

stub_pid=""
if [[ -z "${TARGET:-}" ]]; then
    $PY benchmarks/stub_server.py --port 18091 --compression none & stub_pid=$!
    trap 'kill "$stub_pid" 2>/dev/null || true' EXIT
    TARGET=ws://127.0.0.1:18091
    SERVER_PID=$stub_pid
    sleep 1
fi

echo "== 1. 2,000 stations connected and Accepted (target: within 5 s)"
$LOAD --url "$TARGET" --stations 2000 --rate 0 --duration 0 --id-prefix connect-

echo "== 2. 1,000 stations x 2 Heartbeats/s for 30 s (target: all answered, p99 < 50 ms)"
$LOAD --url "$TARGET" --stations 1000 --rate 2 --duration 30 --id-prefix steady-

echo "== 3. saturated throughput, 100 stations back to back for 10 s (target: >= 70 % of the stub)"
$LOAD --url "$TARGET" --stations 100 --saturate --duration 10 --id-prefix sat-

echo "== 4. memory per idle connection, 10,000 stations (target: < 50 KiB)"
if [[ -n "$stub_pid" ]]; then
    # Its own stub instance, so the earlier runs do not blur the RSS figures.
    $PY benchmarks/memory_per_connection.py --stations 10000 \
        --server-cmd "$PY benchmarks/stub_server.py --port {port} --compression none"
else
    $PY benchmarks/memory_per_connection.py --stations 10000 --url "$TARGET" --pid "$SERVER_PID"
fi
