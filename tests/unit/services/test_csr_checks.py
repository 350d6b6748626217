"""CSR checks (OCPP 2.0.1 A00 key sizes, A02 station certificate identity) and certificate hash
data (CertificateHashDataType), on certificates and CSRs made in the test."""

from __future__ import annotations

import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.pki import TestCa, make_csr, self_signed_certificate, with_broken_signature
from tourmaline.services.certificate_hash import certificate_hash_data, hash_key
from tourmaline.services.csr_checks import judge_csr

STATION = "cp001"


def judge(csr: str, certificate_type: str = "ChargingStationCertificate") -> str | None:
    return judge_csr(csr, station_id=STATION, certificate_type=certificate_type).refusal


def test_a_well_formed_station_csr_is_usable_and_described() -> None:
    verdict = judge_csr(
        make_csr(STATION), station_id=STATION, certificate_type="ChargingStationCertificate"
    )

    assert verdict.refusal is None
    assert verdict.subject == "CN=cp001"
    assert verdict.public_key == "EC secp256r1"


def test_rsa_2048_is_enough() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    assert judge(make_csr(STATION, key)) is None


@pytest.mark.parametrize(
    "csr",
    [
        "not a csr",
        "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
        "\u00e9t\u00e9",
    ],
)
def test_unreadable_csrs_are_refused(csr: str) -> None:
    assert judge(csr) == "not a PEM-encoded PKCS#10 certificate signing request"


def test_a_csr_whose_signature_does_not_verify_is_refused() -> None:
    refusal = judge(with_broken_signature(make_csr(STATION)))

    assert refusal == "the CSR's signature does not verify with its own public key"


def test_a_small_rsa_key_is_refused() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)

    assert judge(make_csr(STATION, key)) == "RSA key of 1024 bits (minimum 2048)"


def test_a_small_curve_is_refused() -> None:
    try:
        key = ec.generate_private_key(ec.SECP192R1())
    except Exception:  # an OpenSSL built without the curve
        pytest.skip("this OpenSSL does not offer secp192r1")

    assert judge(make_csr(STATION, key)) == "EC key of 192 bits (minimum 224)"


def test_a_station_certificate_must_name_the_station() -> None:
    refusal = judge(make_csr("someone-else"))

    assert refusal == "subject CN must be the station id 'cp001' (found: someone-else)"


def test_the_cn_rule_is_for_station_certificates_only() -> None:
    assert judge(make_csr("DE*ABC*E123"), certificate_type="V2GCertificate") is None


def test_hash_data_of_a_root_is_its_ocsp_cert_id() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = self_signed_certificate("Test CSMS Root", key)
    certificate = x509.load_pem_x509_certificate(pem.encode())
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )

    assert certificate_hash_data(pem) == {
        "hashAlgorithm": "SHA256",
        "issuerNameHash": hashlib.sha256(certificate.issuer.public_bytes()).hexdigest(),
        "issuerKeyHash": hashlib.sha256(point).hexdigest(),
        "serialNumber": format(certificate.serial_number, "x"),
    }


def test_hash_data_is_not_derivable_without_the_issuer() -> None:
    ca = TestCa()
    leaf_and_root = ca.sign_csr(make_csr(STATION), certificate_type="ChargingStationCertificate")

    assert certificate_hash_data(leaf_and_root) is None
    assert certificate_hash_data("garbage") is None


def test_hash_keys_ignore_letter_case_and_leading_zeros() -> None:
    reported = {
        "hashAlgorithm": "SHA256",
        "issuerNameHash": "ABCD",
        "issuerKeyHash": "EF01",
        "serialNumber": "00A1",
    }
    derived = {**reported, "issuerNameHash": "abcd", "issuerKeyHash": "ef01", "serialNumber": "a1"}

    assert hash_key(reported) == hash_key(derived)
    assert hash_key(reported) != hash_key({**derived, "serialNumber": "a2"})
