"""GetCertificateStatus / Get15118EVCertificate providers (interface.md §11 block M): Failed
without one, the provider's answer with one, Failed again whenever the provider misbehaves. The
providers here are local stubs of the outside edge (an OCSP responder, a contract CA)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from tests.certificate_stubs import OCSP_RESULT, StubResponder
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.certificate_providers import (
    CertificateProviders,
    FailingProvider,
    load_provider,
)
from tourmaline.settings import Settings

OCSP_DATA = {
    "hashAlgorithm": "SHA256",
    "issuerNameHash": "aa",
    "issuerKeyHash": "bb",
    "serialNumber": "1",
    "responderURL": "http://ocsp.example",
}
EV_REQUEST = {
    "iso15118SchemaVersion": "urn:iso:15118:2:2013:MsgDef",
    "action": "Install",
    "exiRequest": "AAEC",
}


def dump(model: Any) -> JsonObject:
    result: JsonObject = model.model_dump(by_alias=True, exclude_none=True, mode="json")
    return result


async def test_without_providers_both_answers_are_failed() -> None:
    providers = CertificateProviders.from_settings(Settings(env="test"))

    status = await providers.certificate_status("cp001", OCSP_DATA)
    ev = await providers.ev_certificate("cp001", EV_REQUEST)

    assert isinstance(providers.status, FailingProvider)
    assert dump(status) == {"status": "Failed"}
    assert dump(ev) == {"status": "Failed", "exiResponse": ""}


async def test_a_provider_answers_for_itself() -> None:
    responder = StubResponder({"status": "Accepted", "exiResponse": "AAEE"})
    providers = CertificateProviders(FailingProvider(), responder)

    answer = await providers.ev_certificate("cp001", EV_REQUEST)

    assert dump(answer) == {"status": "Accepted", "exiResponse": "AAEE"}
    assert responder.asked == [("cp001", EV_REQUEST)]


@pytest.mark.parametrize(
    "responder",
    [
        pytest.param(StubResponder(error=True), id="raises"),
        pytest.param(StubResponder({"status": "Good"}), id="invalid-answer"),
        pytest.param(StubResponder({"status": "Accepted"}, delay=5), id="too-slow"),
    ],
)
async def test_a_misbehaving_provider_gives_failed(responder: StubResponder) -> None:
    providers = CertificateProviders(responder, responder, timeout=0.05)

    answer = await providers.certificate_status("cp001", OCSP_DATA)

    assert dump(answer) == {"status": "Failed"}
    assert responder.asked == [("cp001", OCSP_DATA)]


async def test_providers_are_loaded_by_dotted_path_with_the_settings() -> None:
    path = "tests.certificate_stubs:stub_factory"
    settings = Settings(env="test", certificates={"status_provider": path})

    providers = CertificateProviders.from_settings(settings)

    assert isinstance(providers.status, StubResponder)
    assert isinstance(providers.ev_certificates, FailingProvider)
    answer = await providers.certificate_status("cp001", OCSP_DATA)
    assert dump(answer) == {"status": "Accepted", "ocspResult": OCSP_RESULT}


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("tests.no_such_module:factory", "cannot be loaded"),
        (f"{__name__}:no_such_factory", "cannot be loaded"),
        (f"{__name__}:OCSP_DATA", "is not a callable factory"),
    ],
)
def test_a_provider_that_cannot_be_loaded_is_a_start_up_error(path: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        load_provider(path, Settings(env="test"))


def test_provider_paths_must_name_module_and_attribute() -> None:
    with pytest.raises(ValidationError):
        Settings(env="test", certificates={"ev_certificate_provider": "just_a_module"})
