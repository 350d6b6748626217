"""Real TLS listeners on port 0 with certificates made by Tourmaline's own PKI code.

The PKI (root CA, station CA, RSA and EC server certificates for localhost/127.0.0.1) is made
once per test process; station client certificates (valid, for another station, expired, from
an unknown CA) are issued from it. Tests that change certificate files work on a copy.
"""

from __future__ import annotations

import shutil
import ssl
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fixtures_db import sqlite_url
from tests.integration.conftest import make_settings
from tourmaline.runtime import Runtime, build_runtime
from tourmaline.services.pki import (
    LocalCertificateAuthority,
    PkiDirectory,
    init_pki,
    write_station_files,
)
from tourmaline.services.pki.certificates import SigningCa, new_ca
from tourmaline.services.stations import StationWrite
from tourmaline.settings import PKI_FILES, Settings
from tourmaline.sim.station import SimulatedStation

SERVER_NAMES = ["localhost", "127.0.0.1"]
STATION = "cp-tls"
OTHER_STATION = "cp-other"
PASSWORD = "DbkTu048=xueA69@-dB94hjV*fGdyQOzgVuhhH1L"
SP1, SP2, SP3 = "1", "2", "3"


@dataclass(frozen=True)
class ClientCertificate:
    chain: Path
    key: Path


@dataclass(frozen=True)
class Pki:
    directory: PkiDirectory
    valid: ClientCertificate
    other_station: ClientCertificate
    expired: ClientCertificate
    unknown_ca: ClientCertificate

    @property
    def root(self) -> Path:
        return self.directory.file(PKI_FILES.root_cert)


@dataclass
class SecurityEvents:
    """A `SecurityEventSink` that keeps what it is given."""

    events: list[tuple[str | None, str, str | None]] = field(default_factory=list)

    def __call__(self, station_id: str | None, event_type: str, tech_info: str | None) -> None:
        self.events.append((station_id, event_type, tech_info))

    def of_type(self, event_type: str) -> list[tuple[str | None, str, str | None]]:
        return [event for event in self.events if event[1] == event_type]


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    root = tmp_path_factory.mktemp("pki")
    directory = init_pki(root / "ca", SERVER_NAMES)
    authority = LocalCertificateAuthority.load(directory.path)
    clients = root / "clients"

    def issue(name: str, station_id: str, **options: object) -> ClientCertificate:
        issued = authority.issue_station(station_id, **options)  # type: ignore[arg-type]
        chain, key = write_station_files(issued, clients / name, station_id)
        return ClientCertificate(chain, key)

    long_ago = datetime.now(UTC) - timedelta(days=30)
    stranger = LocalCertificateAuthority(throwaway_ca())
    issued = stranger.issue_station(STATION)
    chain, key = write_station_files(issued, clients / "unknown-ca", STATION)
    return Pki(
        directory=directory,
        valid=issue("valid", STATION),
        other_station=issue("other", OTHER_STATION),
        expired=issue("expired", STATION, days=1, now=long_ago),
        unknown_ca=ClientCertificate(chain, key),
    )


def throwaway_ca() -> SigningCa:
    return new_ca("Somebody Else's CA", days=30, key_type="ec")


def client_context(
    pki: Pki,
    certificate: ClientCertificate | None = None,
    *,
    tls12_cipher: str | None = None,
) -> ssl.SSLContext:
    """A station's TLS client: trusts the CSMS root; optionally presents a client certificate;
    with `tls12_cipher`, speaks only TLS 1.2 with that one suite."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=pki.root)
    if certificate is not None:
        context.load_cert_chain(certificate.chain, certificate.key)
    if tls12_cipher is not None:
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        context.set_ciphers(tls12_cipher)
    return context


def legacy_client_context(pki: Pki) -> ssl.SSLContext:
    """A client that offers nothing newer than TLS 1.1 (OpenSSL 3 only tries at level 0)."""
    context = client_context(pki)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def tls_settings(database_url: str, tls_dir: Path, **security: object) -> Settings:
    base = make_settings(database_url).model_dump()
    listeners = [
        {"id": profile, "host": "127.0.0.1", "port": 0, "security_profile": int(profile)}
        for profile in (SP1, SP2, SP3)
    ]
    return Settings.model_validate(
        {**base, "listeners": listeners, "tls": {"dir": tls_dir}, "security": security}
    )


RuntimeFactory = Callable[..., Awaitable[Runtime]]


@pytest.fixture
def security_events() -> SecurityEvents:
    return SecurityEvents()


@pytest.fixture
async def start_runtime(security_events: SecurityEvents) -> AsyncIterator[RuntimeFactory]:
    """Start runtimes with TLS listeners 1, 2 and 3; every one is stopped at the end."""
    started: list[Runtime] = []

    async def _start(settings: Settings) -> Runtime:
        runtime = build_runtime(settings, security_events=security_events)
        await runtime.start(serve_api=False)
        started.append(runtime)
        return runtime

    yield _start
    for runtime in started:
        await runtime.stop()


@pytest.fixture
async def runtime(start_runtime: RuntimeFactory, migrated_database_url: str, pki: Pki) -> Runtime:
    """TLS runtime on the parametrised database (SQLite, and PostgreSQL when configured)."""
    return await start_runtime(tls_settings(migrated_database_url, pki.directory.path))


@pytest.fixture
def sqlite_database(tmp_path: Path, _sqlite_template: Path) -> str:
    """A migrated SQLite database, for tests about TLS alone (no reason to repeat them on
    PostgreSQL)."""
    path = tmp_path / "tls.db"
    shutil.copyfile(_sqlite_template, path)
    return sqlite_url(path)


@pytest.fixture
def pki_copy(pki: Pki, tmp_path: Path) -> Path:
    """A private copy of the PKI directory, for tests that replace certificate files."""
    target = tmp_path / "pki"
    shutil.copytree(pki.directory.path, target)
    return target


async def add_station(
    runtime: Runtime, station_id: str, password: str | None = PASSWORD, min_profile: int = 0
) -> None:
    await runtime.stations.upsert(station_id, StationWrite(min_security_profile=min_profile))
    if password is not None:
        await runtime.credentials.set_password(station_id, password)


StationOpener = Callable[..., Awaitable[SimulatedStation]]


@pytest.fixture
async def open_station() -> AsyncIterator[StationOpener]:
    """Simulated stations over wss://; every one is closed at the end of the test."""
    opened: list[SimulatedStation] = []

    async def _open(
        runtime: Runtime, listener: str, station_id: str, context: ssl.SSLContext, **kwargs: object
    ) -> SimulatedStation:
        url = runtime.station_url(listener, station_id)
        station = SimulatedStation(url, station_id, ssl_context=context, **kwargs)  # type: ignore[arg-type]
        await station.connect()
        opened.append(station)
        return station

    yield _open
    for station in opened:
        await station.close()
