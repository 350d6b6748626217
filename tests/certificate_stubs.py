"""Local stand-ins for the outside edge of block M: an OCSP responder and a contract-certificate
CA, as certificate providers (services/certificate_providers.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from tourmaline.ocpp.rpc import JsonObject
from tourmaline.settings import Settings

__all__ = ["OCSP_RESULT", "StubResponder", "stub_factory"]

OCSP_RESULT = "MIIBstubOcspResponse"


class StubResponder:
    """Answers `answer` after `delay` seconds (or raises); records what it was asked."""

    def __init__(self, answer: Any = None, *, delay: float = 0.0, error: bool = False) -> None:
        self.answer = answer
        self.delay = delay
        self.error = error
        self.asked: list[tuple[str, JsonObject]] = []

    async def certificate_status(self, station_id: str, ocsp_request_data: JsonObject) -> Any:
        return await self._respond(station_id, ocsp_request_data)

    async def ev_certificate(self, station_id: str, request: JsonObject) -> Any:
        return await self._respond(station_id, request)

    async def _respond(self, station_id: str, asked: JsonObject) -> Any:
        self.asked.append((station_id, asked))
        await asyncio.sleep(self.delay)
        if self.error:
            raise ConnectionError("responder unreachable")
        return self.answer


def stub_factory(settings: Settings) -> StubResponder:
    """A provider factory, loaded by dotted path (`tests.certificate_stubs:stub_factory`)."""
    return StubResponder({"status": "Accepted", "ocspResult": OCSP_RESULT})
