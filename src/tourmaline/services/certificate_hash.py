"""OCPP CertificateHashDataType (OCPP 2.0.1 Part 2 §2.6): how stations name the certificates they
hold in GetInstalledCertificateIds and DeleteCertificate. The fields are those of an OCSP CertID
(RFC 6960 §4.1.1): hashes of the issuer's name and public key, and the serial number.

The issuer's key is known only when the certificate is its own issuer, which is the case for the
root certificates InstallCertificate carries; for anything else the hash data is not derivable
and the station's next GetInstalledCertificateIds answer is the source of truth.
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509 import ocsp

__all__ = ["HashKey", "certificate_hash_data", "hash_key"]

HashKey = tuple[str, str, str, str]
"""(hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber), normalised for comparison."""

_ALGORITHMS: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA256": hashes.SHA256,
    "SHA384": hashes.SHA384,
    "SHA512": hashes.SHA512,
}


def certificate_hash_data(certificate_pem: str, algorithm: str = "SHA256") -> dict[str, str] | None:
    """The hash data of the first certificate in `certificate_pem`, hex in lower case and the
    serial number without leading zeros; None when the PEM is unreadable or the certificate is
    not self-issued (its issuer's key is unknown here)."""
    try:
        certificate = x509.load_pem_x509_certificate(certificate_pem.encode("utf-8"))
        certificate.verify_directly_issued_by(certificate)
    except Exception:  # unreadable, not self-issued, or an unsupported key type
        return None
    builder = ocsp.OCSPRequestBuilder().add_certificate(
        certificate, certificate, _ALGORITHMS[algorithm]()
    )
    cert_id = builder.build()
    return {
        "hashAlgorithm": algorithm,
        "issuerNameHash": cert_id.issuer_name_hash.hex(),
        "issuerKeyHash": cert_id.issuer_key_hash.hex(),
        "serialNumber": format(cert_id.serial_number, "x"),
    }


def hash_key(hash_data: dict[str, Any]) -> HashKey:
    """Stations differ in letter case and leading zeros; the same certificate gets one key."""
    serial = str(hash_data.get("serialNumber", "")).lower().lstrip("0") or "0"
    return (
        str(hash_data.get("hashAlgorithm", "")),
        str(hash_data.get("issuerNameHash", "")).lower(),
        str(hash_data.get("issuerKeyHash", "")).lower(),
        serial,
    )
