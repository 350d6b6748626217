"""Station certificates signed on request (OCPP 2.0.1 A02/A03, OCTT TC_A_11/TC_A_14;
interface.md §11 SignCertificate and CertificateSigned, §7.4 `certificates/certificateSigned`).

A SignCertificate is stored (status `pending`) before the station hears `Accepted`; the CSR is
judged only afterwards, as a follow-up, because OCTT expects that order. A usable CSR is signed by
the injected `CertificateSigner` and sent back with CertificateSigned through the one command
path; an unusable one is stored as `refused` and recorded as a CSMS-side security event. The
station's CertificateSigned answer, whoever sent the call, is recorded against its request.
"""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.clock import Clock
from tourmaline.db.models import CertificateSigningRequest
from tourmaline.ocpp.rpc import JsonObject
from tourmaline.services.csr_checks import CHARGING_STATION_CERTIFICATE, CsrVerdict, judge_csr
from tourmaline.services.ports import CertificateSigner, SecurityEventSink
from tourmaline.services.record_views import iso_z, newest_first, with_present
from tourmaline.services.reports import ReportSender

__all__ = [
    "CERTIFICATE_REJECTED_EVENT",
    "INVALID_CSR_EVENT",
    "MAX_CHAIN_LENGTH",
    "CertificateSigningService",
]

log = structlog.get_logger(__name__)

# CSMS-side security event types (interface.md §11 block A: refused CSRs are security events).
INVALID_CSR_EVENT = "InvalidCertificateSigningRequest"
CERTIFICATE_REJECTED_EVENT = "CertificateSignedRejected"
# CertificateSignedRequest.certificateChain maxLength.
MAX_CHAIN_LENGTH = 10_000
_OPEN = ("pending", "signed")
_REASON_LENGTH = 512


class CertificateSigningService:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        signer: CertificateSigner | None,
        sender: ReportSender,
        report_event: SecurityEventSink,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._signer = signer
        self._sender = sender
        self._report_event = report_event

    @property
    def can_sign(self) -> bool:
        """False without a signing CA: SignCertificate is then answered Rejected."""
        return self._signer is not None

    async def receive(self, station_id: str, csr: str, certificate_type: str | None) -> int:
        """Store a SignCertificate before it is answered; the id of the pending request."""
        now = self._clock.now()
        row = CertificateSigningRequest(
            station_id=station_id,
            # OCPP 2.0.1 SignCertificateRequest: an omitted type means a station certificate.
            certificate_type=certificate_type or CHARGING_STATION_CERTIFICATE,
            csr=csr,
            status="pending",
            created_at=now,
            updated_at=now,
        )
        async with self._sessionmaker.begin() as session:
            session.add(row)
            await session.flush()
            return row.id

    async def process(self, station_id: str, request_id: int) -> None:
        """The follow-up of an Accepted SignCertificate: judge, sign, send CertificateSigned."""
        async with self._sessionmaker() as session:
            request = await session.get(CertificateSigningRequest, request_id)
        if request is None:
            return
        verdict = judge_csr(
            request.csr, station_id=station_id, certificate_type=request.certificate_type
        )
        chain, refusal = (None, verdict.refusal)
        if refusal is None:
            chain, refusal = self._sign(request.csr, request.certificate_type)
        await self._settle(request_id, verdict, chain, refusal)
        if chain is None:
            self._report_event(station_id, INVALID_CSR_EVENT, refusal)
            log.warning(
                "certificate signing request refused", station_id=station_id, reason=refusal
            )
            return
        await self._deliver(station_id, request_id, chain, request.certificate_type)

    def _sign(self, csr: str, certificate_type: str) -> tuple[str | None, str | None]:
        assert self._signer is not None
        try:
            chain = self._signer.sign_csr(csr, certificate_type=certificate_type)
        except ValueError as error:
            return None, f"not signed: {error}"
        except Exception:
            log.exception("the certificate signer failed", certificate_type=certificate_type)
            return None, "the certificate authority failed to sign this request"
        if len(chain) > MAX_CHAIN_LENGTH:
            return None, f"the signed chain exceeds the {MAX_CHAIN_LENGTH} characters OCPP allows"
        return chain, None

    async def _settle(
        self, request_id: int, verdict: CsrVerdict, chain: str | None, refusal: str | None
    ) -> None:
        changes: dict[str, Any] = {"subject": verdict.subject, "public_key": verdict.public_key}
        if chain is None:
            changes |= {"status": "refused", "reason": (refusal or "")[:_REASON_LENGTH]}
        else:
            changes |= {"status": "signed", "certificate_chain": chain}
        await self._update(request_id, changes)

    async def _deliver(
        self, station_id: str, request_id: int, chain: str, certificate_type: str
    ) -> None:
        payload = {"certificateChain": chain, "certificateType": certificate_type}
        result = await self._sender.send(station_id, "CertificateSigned", payload, wait=True)
        if result.success:
            return  # the CALLRESULT route has recorded the station's answer
        reason = f"CertificateSigned not answered: {_describe(result.payload)}"
        log.warning("certificate not delivered", station_id=station_id, reason=reason)
        await self._update(
            request_id, {"status": "undelivered", "reason": reason[:_REASON_LENGTH]}, only_open=True
        )

    async def _update(
        self, request_id: int, changes: dict[str, Any], *, only_open: bool = False
    ) -> None:
        async with self._sessionmaker.begin() as session:
            row = await session.get(CertificateSigningRequest, request_id)
            if row is None or (only_open and row.status not in _OPEN):
                return
            for name, value in changes.items():
                setattr(row, name, value)
            row.updated_at = self._clock.now()

    # -- CALLRESULT route ------------------------------------------------------------------------

    async def on_certificate_signed_answer(
        self, station_id: str, request: JsonObject, response: JsonObject
    ) -> None:
        """interface.md §7.4: the answer belongs to the request whose chain was sent, else to
        the station's newest open request of that type (a chain issued elsewhere)."""
        chain = str(request.get("certificateChain", ""))
        certificate_type = str(request.get("certificateType") or CHARGING_STATION_CERTIFICATE)
        status = str(response.get("status"))
        reason = _status_info_text(response) if status != "Accepted" else None
        async with self._sessionmaker.begin() as session:
            row = await _answered_request(session, station_id, chain, certificate_type)
            if row is None:
                log.info(
                    "CertificateSigned answer without a signing request", station_id=station_id
                )
                return
            row.status = status.lower()
            row.answer = response
            row.certificate_chain = row.certificate_chain or chain
            row.reason = reason
            row.updated_at = self._clock.now()
        if status != "Accepted":
            self._report_event(station_id, CERTIFICATE_REJECTED_EVENT, reason)

    # -- queries -----------------------------------------------------------------------------

    async def search(
        self, station_id: str, *, limit: int = 100, offset: int = 0
    ) -> list[dict[str, Any]]:
        """The station's signing requests, newest first."""
        query = newest_first(CertificateSigningRequest, station_id, limit=limit, offset=offset)
        async with self._sessionmaker() as session:
            return [_view(row) for row in await session.scalars(query)]


async def _answered_request(
    session: AsyncSession, station_id: str, chain: str, certificate_type: str
) -> CertificateSigningRequest | None:
    request = CertificateSigningRequest
    newest = select(request).where(request.station_id == station_id).order_by(request.id.desc())
    by_chain = await session.scalar(newest.where(request.certificate_chain == chain).limit(1))
    if by_chain is not None:
        return by_chain
    open_of_type = newest.where(
        request.certificate_type == certificate_type, request.status.in_(_OPEN)
    )
    return await session.scalar(open_of_type.limit(1))


def _status_info_text(response: JsonObject) -> str | None:
    info = response.get("statusInfo")
    if not isinstance(info, dict):
        return None
    parts = [str(info.get("reasonCode", "")), str(info.get("additionalInfo", ""))]
    return ": ".join(part for part in parts if part)[:_REASON_LENGTH] or None


def _describe(payload: Any) -> str:
    if isinstance(payload, dict) and "errorCode" in payload:
        return f"CALLERROR {payload['errorCode']}"
    return str(payload)


def _view(row: CertificateSigningRequest) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": row.id,
        "stationId": row.station_id,
        "certificateType": row.certificate_type,
        "status": row.status,
        "csr": row.csr,
        "createdAt": iso_z(row.created_at),
        "updatedAt": iso_z(row.updated_at),
    }
    optional = {
        "reason": row.reason,
        "subject": row.subject,
        "publicKey": row.public_key,
        "certificateChain": row.certificate_chain,
        "answer": row.answer,
    }
    return with_present(view, optional)
