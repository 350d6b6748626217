"""Security events, certificate management and network profiles (interface.md §11 blocks A and M,
§7.4 `certificates/*` and `configuration/setNetworkProfile`).

No foreign keys to the station: a security event may predate identification (a failed TLS
handshake), and the history of a deleted station is harmless.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tourmaline.db.base import Base, TimestampsMixin, UTCDateTime
from tourmaline.db.models.station import STATION_ID_LENGTH

__all__ = [
    "CertificateOperation",
    "CertificateSigningRequest",
    "InstalledCertificate",
    "NetworkProfile",
    "SecurityEvent",
]

# OCPP 2.0.1 CertificateHashDataType limits.
HASH_LENGTH = 128
SERIAL_LENGTH = 40
# The longest certificate-use enumeration value ("ManufacturerRootCertificate") with room.
CERTIFICATE_TYPE_LENGTH = 32


class SecurityEvent(Base):
    """One security event: reported by a station (SecurityEventNotification, origin `cs`) or
    noticed by Tourmaline itself (origin `csms`), e.g. a refused CSR or a failed login."""

    __tablename__ = "security_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str | None] = mapped_column(String(STATION_ID_LENGTH), index=True)
    type: Mapped[str] = mapped_column(String(50))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    tech_info: Mapped[str | None] = mapped_column(String(255))
    origin: Mapped[str] = mapped_column(String(4))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CertificateSigningRequest(TimestampsMixin, Base):
    """A SignCertificate from a station and what became of it. `status`: pending (received,
    not judged yet) → refused (unusable CSR, `reason`) or signed (`certificate_chain` issued) →
    accepted / rejected (the station's CertificateSigned answer, kept in `answer`) or
    undelivered (no CALLRESULT: not connected, CALLERROR or timeout, `reason`)."""

    __tablename__ = "certificate_signing_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(STATION_ID_LENGTH), index=True)
    certificate_type: Mapped[str] = mapped_column(String(CERTIFICATE_TYPE_LENGTH))
    csr: Mapped[str] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(512))
    public_key: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(512))
    certificate_chain: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class InstalledCertificate(TimestampsMixin, Base):
    """A certificate the station holds, as far as Tourmaline knows: `source` is `reported` (a
    GetInstalledCertificateIds answer, which replaces the list for the requested types) or
    `installed` (an Accepted InstallCertificate, with the certificate itself)."""

    __tablename__ = "installed_certificates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(STATION_ID_LENGTH), index=True)
    certificate_type: Mapped[str] = mapped_column(String(CERTIFICATE_TYPE_LENGTH))
    hash_algorithm: Mapped[str] = mapped_column(String(8))
    issuer_name_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    issuer_key_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    serial_number: Mapped[str] = mapped_column(String(SERIAL_LENGTH))
    child_certificates: Mapped[list[Any] | None] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(16))
    certificate: Mapped[str | None] = mapped_column(Text)


class CertificateOperation(Base):
    """An InstallCertificate or DeleteCertificate sent to a station, recorded when it goes out;
    `status` is the station's answer (None until it arrives). `request_digest` (SHA-256 of the
    request payload) pairs the answer with its attempt."""

    __tablename__ = "certificate_operations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(STATION_ID_LENGTH), index=True)
    action: Mapped[str] = mapped_column(String(32))
    certificate_type: Mapped[str | None] = mapped_column(String(CERTIFICATE_TYPE_LENGTH))
    hash_data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    request_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(16))
    status_info: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NetworkProfile(Base):
    """A SetNetworkProfile sent to a station (OCPP A05/B09): the configuration slot, the
    listener it points at (`websocketServerConfigId`), the connection data without its secrets,
    the station's answer, and when a connection on that listener raised the station's minimum
    security profile (`applied_at`)."""

    __tablename__ = "network_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(STATION_ID_LENGTH), index=True)
    configuration_slot: Mapped[int] = mapped_column(Integer)
    listener_id: Mapped[str | None] = mapped_column(String(64))
    security_profile: Mapped[int] = mapped_column(Integer)
    connection_data: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str | None] = mapped_column(String(16))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
