"""The key sizes OCPP demands of every security-profile key (OCPP 2.0.1 Part 2 A00): RSA at
least 2048 bits, elliptic curves at least 224 bits. Used for the CSMS's own TLS keys and for the
CSRs stations send with SignCertificate."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes

__all__ = ["MIN_EC_BITS", "MIN_RSA_BITS", "describe_key", "key_strength_problem"]

MIN_RSA_BITS = 2048
MIN_EC_BITS = 224


def key_strength_problem(public_key: CertificatePublicKeyTypes) -> str | None:
    """Why a key is too weak for OCPP, or None."""
    if isinstance(public_key, rsa.RSAPublicKey):
        bits = public_key.key_size
        return None if bits >= MIN_RSA_BITS else f"RSA key of {bits} bits (minimum {MIN_RSA_BITS})"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        bits = public_key.curve.key_size
        return None if bits >= MIN_EC_BITS else f"EC key of {bits} bits (minimum {MIN_EC_BITS})"
    return f"{describe_key(public_key)} keys are not used by OCPP (RSA or EC only)"


def describe_key(public_key: CertificatePublicKeyTypes) -> str:
    """A short name for a key: "RSA 3072", "EC secp256r1", "Ed25519"."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return f"RSA {public_key.key_size}"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return f"EC {public_key.curve.name}"
    return type(public_key).__name__.removesuffix("PublicKey").lstrip("_")
