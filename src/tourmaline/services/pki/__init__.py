"""The local PKI: a root CA, a station-signing sub-CA, CSMS server certificates and station
client certificates, made with `cryptography` so that no step needs the internet (issue 5)."""

from __future__ import annotations

from tourmaline.services.pki.authority import (
    CHARGING_STATION_CERTIFICATE,
    IssuedStationCertificate,
    LocalCertificateAuthority,
)
from tourmaline.services.pki.directory import (
    DEFAULT_ORGANIZATION,
    PkiDirectory,
    PkiExistsError,
    init_pki,
    write_station_files,
)

__all__ = [
    "CHARGING_STATION_CERTIFICATE",
    "DEFAULT_ORGANIZATION",
    "IssuedStationCertificate",
    "LocalCertificateAuthority",
    "PkiDirectory",
    "PkiExistsError",
    "init_pki",
    "write_station_files",
]
