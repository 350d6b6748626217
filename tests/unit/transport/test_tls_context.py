"""The TLS context rules of transport/tls.py that need no socket: key sizes, refused
configurations, and how a failed handshake is named."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tourmaline.ocpp.key_strength import key_strength_problem
from tourmaline.services.pki.certificates import (
    SigningCa,
    certificate_pem,
    generate_key,
    new_ca,
    private_key_pem,
    server_certificate,
)
from tourmaline.transport.tls import (
    TlsConfigurationError,
    TlsFiles,
    build_context,
    classify_handshake_failure,
)


@pytest.fixture(scope="module")
def issuer() -> SigningCa:
    return new_ca("Unit CA", days=5, key_type="ec")


def server_files(directory: Path, issuer: SigningCa, key_type: str, name: str) -> tuple[Path, Path]:
    key = generate_key("rsa" if key_type == "rsa" else "ec", 2048)
    certificate = server_certificate(["localhost"], key, issuer, days=5, organization="Unit")
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_text(certificate_pem(certificate))
    key_path.write_bytes(private_key_pem(key))
    return cert_path, key_path


def test_key_sizes_follow_ocpp_a00() -> None:
    assert key_strength_problem(rsa.generate_private_key(65537, 2048).public_key()) is None
    assert key_strength_problem(ec.generate_private_key(ec.SECP224R1()).public_key()) is None
    weak_rsa = rsa.generate_private_key(65537, 1024).public_key()
    assert key_strength_problem(weak_rsa) == "RSA key of 1024 bits (minimum 2048)"
    weak_ec = ec.generate_private_key(ec.SECP192R1()).public_key()
    assert key_strength_problem(weak_ec) == "EC key of 192 bits (minimum 224)"


def test_context_is_tls_1_2_minimum_with_the_ocpp_suites(tmp_path: Path, issuer: SigningCa) -> None:
    files = TlsFiles(
        "2",
        (server_files(tmp_path, issuer, "rsa", "r"), server_files(tmp_path, issuer, "ec", "e")),
    )

    context = build_context(files)

    assert context.minimum_version is ssl.TLSVersion.TLSv1_2
    assert context.verify_mode is ssl.CERT_NONE
    tls12 = {c["name"] for c in context.get_ciphers() if c["protocol"] == "TLSv1.2"}
    assert tls12 == {
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "AES128-GCM-SHA256",
        "AES256-GCM-SHA384",
    }


def test_profile_3_context_requires_client_certificates(tmp_path: Path, issuer: SigningCa) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text(certificate_pem(issuer.certificate))

    context = build_context(TlsFiles("3", (server_files(tmp_path, issuer, "ec", "e"),), bundle))

    assert context.verify_mode is ssl.CERT_REQUIRED


def test_two_certificates_of_one_key_type_are_refused(tmp_path: Path, issuer: SigningCa) -> None:
    pairs = (server_files(tmp_path, issuer, "ec", "a"), server_files(tmp_path, issuer, "ec", "b"))

    with pytest.raises(TlsConfigurationError, match="different key types"):
        build_context(TlsFiles("2", pairs))


def test_a_ca_bundle_without_certificates_is_refused(tmp_path: Path, issuer: SigningCa) -> None:
    bundle = tmp_path / "empty.pem"
    bundle.write_text("nothing here\n")

    with pytest.raises(TlsConfigurationError, match="station CA bundle"):
        build_context(TlsFiles("3", (server_files(tmp_path, issuer, "ec", "e"),), bundle))


def test_a_missing_certificate_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"

    with pytest.raises(TlsConfigurationError, match=r"nope\.pem"):
        build_context(TlsFiles("2", ((missing, tmp_path / "nope.key"),)))


def ssl_error(reason: str, kind: type[ssl.SSLError] = ssl.SSLError) -> ssl.SSLError:
    error = kind(1, reason)
    error.reason = reason
    return error


@pytest.mark.parametrize(
    ("reason", "event_type"),
    [
        ("PEER_DID_NOT_RETURN_A_CERTIFICATE", "InvalidChargingStationCertificate"),
        ("UNSUPPORTED_PROTOCOL", "InvalidTLSVersion"),
        ("NO_SHARED_CIPHER", "InvalidTLSCipherSuite"),
        ("TLSV1_ALERT_UNKNOWN_CA", "CsmsFailedToAuthenticate"),
        ("SSLV3_ALERT_BAD_CERTIFICATE", "CsmsFailedToAuthenticate"),
        ("HTTP_REQUEST", "InvalidMessages"),
    ],
)
def test_failed_handshakes_are_named_with_ocpp_security_event_types(
    reason: str, event_type: str
) -> None:
    verdict = classify_handshake_failure(ssl_error(reason))

    assert verdict is not None and verdict[0] == event_type


def test_a_peer_that_just_hangs_up_is_not_an_event() -> None:
    assert classify_handshake_failure(ssl_error("EOF", ssl.SSLEOFError)) is None
