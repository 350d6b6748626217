"""Is a station's certificate signing request usable? (OCPP 2.0.1 A02/A03, interface.md §11
SignCertificate.) The CSR must be a PEM PKCS#10 request whose self-signature verifies, with a key
of the strength OCPP A00 demands of every security-profile key, and for a
ChargingStationCertificate a subject CN naming the station (interface.md §2.2 step 5 checks the
same CN when the certificate is later presented on profile 3)."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

__all__ = [
    "CHARGING_STATION_CERTIFICATE",
    "MIN_EC_BITS",
    "MIN_RSA_BITS",
    "CsrVerdict",
    "judge_csr",
]

CHARGING_STATION_CERTIFICATE = "ChargingStationCertificate"
# OCPP 2.0.1 Part 2 A00 (security profiles, keys): RSA at least 2048 bits, EC at least 224 bits.
MIN_RSA_BITS = 2048
MIN_EC_BITS = 224


@dataclass(frozen=True, slots=True)
class CsrVerdict:
    """What the CSR says about itself, and why it cannot be signed (`refusal`, None if usable)."""

    refusal: str | None
    subject: str | None = None
    public_key: str | None = None


def judge_csr(csr_pem: str, *, station_id: str, certificate_type: str) -> CsrVerdict:
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode("utf-8"))
    except (ValueError, UnicodeEncodeError):
        return CsrVerdict("not a PEM-encoded PKCS#10 certificate signing request")
    subject = csr.subject.rfc4514_string()
    key = csr.public_key()
    description, key_refusal = _key_strength(key)
    refusal = key_refusal or _identity_refusal(csr, station_id, certificate_type)
    if not csr.is_signature_valid:
        refusal = "the CSR's signature does not verify with its own public key"
    return CsrVerdict(refusal, subject[:512], description)


def _key_strength(key: object) -> tuple[str, str | None]:
    if isinstance(key, rsa.RSAPublicKey):
        bits = key.key_size
        weak = bits < MIN_RSA_BITS
        return (
            f"RSA {bits}",
            f"RSA key of {bits} bits; at least {MIN_RSA_BITS} required" if weak else None,
        )
    if isinstance(key, ec.EllipticCurvePublicKey):
        bits = key.curve.key_size
        weak = bits < MIN_EC_BITS
        description = f"EC {key.curve.name}"
        return (
            description,
            f"EC key of {bits} bits; at least {MIN_EC_BITS} required" if weak else None,
        )
    name = type(key).__name__.removesuffix("PublicKey").lstrip("_")
    return name, f"{name} keys are not allowed; use RSA or elliptic-curve keys"


def _identity_refusal(
    csr: x509.CertificateSigningRequest, station_id: str, certificate_type: str
) -> str | None:
    if certificate_type != CHARGING_STATION_CERTIFICATE:
        return None
    names = [
        attribute.value for attribute in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    ]
    if names != [station_id]:
        shown = ", ".join(str(name) for name in names) or "none"
        return f"subject CN must be the station id {station_id!r} (found: {shown})"
    return None
