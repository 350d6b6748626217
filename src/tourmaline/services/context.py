"""What an OCPP handler receives besides its request (design.md §4 step 7, §7 handler shape).

Handlers import this module, so it must not import the transport (import-linter contract).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tourmaline.clock import Clock
from tourmaline.services.authorization import AuthorizationService
from tourmaline.services.boot import BootService
from tourmaline.services.device_model import DeviceModelService
from tourmaline.services.gating import GatingService
from tourmaline.services.local_lists import LocalListService
from tourmaline.services.reports import ReportService
from tourmaline.services.reservations import ReservationService
from tourmaline.services.security import SecurityServices
from tourmaline.services.stations import StationService
from tourmaline.services.transactions import TransactionService
from tourmaline.settings import Settings

__all__ = ["FollowUp", "Services", "StationContext"]

FollowUp = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Services:
    """The services handlers may call; one bundle per runtime, shared by every context."""

    stations: StationService
    boots: BootService
    # Report tracking and Pending/Rejected gating (interface.md §4.4, §4.5); None when not wired.
    reports: ReportService | None
    gating: GatingService | None
    # Device model store (interface.md §5); None when not wired.
    device_model: DeviceModelService | None = None
    # ID tokens, local lists and reservations (interface.md §10.2-§10.4); None when not wired.
    authorization: AuthorizationService | None = None
    local_lists: LocalListService | None = None
    reservations: ReservationService | None = None
    # Security events, certificates and network profiles (issue 5); None when not wired.
    security: SecurityServices | None = None
    # Transactions, meter values and remote-control answers (interface.md §10.1, §10.5, §7.4).
    transactions: TransactionService | None = None


@dataclass(eq=False, slots=True)
class StationContext:
    """One station CALL (or one CALLRESULT of a CSMS call) being handled.

    `security_profile` is that of the listener the station is connected to; it is None for
    CALLRESULT handling, which may run for a call submitted through another instance.
    """

    station_id: str
    security_profile: int | None
    clock: Clock
    settings: Settings
    services: Services
    log: Any
    message_id: str | None = None
    follow_ups: list[FollowUp] = field(default_factory=list)

    def now(self) -> datetime:
        """The time to send as `currentTime`: UTC, whole seconds. Chargers set their clocks
        from it; sub-second digits only trouble strict embedded parsers."""
        return self.clock.now().astimezone(UTC).replace(microsecond=0)

    def after_reply(self, follow_up: FollowUp) -> None:
        """Run `follow_up` once the answer has been sent (design.md §4 step 10), e.g. the
        GetBaseReport after a Pending BootNotification. Follow-ups run in the order added."""
        self.follow_ups.append(follow_up)
