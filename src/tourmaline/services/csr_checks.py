"""Is a station's certificate signing request usable? (OCPP 2.0.1 A02/A03, interface.md §11
SignCertificate.) The CSR must be a PEM PKCS#10 request whose self-signature verifies, with a key
of the strength OCPP A00 demands of every security-profile key, and for a
ChargingStationCertificate a subject CN naming the station (interface.md §2.2 step 5 checks the
same CN when the certificate is later presented on profile 3)."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from tourmaline.ocpp.key_strength import describe_key, key_strength_problem

__all__ = [
    "CHARGING_STATION_CERTIFICATE",
    "CsrVerdict",
    "judge_csr",
]

CHARGING_STATION_CERTIFICATE = "ChargingStationCertificate"


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
    refusal = key_strength_problem(key) or _identity_refusal(csr, station_id, certificate_type)
    if not csr.is_signature_valid:
        refusal = "the CSR's signature does not verify with its own public key"
    return CsrVerdict(refusal, subject[:512], describe_key(key))


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
