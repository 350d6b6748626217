"""TLS settings: 8443/8444 appear once certificates are configured; TLS listeners that cannot
work are refused with a message that says what to set."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from tourmaline.settings import PKI_FILES, Settings, load_settings


def test_without_certificates_only_the_plain_listeners_exist() -> None:
    assert [listener.id for listener in Settings().listeners] == ["0", "1"]


def test_a_certs_init_directory_adds_8443_and_8444(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOURMALINE_TLS__DIR", "/etc/tourmaline/pki")

    settings = load_settings()

    pki = Path("/etc/tourmaline/pki")
    by_id = {listener.id: listener for listener in settings.listeners}
    assert [(item.port, item.security_profile) for item in settings.listeners] == [
        (8081, 0),
        (8082, 1),
        (8443, 2),
        (8444, 3),
    ]
    assert by_id["2"].tls_cert_chain == pki / PKI_FILES.server_cert
    assert by_id["2"].tls_ec_key == pki / PKI_FILES.server_ec_key
    assert by_id["2"].station_ca_bundle is None
    assert by_id["3"].station_ca_bundle == pki / PKI_FILES.station_ca_cert


def test_a_server_certificate_without_station_ca_adds_only_8443() -> None:
    settings = Settings(tls={"server_cert": "/pki/c.pem", "server_key": "/pki/c.key"})

    assert [listener.port for listener in settings.listeners] == [8081, 8082, 8443]
    assert settings.listeners[-1].tls_ec_cert_chain is None


def test_resolved_settings_survive_a_second_validation() -> None:
    settings = Settings(tls={"dir": "/pki"})

    again = Settings.model_validate(settings.model_dump())

    assert again.listeners == settings.listeners


def test_an_explicit_tls_listener_without_certificates_is_refused() -> None:
    with pytest.raises(ValidationError, match="listener 9 \\(security profile 2\\) needs a server"):
        Settings(listeners=[{"id": "9", "port": 9443, "security_profile": 2}])


def test_a_profile_3_listener_needs_the_station_ca() -> None:
    with pytest.raises(ValidationError, match=r"needs tls\.station_ca_bundle"):
        Settings(
            listeners=[{"id": "3", "port": 8444, "security_profile": 3}],
            tls={"server_cert": "/pki/c.pem", "server_key": "/pki/c.key"},
        )


@pytest.mark.parametrize(
    ("listener", "message"),
    [
        ({"security_profile": 1, "tls_cert_chain": "/c", "tls_key": "/k"}, "only used by profile"),
        ({"security_profile": 2, "tls_cert_chain": "/c"}, "needs its key"),
        (
            {
                "security_profile": 2,
                "tls_cert_chain": "/c",
                "tls_key": "/k",
                "station_ca_bundle": "/a",
            },
            "only used by profile 3",
        ),
    ],
)
def test_tls_files_that_make_no_sense_are_refused(
    listener: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(listeners=[{"id": "x", "port": 1, **listener}])


def test_a_tls_certificate_without_its_key_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"tls\.server_ec_cert and tls\.server_ec_key"):
        Settings(tls={"server_ec_cert": "/pki/e.pem"})


def test_failed_auth_limit_defaults() -> None:
    security = Settings().security

    assert (security.auth_failure_limit, security.auth_failure_window) == (10, 60.0)
