"""The local certificate authority that signs station certificates (design.md §11: no external
CA is needed). It implements `services.ports.CertificateSigner` for the SignCertificate flow
(OCPP A02/A03) and issues lab certificates for `tourmaline certs issue-station`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tourmaline.ocpp.key_strength import key_strength_problem
from tourmaline.services.pki.certificates import (
    KeyType,
    SigningCa,
    certificate_pem,
    generate_key,
    private_key_pem,
    station_certificate,
    subject_name,
)
from tourmaline.settings import PKI_FILES, TlsSettings

__all__ = [
    "CHARGING_STATION_CERTIFICATE",
    "STATION_CERTIFICATE_DAYS",
    "IssuedStationCertificate",
    "LocalCertificateAuthority",
    "load_signing_ca",
]

CHARGING_STATION_CERTIFICATE = "ChargingStationCertificate"
STATION_CERTIFICATE_DAYS = 365


@dataclass(frozen=True, slots=True)
class IssuedStationCertificate:
    """A station certificate chain (leaf, then the station CA) and its private key, in PEM."""

    chain_pem: str
    key_pem: bytes


def load_signing_ca(certificate_path: Path, key_path: Path) -> SigningCa:
    certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError(f"{key_path}: the CA key must be RSA or EC")
    return SigningCa(certificate=certificate, key=key)


class LocalCertificateAuthority:
    """Signs ChargingStationCertificate CSRs with the station-signing sub-CA of a PKI directory.
    V2G certificates need a V2G root (ISO 15118), which the local PKI does not have."""

    def __init__(self, station_ca: SigningCa, *, days: int = STATION_CERTIFICATE_DAYS) -> None:
        self._ca = station_ca
        self._days = days

    @classmethod
    def load(
        cls, directory: Path, *, days: int = STATION_CERTIFICATE_DAYS
    ) -> LocalCertificateAuthority:
        """The authority of a `tourmaline certs init` directory."""
        ca = load_signing_ca(
            directory / PKI_FILES.station_ca_cert, directory / PKI_FILES.station_ca_key
        )
        return cls(ca, days=days)

    @classmethod
    def from_settings(
        cls, tls: TlsSettings, *, days: int = STATION_CERTIFICATE_DAYS
    ) -> LocalCertificateAuthority | None:
        """The signer for SignCertificate: the station CA of `tls.dir`, or None when no such
        directory or key is configured (interface.md §11: SignCertificate is then Rejected)."""
        if tls.dir is None or not (tls.dir / PKI_FILES.station_ca_key).is_file():
            return None
        return cls.load(tls.dir, days=days)

    @property
    def certificate(self) -> x509.Certificate:
        return self._ca.certificate

    def sign_csr(self, csr_pem: str, *, certificate_type: str) -> str:
        """`CertificateSigner.sign_csr`: the PEM chain (leaf, station CA) for a valid CSR.
        Raises ValueError for another certificate type, an unreadable or badly signed CSR, a
        CSR without a subject CN, or a key OCPP forbids."""
        if certificate_type != CHARGING_STATION_CERTIFICATE:
            raise ValueError(f"the local CA does not issue {certificate_type} certificates")
        csr = _load_csr(csr_pem)
        public_key = csr.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
            raise ValueError("the CSR key must be RSA or EC")
        problem = key_strength_problem(public_key)
        if problem is not None:
            raise ValueError(f"the CSR key is too weak: {problem}")
        leaf = station_certificate(csr.subject, public_key, self._ca, days=self._days)
        return certificate_pem(leaf, self._ca.certificate)

    def issue_station(
        self,
        station_id: str,
        *,
        key_type: KeyType = "ec",
        days: int | None = None,
        organization: str | None = None,
        now: datetime | None = None,
    ) -> IssuedStationCertificate:
        """A new key and client certificate with subject CN = `station_id` (a lab charger, or
        a test); `now` moves the validity period (expired certificates for tests)."""
        key = generate_key(key_type)
        leaf = station_certificate(
            subject_name(station_id, organization),
            key.public_key(),
            self._ca,
            days=self._days if days is None else days,
            now=now,
        )
        return IssuedStationCertificate(
            certificate_pem(leaf, self._ca.certificate), private_key_pem(key)
        )


def _load_csr(csr_pem: str) -> x509.CertificateSigningRequest:
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode("ascii", "replace"))
    except ValueError as error:
        raise ValueError("the CSR is not a readable PEM certificate signing request") from error
    if not csr.is_signature_valid:
        raise ValueError("the CSR signature does not verify")
    if not csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME):
        raise ValueError("the CSR subject has no common name (CN)")
    return csr
