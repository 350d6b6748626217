"""TLS itself (ocpp-rules.md §4.2, OCTT TC_A_04, TC_A_06): the four OCPP suites, TLS 1.1
refused, key sizes, and certificate reload without a restart. The database plays no part
here, so these run on SQLite only."""

from __future__ import annotations

import asyncio
import socket
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidMessage

from tourmaline.ocpp.security_events import (
    INVALID_CHARGING_STATION_CERTIFICATE,
    INVALID_TLS_VERSION,
)
from tourmaline.runtime import Runtime, build_runtime
from tourmaline.services.pki.authority import load_signing_ca
from tourmaline.services.pki.certificates import (
    certificate_pem,
    generate_key,
    private_key_pem,
    server_certificate,
)
from tourmaline.services.pki.directory import write_private, write_public
from tourmaline.settings import PKI_FILES
from tourmaline.transport.tls import TlsConfigurationError

from .conftest import (
    PASSWORD,
    SERVER_NAMES,
    SP2,
    SP3,
    STATION,
    Pki,
    RuntimeFactory,
    SecurityEvents,
    StationOpener,
    add_station,
    client_context,
    legacy_client_context,
    throwaway_ca,
    tls_settings,
)
from .test_tls_profiles import basic_auth

OCPP_SUITES = {
    "ECDHE-ECDSA-AES128-GCM-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "AES128-GCM-SHA256": "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "AES256-GCM-SHA384": "TLS_RSA_WITH_AES_256_GCM_SHA384",
}


@pytest.fixture
async def runtime(start_runtime: RuntimeFactory, sqlite_database: str, pki: Pki) -> Runtime:
    runtime = await start_runtime(tls_settings(sqlite_database, pki.directory.path))
    await add_station(runtime, STATION)
    return runtime


@pytest.fixture
async def runtime_on_copy(
    start_runtime: RuntimeFactory, sqlite_database: str, pki_copy: Path
) -> Runtime:
    runtime = await start_runtime(tls_settings(sqlite_database, pki_copy))
    await add_station(runtime, STATION)
    return runtime


async def server_certificate_seen(runtime: Runtime, context: ssl.SSLContext) -> x509.Certificate:
    """The certificate the profile-2 listener presents to a new connection."""
    _, writer = await asyncio.open_connection("127.0.0.1", runtime.servers[SP2].port, ssl=context)
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        return x509.load_der_x509_certificate(ssl_object.getpeercert(binary_form=True))
    finally:
        writer.close()


@pytest.mark.parametrize("openssl_name", list(OCPP_SUITES), ids=list(OCPP_SUITES.values()))
async def test_each_ocpp_cipher_suite_is_negotiated_on_tls_1_2(
    runtime: Runtime, pki: Pki, openssl_name: str
) -> None:
    context = client_context(pki, tls12_cipher=openssl_name)

    async with ws_connect(
        runtime.station_url(SP2, STATION),
        ssl=context,
        subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
        additional_headers={"Authorization": basic_auth(STATION, PASSWORD)},
    ) as websocket:
        ssl_object = websocket.transport.get_extra_info("ssl_object")
        assert ssl_object.version() == "TLSv1.2"
        assert ssl_object.cipher()[0] == openssl_name
        assert websocket.subprotocol == "ocpp2.0.1"


async def test_tls_1_1_is_refused_and_recorded(
    runtime: Runtime, pki: Pki, security_events: SecurityEvents
) -> None:
    with pytest.raises(OSError):
        await asyncio.open_connection(
            "127.0.0.1", runtime.servers[SP2].port, ssl=legacy_client_context(pki)
        )

    [(station_id, _, tech_info)] = security_events.of_type(INVALID_TLS_VERSION)
    assert station_id is None
    assert tech_info is not None and tech_info.startswith(f"listener {SP2}: TLS version below 1.2")


async def test_tls_1_3_is_offered(runtime: Runtime, pki: Pki) -> None:
    _, writer = await asyncio.open_connection(
        "127.0.0.1", runtime.servers[SP3].port, ssl=client_context(pki, pki.valid)
    )
    assert writer.get_extra_info("ssl_object").version() == "TLSv1.3"
    writer.close()


async def test_profile_3_verifies_the_client_certificate_on_every_tls_1_3_connection(
    runtime: Runtime, pki: Pki
) -> None:
    """No TLS 1.3 session tickets on profile 3: a resumed session would skip the certificate
    check (expiry, a reloaded CA bundle)."""
    context = client_context(pki, pki.valid)
    port = runtime.servers[SP3].port

    first_resumed, session = await asyncio.to_thread(health_over_tls, port, context)
    second_resumed, _ = await asyncio.to_thread(health_over_tls, port, context, session)

    assert (first_resumed, second_resumed) == (False, False)


def health_over_tls(
    port: int, context: ssl.SSLContext, session: ssl.SSLSession | None = None
) -> tuple[bool, ssl.SSLSession | None]:
    """GET /health over a blocking TLS socket offering `session` for resumption: whether the
    server resumed it, and the session to offer next time."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost", session=session) as tls:
            tls.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert tls.recv(1024).startswith(b"HTTP/1.1 200")
            return tls.session_reused, tls.session


async def test_reload_serves_new_certificates_to_new_connections_and_keeps_open_sockets(
    runtime_on_copy: Runtime, pki_copy: Path, pki: Pki, open_station: StationOpener
) -> None:
    runtime = runtime_on_copy
    before = await server_certificate_seen(runtime, client_context(pki))
    old = await open_station(runtime, SP2, STATION, client_context(pki), password=PASSWORD)
    replace_server_certificates(pki_copy)

    assert runtime.reload_tls() == [SP2, SP3]

    after = await server_certificate_seen(runtime, client_context(pki))
    assert after.serial_number != before.serial_number
    assert after.serial_number in server_serials(pki_copy)
    assert (await old.heartbeat())["currentTime"]


async def test_reload_reads_a_new_station_ca_bundle(
    runtime_on_copy: Runtime,
    pki_copy: Path,
    pki: Pki,
    open_station: StationOpener,
    security_events: SecurityEvents,
) -> None:
    runtime = runtime_on_copy
    old = await open_station(runtime, SP3, STATION, client_context(pki, pki.valid))
    (pki_copy / PKI_FILES.station_ca_cert).write_text(certificate_pem(throwaway_ca().certificate))

    runtime.reload_tls()

    with pytest.raises((InvalidMessage, OSError)):
        await open_station(runtime, SP3, STATION, client_context(pki, pki.valid))
    assert security_events.events == [
        (
            None,
            INVALID_CHARGING_STATION_CERTIFICATE,
            f"listener {SP3}: client certificate: unable to get local issuer certificate",
        )
    ]
    assert (await old.heartbeat())["currentTime"]


async def test_a_failed_reload_keeps_the_certificates_in_use(
    runtime_on_copy: Runtime, pki_copy: Path, pki: Pki
) -> None:
    runtime = runtime_on_copy
    before = await server_certificate_seen(runtime, client_context(pki))
    (pki_copy / PKI_FILES.server_key).write_text("not a key\n")

    with pytest.raises(TlsConfigurationError, match=PKI_FILES.server_key):
        runtime.reload_tls()

    after = await server_certificate_seen(runtime, client_context(pki))
    assert after.serial_number == before.serial_number


async def test_a_server_key_below_2048_bits_refuses_to_start(
    sqlite_database: str, pki_copy: Path
) -> None:
    write_server_certificate(pki_copy, "rsa", PKI_FILES.server_cert, PKI_FILES.server_key, 1024)
    runtime = build_runtime(tls_settings(sqlite_database, pki_copy))
    try:
        with pytest.raises(TlsConfigurationError, match="RSA key of 1024 bits \\(minimum 2048\\)"):
            await runtime.start(serve_api=False)
        assert not runtime.ready
    finally:
        await runtime.engine.dispose()


def server_serials(directory: Path) -> set[int]:
    files = (PKI_FILES.server_cert, PKI_FILES.server_ec_cert)
    pems = [(directory / name).read_bytes() for name in files]
    return {x509.load_pem_x509_certificate(pem).serial_number for pem in pems}


def replace_server_certificates(directory: Path) -> None:
    write_server_certificate(directory, "rsa", PKI_FILES.server_cert, PKI_FILES.server_key)
    write_server_certificate(directory, "ec", PKI_FILES.server_ec_cert, PKI_FILES.server_ec_key)


def write_server_certificate(
    directory: Path, key_type: str, cert_name: str, key_name: str, rsa_bits: int = 2048
) -> None:
    root = load_signing_ca(directory / PKI_FILES.root_cert, directory / PKI_FILES.root_key)
    key = generate_key("rsa" if key_type == "rsa" else "ec", rsa_bits)
    certificate = server_certificate(SERVER_NAMES, key, root, days=1, organization="Test")
    write_private(directory / key_name, private_key_pem(key))
    write_public(directory / cert_name, certificate_pem(certificate).encode())
