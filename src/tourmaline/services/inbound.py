"""From a station CALL to its answer: builds the StationContext, runs the Router, and hands the
follow-ups to the transport, which starts them after the answer was sent (design.md §4 steps
5-11). Implements `transport.ports.InboundDispatcher`; CALLRESULTs of CSMS calls come in through
`handle_result`.
"""

from __future__ import annotations

from typing import Any

import structlog

from tourmaline.clock import Clock
from tourmaline.ocpp.errors import InternalError
from tourmaline.ocpp.router import Gate, Router
from tourmaline.ocpp.rpc import Call, CallError, CallResult, JsonObject
from tourmaline.services.authorization import AuthorizationService
from tourmaline.services.boot import BootService
from tourmaline.services.context import FollowUp, Services, StationContext
from tourmaline.services.device_model import DeviceModelService
from tourmaline.services.gating import GatingService
from tourmaline.services.local_lists import LocalListService
from tourmaline.services.reports import ReportService
from tourmaline.services.reservations import ReservationService
from tourmaline.services.security import SecurityServices
from tourmaline.services.stations import StationService
from tourmaline.services.transactions import TransactionService
from tourmaline.settings import Settings
from tourmaline.transport.ports import Reply, StationLink

__all__ = ["InboundPipeline"]

log = structlog.get_logger(__name__)


class InboundPipeline:
    def __init__(
        self,
        *,
        router: Router[StationContext],
        settings: Settings,
        clock: Clock,
        stations: StationService,
        boots: BootService,
        reports: ReportService | None = None,
        gating: GatingService | None = None,
        device_model: DeviceModelService | None = None,
        authorization: AuthorizationService | None = None,
        local_lists: LocalListService | None = None,
        reservations: ReservationService | None = None,
        security: SecurityServices | None = None,
        transactions: TransactionService | None = None,
    ) -> None:
        self._router = router
        self._settings = settings
        self._clock = clock
        self._gating = gating
        self._services = Services(
            stations=stations,
            boots=boots,
            reports=reports,
            gating=gating,
            device_model=device_model,
            authorization=authorization,
            local_lists=local_lists,
            reservations=reservations,
            security=security,
            transactions=transactions,
        )

    def context(
        self, station_id: str, security_profile: int | None, message_id: str | None = None
    ) -> StationContext:
        return StationContext(
            station_id=station_id,
            security_profile=security_profile,
            clock=self._clock,
            settings=self._settings,
            services=self._services,
            log=log.bind(station_id=station_id, message_id=message_id),
            message_id=message_id,
        )

    async def dispatch(self, link: StationLink, call: Call) -> Reply:
        """Never raises: the connection's worker must survive any bug behind it."""
        ctx = self.context(link.station_id, link.listener.security_profile, call.message_id)
        frame: CallResult | CallError
        try:
            frame = await self._router.dispatch(ctx, call, gate=await self._gate(link))
        except Exception:
            ctx.log.exception("router failed", action=call.action)
            frame = _internal_error(call)
        if isinstance(frame, CallError):
            # Nothing was committed for a refused or failed CALL, so nothing may follow it.
            return Reply(frame)
        return Reply(frame, combine_follow_ups(ctx))

    async def _gate(self, link: StationLink) -> Gate | None:
        """interface.md §4.5, from a per-station copy loaded once per connection."""
        gating = self._gating
        if gating is None:
            return None
        station_id = link.station_id
        await gating.prepare(station_id, link)
        return lambda call: gating.check_inbound(station_id, call)

    async def handle_result(
        self, station_id: str, action: str, request: JsonObject, response: JsonObject
    ) -> None:
        """Run the CALLRESULT route of a CSMS call, then its follow-ups. Never raises."""
        ctx = self.context(station_id, None)
        try:
            await self._router.handle_result(ctx, action, request, response)
        except Exception:
            ctx.log.exception("result handler failed", action=action)
            return
        follow_up = combine_follow_ups(ctx)
        if follow_up is not None:
            await follow_up()


def _internal_error(call: Call) -> CallError:
    error = InternalError(f"Internal error while handling {call.action}")
    return error.to_frame(call.message_id)


def combine_follow_ups(ctx: StationContext) -> FollowUp | None:
    """One callable running the context's follow-ups in order; a failing one is logged and
    does not stop the next."""
    follow_ups = tuple(ctx.follow_ups)
    if not follow_ups:
        return None

    async def run_follow_ups() -> None:
        for follow_up in follow_ups:
            try:
                await follow_up()
            except Exception:
                ctx.log.exception("follow-up failed", follow_up=_name(follow_up))

    return run_follow_ups


def _name(obj: Any) -> str:
    return str(getattr(obj, "__qualname__", repr(obj)))
