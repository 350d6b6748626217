"""A small certificate authority and certificate signing requests for the certificate tests, made
in memory with `cryptography` (elliptic-curve keys: fast to generate)."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

__all__ = [
    "PrivateKey",
    "TestCa",
    "make_csr",
    "pem_certificates",
    "self_signed_certificate",
    "with_broken_signature",
]

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
_START = datetime(2026, 1, 1, tzinfo=UTC)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def self_signed_certificate(common_name: str, key: PrivateKey | None = None) -> str:
    """A root certificate in PEM, e.g. a CSMS root for InstallCertificate."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_START)
        .not_valid_after(_START + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return _pem(certificate)


class TestCa:
    """Implements `tourmaline.services.ports.CertificateSigner` for station certificates."""

    __test__ = False  # not a pytest test class

    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.root_pem = self_signed_certificate("Tourmaline Test Root", self._key)
        self.root = x509.load_pem_x509_certificate(self.root_pem.encode())
        self.signed: list[str] = []

    def sign_csr(self, csr_pem: str, *, certificate_type: str) -> str:
        if certificate_type != "ChargingStationCertificate":
            raise ValueError(f"this test CA does not issue {certificate_type}")
        csr = x509.load_pem_x509_csr(csr_pem.encode())
        leaf = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(self.root.subject)
            .public_key(csr.public_key())
            .serial_number(int.from_bytes(secrets.token_bytes(16), "big") >> 1)
            .not_valid_before(_START)
            .not_valid_after(_START + timedelta(days=365))
            .sign(self._key, hashes.SHA256())
        )
        self.signed.append(csr_pem)
        return _pem(leaf) + self.root_pem

    def verified_leaf(self, chain_pem: str) -> x509.Certificate:
        """The chain's first certificate, checked to be signed by this CA (raises otherwise)."""
        leaf = pem_certificates(chain_pem)[0]
        leaf.verify_directly_issued_by(self.root)
        return leaf


def pem_certificates(chain_pem: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(chain_pem.encode())


def make_csr(common_name: str, key: PrivateKey | None = None) -> str:
    key = key or ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_name(common_name))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")


def with_broken_signature(csr_pem: str) -> str:
    """The same CSR with the last byte of its signature flipped: still parseable, no longer
    verifiable."""
    der = bytearray(
        x509.load_pem_x509_csr(csr_pem.encode()).public_bytes(serialization.Encoding.DER)
    )
    der[-1] ^= 0x01
    body = base64.encodebytes(bytes(der)).decode("ascii")
    return f"-----BEGIN CERTIFICATE REQUEST-----\n{body}-----END CERTIFICATE REQUEST-----\n"
