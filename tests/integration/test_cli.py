"""The `tourmaline` command as an operator types it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tourmaline.cli import app

runner = CliRunner()


def invoke(*args: str, database: Path) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--database-url", f"sqlite+aiosqlite:///{database}"])
    return result.exit_code, result.output


def test_station_add_list_remove(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"

    code, out = invoke("station", "add", "cp-cli", "--generate-password", database=db)
    assert code == 0, out
    generated = out.split("password (shown once): ")[1].strip()
    assert len(generated) == 40

    code, out = invoke("station", "list", "--json", database=db)
    assert code == 0, out
    assert [row["id"] for row in json.loads(out)] == ["cp-cli"]

    code, out = invoke("station", "remove", "cp-cli", database=db)
    assert code == 0, out
    code, out = invoke("station", "list", "--json", database=db)
    assert json.loads(out) == []


def test_station_add_refuses_a_password_outside_the_ocpp_rules(tmp_path: Path) -> None:
    code, out = invoke(
        "station", "add", "cp-cli", "--password", "short", database=tmp_path / "x.db"
    )
    assert code == 2
    assert "password" in out.lower()


def test_removing_an_unknown_station_fails(tmp_path: Path) -> None:
    code, out = invoke("station", "remove", "nobody", database=tmp_path / "x.db")
    assert code == 1
    assert "no station nobody" in out


def test_db_upgrade_then_current(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    code, out = invoke("db", "upgrade", database=db)
    assert code == 0, out
    code, out = invoke("db", "current", database=db)
    assert code == 0
    assert "initial" in out or len(out.strip()) > 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.timeout(60)
def test_serve_starts_on_an_empty_directory_and_stops_on_sigterm(tmp_path: Path) -> None:
    """The README's `make run` path: `tourmaline serve` with nothing prepared."""
    api, ws, auth = free_port(), free_port(), free_port()
    env = {**os.environ, "TOURMALINE_LOG__LEVEL": "WARNING"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tourmaline",
            "serve",
            "--host",
            "127.0.0.1",
            "--api-port",
            str(api),
            "--ws-port",
            str(ws),
            "--auth-port",
            str(auth),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{api}/health", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert health.json() == {"status": "healthy"}
        docs = httpx.get(f"http://127.0.0.1:{api}/docs", timeout=5)
        assert docs.status_code == 200
        assert "swagger" in docs.text.lower()
        assert (tmp_path / "tourmaline.db").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert proc.returncode == 0
