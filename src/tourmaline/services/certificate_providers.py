"""Who answers a station's GetCertificateStatus (OCSP, OCPP 2.0.1 M06) and Get15118EVCertificate
(contract certificates, M01/M02): pluggable providers, because both normally need a remote
service (an OCSP responder, a V2G/contract CA such as Hubject) and Tourmaline makes no network
call by default (design.md §11; interface.md §11 block M).

A provider is configured by dotted path, `package.module:factory`; the factory receives the
Settings and returns the provider. Without one, both messages are answered `Failed`. A provider
that raises, hangs past `certificates.provider_timeout` or returns something that is not a valid
response also gives `Failed`: the station gets a business answer, never a CALLERROR.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import structlog
from pydantic import BaseModel

from tourmaline.ocpp.rpc import JsonObject
from tourmaline.ocpp.v201.models import (
    Get15118EVCertificateResponse,
    GetCertificateStatusResponse,
)
from tourmaline.settings import Settings

__all__ = [
    "CertificateProviders",
    "CertificateStatusProvider",
    "EvCertificateProvider",
    "FailingProvider",
    "load_provider",
]

log = structlog.get_logger(__name__)

Response = TypeVar("Response", bound=BaseModel)


class CertificateStatusProvider(Protocol):
    async def certificate_status(
        self, station_id: str, ocsp_request_data: JsonObject
    ) -> JsonObject:
        """A GetCertificateStatusResponse payload (wire form) for OCSPRequestDataType."""
        ...


class EvCertificateProvider(Protocol):
    async def ev_certificate(self, station_id: str, request: JsonObject) -> JsonObject:
        """A Get15118EVCertificateResponse payload for the whole request (iso15118SchemaVersion,
        action, exiRequest)."""
        ...


class FailingProvider:
    """The default for both: no OCSP responder and no contract CA are reachable offline."""

    async def certificate_status(
        self, station_id: str, ocsp_request_data: JsonObject
    ) -> JsonObject:
        return {"status": "Failed"}

    async def ev_certificate(self, station_id: str, request: JsonObject) -> JsonObject:
        return {"status": "Failed", "exiResponse": ""}


def load_provider(path: str, settings: Settings) -> Any:
    """Import `module:factory` and call the factory with the settings; ValueError when it
    cannot be loaded (a start-up error, reported with the path)."""
    module_name, _, attribute = path.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as error:
        raise ValueError(f"certificate provider {path!r} cannot be loaded: {error}") from error
    if not callable(factory):
        raise ValueError(f"certificate provider {path!r} is not a callable factory")
    return factory(settings)


@dataclass(frozen=True, slots=True)
class CertificateProviders:
    status: CertificateStatusProvider
    ev_certificates: EvCertificateProvider
    timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> CertificateProviders:
        config = settings.certificates
        default = FailingProvider()
        status = (
            default
            if config.status_provider is None
            else load_provider(config.status_provider, settings)
        )
        ev = (
            default
            if config.ev_certificate_provider is None
            else load_provider(config.ev_certificate_provider, settings)
        )
        return cls(status, ev, config.provider_timeout)

    async def certificate_status(
        self, station_id: str, ocsp_request_data: JsonObject
    ) -> GetCertificateStatusResponse:
        return await self._ask(
            lambda: self.status.certificate_status(station_id, ocsp_request_data),
            GetCertificateStatusResponse,
            {"status": "Failed"},
            station_id,
        )

    async def ev_certificate(
        self, station_id: str, request: JsonObject
    ) -> Get15118EVCertificateResponse:
        return await self._ask(
            lambda: self.ev_certificates.ev_certificate(station_id, request),
            Get15118EVCertificateResponse,
            {"status": "Failed", "exiResponse": ""},
            station_id,
        )

    async def _ask(
        self,
        call: Callable[[], Any],
        model: type[Response],
        failed: JsonObject,
        station_id: str,
    ) -> Response:
        try:
            answer = await asyncio.wait_for(call(), self.timeout)
            return model.model_validate(answer)
        except TimeoutError:
            log.warning(
                "certificate provider timed out", station_id=station_id, answer=model.__name__
            )
        except Exception:
            log.exception(
                "certificate provider failed", station_id=station_id, answer=model.__name__
            )
        return model.model_validate(failed)
