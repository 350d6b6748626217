"""X.509 building blocks of the local certificate authority (design.md §9 PKI row).

Profiles follow OCPP 2.0.1 A00 (Part 2, "Certificate properties"): X.509 v3 in PEM, a random
serial number, RSA of at least 2048 bits or an elliptic curve of at least 224 bits; the CSMS
certificate names its host names in the subject CN and the subjectAltName; a station certificate
carries the station identity in its subject CN. The issuing CA is two levels deep: a root (the
certificate stations install as CSMSRootCertificate) and a station-signing sub-CA below it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "CA_KEY_BITS",
    "SERVER_RSA_BITS",
    "KeyType",
    "PrivateKey",
    "SigningCa",
    "ca_certificate",
    "certificate_pem",
    "generate_key",
    "new_ca",
    "private_key_pem",
    "server_certificate",
    "station_certificate",
    "subject_name",
]

KeyType = Literal["rsa", "ec"]
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

# Above the A00 minimum (RSA 2048) for keys that live for years; P-256 for the EC ones.
CA_KEY_BITS = 3072
SERVER_RSA_BITS = 3072
# Certificates start a few minutes in the past so a station whose clock runs a little behind
# does not refuse a certificate issued a moment ago.
BACKDATE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class SigningCa:
    """A CA certificate with its key, able to issue certificates below it."""

    certificate: x509.Certificate
    key: PrivateKey

    def name_and_key(self) -> tuple[x509.Name, PrivateKey]:
        return self.certificate.subject, self.key


def generate_key(key_type: KeyType, rsa_bits: int = SERVER_RSA_BITS) -> PrivateKey:
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    return ec.generate_private_key(ec.SECP256R1())


def subject_name(common_name: str, organization: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


def new_ca(
    common_name: str,
    organization: str | None = None,
    *,
    issuer: SigningCa | None = None,
    days: int,
    key_type: KeyType = "rsa",
) -> SigningCa:
    """A new CA key and certificate: a root (may sign one level of CAs) when `issuer` is None,
    otherwise a CA below `issuer` that signs only end entities."""
    key = generate_key(key_type, CA_KEY_BITS)
    certificate = ca_certificate(
        subject_name(common_name, organization),
        key,
        issuer=issuer,
        days=days,
        path_length=1 if issuer is None else 0,
    )
    return SigningCa(certificate=certificate, key=key)


def certificate_pem(*certificates: x509.Certificate) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in certificates)


def private_key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def ca_certificate(
    name: x509.Name,
    key: PrivateKey,
    *,
    issuer: SigningCa | None,
    days: int,
    path_length: int,
    now: datetime | None = None,
) -> x509.Certificate:
    """A CA certificate: self-signed when `issuer` is None (the root)."""
    issuer_name, signing_key = (name, key) if issuer is None else issuer.name_and_key()
    builder = _builder(name, key.public_key(), issuer_name, signing_key, days=days, now=now)
    builder = builder.add_extension(
        x509.BasicConstraints(ca=True, path_length=path_length), critical=True
    ).add_extension(_key_usage(ca=True), critical=True)
    return builder.sign(signing_key, hashes.SHA256())


def server_certificate(
    host_names: list[str], key: PrivateKey, issuer: SigningCa, *, days: int, organization: str
) -> x509.Certificate:
    """The CSMS certificate: CN = the first host name (A00: the CSMS FQDN), every name in the
    subjectAltName (IP addresses as IP entries), extended key usage serverAuth."""
    if not host_names:
        raise ValueError("a server certificate needs at least one host name")
    name = subject_name(host_names[0], organization)
    builder = _builder(name, key.public_key(), *issuer.name_and_key(), days=days)
    builder = (
        builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False, key=key), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(_alt_names(host_names)), critical=False)
    )
    return builder.sign(issuer.key, hashes.SHA256())


def station_certificate(
    subject: x509.Name,
    public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
    issuer: SigningCa,
    *,
    days: int,
    now: datetime | None = None,
) -> x509.Certificate:
    """A charging-station client certificate (extended key usage clientAuth)."""
    builder = _builder(subject, public_key, *issuer.name_and_key(), days=days, now=now)
    builder = (
        builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    )
    return builder.sign(issuer.key, hashes.SHA256())


def _builder(
    name: x509.Name,
    public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
    issuer_name: x509.Name,
    issuer_key: PrivateKey,
    *,
    days: int,
    now: datetime | None = None,
) -> x509.CertificateBuilder:
    start = (now or datetime.now(UTC)) - BACKDATE
    issuer_public = issuer_key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + BACKDATE + timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public), critical=False
        )
    )


def _key_usage(*, ca: bool, key: PrivateKey | None = None) -> x509.KeyUsage:
    # Static-RSA key exchange (TLS_RSA_WITH_AES_*_GCM_*) encrypts the pre-master secret to the
    # server's RSA key, so an RSA server certificate needs keyEncipherment too.
    encipherment = isinstance(key, rsa.RSAPrivateKey)
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _alt_names(host_names: list[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in host_names:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names
