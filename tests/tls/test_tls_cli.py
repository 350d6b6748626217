"""`tourmaline certs …` and the TLS side of `tourmaline serve`, as an operator runs them."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from typer.testing import CliRunner

from tests.integration.test_cli import free_port
from tourmaline.cli import app
from tourmaline.settings import PKI_FILES

from .conftest import Pki
from .test_tls_transport import replace_server_certificates, write_server_certificate

runner = CliRunner()

PRIVATE_KEYS = [
    PKI_FILES.root_key,
    PKI_FILES.station_ca_key,
    PKI_FILES.server_key,
    PKI_FILES.server_ec_key,
]


def load(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def common_name(certificate: x509.Certificate) -> str:
    return str(certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def test_certs_init_writes_a_usable_pki_with_private_keys_closed_to_others(
    tmp_path: Path,
) -> None:
    pki = tmp_path / "pki"

    result = runner.invoke(
        app,
        [
            "certs",
            "init",
            "--dir",
            str(pki),
            "--server-name",
            "csms.example.com",
            "--server-name",
            "10.0.0.5",
        ],
    )

    assert result.exit_code == 0, result.output
    assert f"TOURMALINE_TLS__DIR={pki.resolve()}" in result.output
    assert pki.stat().st_mode & 0o777 == 0o700
    for name in PRIVATE_KEYS:
        assert (pki / name).stat().st_mode & 0o777 == 0o600, name
    [root], [station_ca] = load(pki / PKI_FILES.root_cert), load(pki / PKI_FILES.station_ca_cert)
    station_ca.verify_directly_issued_by(root)
    for name in (PKI_FILES.server_cert, PKI_FILES.server_ec_cert):
        [server] = load(pki / name)
        server.verify_directly_issued_by(root)
        assert common_name(server) == "csms.example.com"
        names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert names.get_values_for_type(x509.DNSName) == ["csms.example.com"]
        assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["10.0.0.5"]


def test_certs_init_does_not_overwrite_without_force(pki_copy: Path) -> None:
    pki = pki_copy
    root_before = (pki / PKI_FILES.root_cert).read_bytes()

    refused = runner.invoke(app, ["certs", "init", "--dir", str(pki)])

    assert refused.exit_code == 2
    assert "--force" in refused.output
    assert (pki / PKI_FILES.root_cert).read_bytes() == root_before
    replaced = runner.invoke(app, ["certs", "init", "--dir", str(pki), "--force"])
    assert replaced.exit_code == 0, replaced.output
    assert (pki / PKI_FILES.root_cert).read_bytes() != root_before


def test_certs_issue_station_writes_a_client_certificate_chained_to_the_station_ca(
    pki: Pki, tmp_path: Path
) -> None:
    out = tmp_path / "out"

    result = runner.invoke(
        app,
        [
            "certs",
            "issue-station",
            "cp001",
            "--dir",
            str(pki.directory.path),
            "--out",
            str(out),
            "--days",
            "30",
        ],
    )

    assert result.exit_code == 0, result.output
    assert (out / "cp001.key").stat().st_mode & 0o777 == 0o600
    leaf, station_ca = load(out / "cp001.pem")
    [root] = load(pki.root)
    leaf.verify_directly_issued_by(station_ca)
    station_ca.verify_directly_issued_by(root)
    assert common_name(leaf) == "cp001"
    usage = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days == 30
    again = runner.invoke(
        app,
        ["certs", "issue-station", "cp001", "--dir", str(pki.directory.path), "--out", str(out)],
    )
    assert again.exit_code == 2


@pytest.mark.parametrize("station_id", ["..", "a:b", ""])
def test_certs_issue_station_refuses_ids_no_station_could_use(
    pki: Pki, tmp_path: Path, station_id: str
) -> None:
    result = runner.invoke(
        app,
        [
            "certs",
            "issue-station",
            station_id,
            "--dir",
            str(pki.directory.path),
            "--out",
            str(tmp_path),
        ],
    )

    assert result.exit_code == 2
    assert "error:" in result.output


def test_serve_refuses_a_weak_server_key_with_a_clear_error(
    pki_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_server_certificate(pki_copy, "rsa", PKI_FILES.server_cert, PKI_FILES.server_key, 1024)
    monkeypatch.setenv("TOURMALINE_TLS__DIR", str(pki_copy))
    monkeypatch.setenv("TOURMALINE_LOG__LEVEL", "WARNING")

    result = runner.invoke(
        app, ["serve", "--database-url", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"]
    )

    assert result.exit_code == 2
    assert "RSA key of 1024 bits (minimum 2048)" in result.output
    assert not (tmp_path / "x.db").exists()


def served_serial(port: int, pki: Pki) -> int | None:
    context = ssl.create_default_context(cafile=str(pki.root))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                der = tls.getpeercert(binary_form=True)
    except OSError:
        return None
    assert der is not None
    return x509.load_der_x509_certificate(der).serial_number


def wait_for(condition: object, proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


@pytest.mark.timeout(60)
def test_sighup_reloads_the_certificates_of_a_running_server(
    pki: Pki, pki_copy: Path, tmp_path: Path
) -> None:
    port = free_port()
    # The listener's configured port is replaced by --tls-port.
    listeners = [{"id": "2", "host": "127.0.0.1", "port": 0, "security_profile": 2}]
    env = {
        **os.environ,
        "TOURMALINE_LOG__LEVEL": "WARNING",
        "TOURMALINE_TLS__DIR": str(pki_copy),
        "TOURMALINE_LISTENERS": json.dumps(listeners),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tourmaline",
            "serve",
            "--host",
            "127.0.0.1",
            "--api-port",
            str(free_port()),
            "--tls-port",
            str(port),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: served_serial(port, pki) is not None, proc)
        before = served_serial(port, pki)
        replace_server_certificates(pki_copy)

        proc.send_signal(signal.SIGHUP)

        wait_for(lambda: served_serial(port, pki) not in (None, before), proc, seconds=10)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert proc.returncode == 0


def test_certs_issue_station_without_a_pki_says_to_run_init(tmp_path: Path) -> None:
    result = runner.invoke(app, ["certs", "issue-station", "cp001", "--dir", str(tmp_path)])

    assert result.exit_code == 2
    assert "run `tourmaline certs init` first" in result.output
