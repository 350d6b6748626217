"""The PKI directory written by `tourmaline certs init` and read through `tls.dir`.

Layout (names in `settings.PKI_FILES`): the root CA (`root-ca.pem`, the certificate a station
installs as CSMSRootCertificate), the station-signing sub-CA (`station-ca.pem`, also the
station CA bundle of the profile-3 listener), an RSA and an EC CSMS server certificate
(`csms-rsa.pem`, `csms-ec.pem`), each with its `.key`, and `stations/` for lab client
certificates. Private keys are written 0600 in a 0700 directory, replaced atomically, and never
logged.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tourmaline.services.pki.authority import IssuedStationCertificate
from tourmaline.services.pki.certificates import (
    KeyType,
    PrivateKey,
    SigningCa,
    certificate_pem,
    generate_key,
    new_ca,
    private_key_pem,
    server_certificate,
)
from tourmaline.settings import PKI_FILES
from tourmaline.transport.identity import check_station_id

__all__ = [
    "DEFAULT_ORGANIZATION",
    "PkiDirectory",
    "PkiExistsError",
    "init_pki",
    "write_station_files",
]

DEFAULT_ORGANIZATION = "Tourmaline"
ROOT_DAYS = 3650
STATION_CA_DAYS = 1825
SERVER_DAYS = 730
_PRIVATE_FILE = 0o600
_PUBLIC_FILE = 0o644
_PRIVATE_DIR = 0o700


class PkiExistsError(FileExistsError):
    """The directory already holds PKI files and replacing them was not asked for."""


@dataclass(frozen=True, slots=True)
class PkiDirectory:
    path: Path

    def file(self, name: str) -> Path:
        return self.path / name

    @property
    def stations(self) -> Path:
        return self.path / PKI_FILES.stations_dir

    def existing_files(self) -> list[Path]:
        names = [name for name in PKI_FILES if name != PKI_FILES.stations_dir]
        return [self.file(name) for name in names if self.file(name).exists()]


def init_pki(
    directory: Path,
    host_names: list[str],
    *,
    organization: str = DEFAULT_ORGANIZATION,
    force: bool = False,
) -> PkiDirectory:
    """Create the root CA, the station-signing sub-CA and the two CSMS server certificates
    (CN = the first host name, every host name in the subjectAltName)."""
    if not host_names:
        raise ValueError("give at least one server name (the host name stations connect to)")
    pki = PkiDirectory(directory)
    existing = pki.existing_files()
    if existing and not force:
        names = ", ".join(path.name for path in existing)
        raise PkiExistsError(f"{directory} already holds a PKI ({names}); --force replaces it")
    _private_directory(directory)
    root = new_ca(f"{organization} Root CA", organization, days=ROOT_DAYS)
    station_ca = new_ca(
        f"{organization} Station CA", organization, issuer=root, days=STATION_CA_DAYS
    )
    _write_ca(pki, root, PKI_FILES.root_cert, PKI_FILES.root_key)
    _write_ca(pki, station_ca, PKI_FILES.station_ca_cert, PKI_FILES.station_ca_key)
    server_files: tuple[tuple[KeyType, str, str], ...] = (
        ("rsa", PKI_FILES.server_cert, PKI_FILES.server_key),
        ("ec", PKI_FILES.server_ec_cert, PKI_FILES.server_ec_key),
    )
    for key_type, cert_name, key_name in server_files:
        key = generate_key(key_type)
        certificate = server_certificate(
            host_names, key, root, days=SERVER_DAYS, organization=organization
        )
        _write_key(pki.file(key_name), key)
        write_public(pki.file(cert_name), certificate_pem(certificate).encode("ascii"))
    return pki


def write_station_files(
    issued: IssuedStationCertificate, directory: Path, station_id: str
) -> tuple[Path, Path]:
    """Write `<station_id>.pem` (chain) and `<station_id>.key` into `directory`."""
    stem = _file_stem(station_id)
    _private_directory(directory)
    certificate_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
    write_private(key_path, issued.key_pem)
    write_public(certificate_path, issued.chain_pem.encode("ascii"))
    return certificate_path, key_path


def write_private(path: Path, data: bytes) -> None:
    _atomic_write(path, data, _PRIVATE_FILE)


def write_public(path: Path, data: bytes) -> None:
    _atomic_write(path, data, _PUBLIC_FILE)


def _write_ca(pki: PkiDirectory, ca: SigningCa, cert_name: str, key_name: str) -> None:
    _write_key(pki.file(key_name), ca.key)
    write_public(pki.file(cert_name), certificate_pem(ca.certificate).encode("ascii"))


def _write_key(path: Path, key: PrivateKey) -> None:
    write_private(path, private_key_pem(key))


def _private_directory(directory: Path) -> None:
    directory.mkdir(mode=_PRIVATE_DIR, parents=True, exist_ok=True)
    directory.chmod(_PRIVATE_DIR)


def _atomic_write(path: Path, data: bytes, mode: int) -> None:
    """Readers never see a half-written file, and a key is never readable by others, not even
    for a moment (mkstemp creates the file 0600)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            os.fchmod(file.fileno(), mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _file_stem(station_id: str) -> str:
    check_station_id(station_id)
    if station_id in (".", "..") or "\\" in station_id:
        raise ValueError(f"{station_id!r} cannot be used as a file name")
    return station_id
