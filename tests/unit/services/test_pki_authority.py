"""The local CA as the SignCertificate flow uses it (`CertificateSigner.sign_csr`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tourmaline.services.pki import (
    CHARGING_STATION_CERTIFICATE,
    LocalCertificateAuthority,
    init_pki,
)
from tourmaline.services.pki.certificates import PrivateKey, SigningCa, new_ca, subject_name
from tourmaline.services.ports import CertificateSigner
from tourmaline.settings import TlsSettings


@pytest.fixture(scope="module")
def station_ca() -> SigningCa:
    return new_ca("Test Station CA", days=30, key_type="ec")


@pytest.fixture
def authority(station_ca: SigningCa) -> LocalCertificateAuthority:
    return LocalCertificateAuthority(station_ca, days=90)


def csr_pem(key: PrivateKey, name: x509.Name | None = None) -> str:
    subject = name if name is not None else subject_name("cp001", "Charging Co")
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def test_a_station_csr_is_signed_into_a_chain_leaf_first(
    authority: LocalCertificateAuthority, station_ca: SigningCa
) -> None:
    signer: CertificateSigner = authority
    key = ec.generate_private_key(ec.SECP256R1())

    chain = signer.sign_csr(csr_pem(key), certificate_type=CHARGING_STATION_CERTIFICATE)

    leaf, issuer = x509.load_pem_x509_certificates(chain.encode())
    assert issuer == station_ca.certificate
    leaf.verify_directly_issued_by(station_ca.certificate)
    assert leaf.subject == subject_name("cp001", "Charging Co")
    assert leaf.public_key() == key.public_key()
    usage = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days == 90


def test_v2g_certificates_are_not_issued(authority: LocalCertificateAuthority) -> None:
    key = ec.generate_private_key(ec.SECP256R1())

    with pytest.raises(ValueError, match="does not issue V2GCertificate"):
        authority.sign_csr(csr_pem(key), certificate_type="V2GCertificate")


def test_unreadable_csr_is_refused(authority: LocalCertificateAuthority) -> None:
    with pytest.raises(ValueError, match="not a readable PEM"):
        authority.sign_csr(
            "-----BEGIN CERTIFICATE REQUEST-----\nxx\n",
            certificate_type=CHARGING_STATION_CERTIFICATE,
        )


def test_csr_with_a_broken_signature_is_refused(authority: LocalCertificateAuthority) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = x509.load_pem_x509_csr(csr_pem(key).encode())
    der = bytearray(csr.public_bytes(serialization.Encoding.DER))
    der[-3] ^= 0x01  # inside the signature value
    tampered = x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM)

    with pytest.raises(ValueError, match="signature does not verify"):
        authority.sign_csr(tampered.decode(), certificate_type=CHARGING_STATION_CERTIFICATE)


def test_csr_with_a_key_ocpp_forbids_is_refused(authority: LocalCertificateAuthority) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)

    with pytest.raises(ValueError, match="RSA key of 1024 bits"):
        authority.sign_csr(csr_pem(weak), certificate_type=CHARGING_STATION_CERTIFICATE)


def test_csr_without_a_common_name_is_refused(authority: LocalCertificateAuthority) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Charging Co")])

    with pytest.raises(ValueError, match="no common name"):
        authority.sign_csr(csr_pem(key, name), certificate_type=CHARGING_STATION_CERTIFICATE)


def test_issue_station_makes_an_rsa_key_and_names_the_station(
    authority: LocalCertificateAuthority,
) -> None:
    issued = authority.issue_station("cp-rsa", key_type="rsa", days=10)

    leaf, _ = x509.load_pem_x509_certificates(issued.chain_pem.encode())
    key = serialization.load_pem_private_key(issued.key_pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048
    assert leaf.public_key() == key.public_key()
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "cp-rsa"


def test_the_signer_comes_from_a_certs_init_directory_or_is_absent(tmp_path: Path) -> None:
    assert LocalCertificateAuthority.from_settings(TlsSettings()) is None
    assert LocalCertificateAuthority.from_settings(TlsSettings(dir=tmp_path)) is None
    init_pki(tmp_path, ["localhost"])

    authority = LocalCertificateAuthority.from_settings(TlsSettings(dir=tmp_path))

    assert authority is not None
    [station_ca] = x509.load_pem_x509_certificates((tmp_path / "station-ca.pem").read_bytes())
    assert authority.certificate == station_ca
