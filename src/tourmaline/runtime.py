"""Composition root: the only module that imports every layer (design.md §1.8, §3, §6).

`build_runtime(settings)` wires engine, writer, broker, registry, router, services, the
charger-facing servers and the REST app without doing I/O; `start()` binds and `stop()` drains.
Tests build as many runtimes as they need, two sharing one broker for the cluster path.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Iterator
from typing import Any

import structlog
import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tourmaline.api.app import create_api
from tourmaline.api.deps import ApiDeps
from tourmaline.clock import Clock, SystemClock
from tourmaline.cluster.broker import Broker, MemoryBroker, RedisBroker
from tourmaline.cluster.events import EventFeed
from tourmaline.cluster.registry import MemoryRegistry, RedisRegistry, Registry
from tourmaline.db.engine import create_engine, create_reader_engine, make_sessionmaker, ping
from tourmaline.db.migrate import is_at_head, is_empty, upgrade_to_head
from tourmaline.db.writer import MessageLogWriter
from tourmaline.handlers import build_router
from tourmaline.logging import configure_logging
from tourmaline.ocpp.schemas import SchemaRegistry
from tourmaline.services.auth_throttle import FailedAuthLimiter
from tourmaline.services.authenticator import StationAuthenticatorImpl
from tourmaline.services.authorization import AuthorizationService
from tourmaline.services.boot import BootService
from tourmaline.services.callbacks import CallbackPoster
from tourmaline.services.commands import CommandService
from tourmaline.services.connections import ConnectionManager
from tourmaline.services.cost_updates import CostUpdater
from tourmaline.services.credentials import CredentialService
from tourmaline.services.device_model import DeviceModelService
from tourmaline.services.gating import GatingService
from tourmaline.services.inbound import InboundPipeline
from tourmaline.services.live_events import ConnectionEventsFanout, LiveEventSource
from tourmaline.services.local_lists import LocalListService
from tourmaline.services.message_log import MessageLogQuery
from tourmaline.services.pki import LocalCertificateAuthority
from tourmaline.services.ports import CertificateSigner, OutboundCheck, SecurityEventSink
from tourmaline.services.remote_requests import RemoteRequestLog, RemoteRequestQuery
from tourmaline.services.reports import ReportService
from tourmaline.services.reservations import ReservationService
from tourmaline.services.security import SecurityServices
from tourmaline.services.security_audit import SecurityAudit
from tourmaline.services.stations import StationService
from tourmaline.services.subscriptions import SubscriptionService
from tourmaline.services.tariffs import TariffService
from tourmaline.services.tokens import TokenStore
from tourmaline.services.tolerance import ToleranceReporter
from tourmaline.services.transaction_query import TransactionQuery
from tourmaline.services.transactions import TransactionService
from tourmaline.settings import Settings
from tourmaline.transport.tls import TlsConfigurationError
from tourmaline.transport.ws_server import OcppServer

__all__ = ["Runtime", "build_runtime", "serve_forever"]

log = structlog.get_logger(__name__)

# In-flight CSMS calls may finish for this long after SIGTERM (design.md §6).
DRAIN_SECONDS = 10.0
# Allocations between young-generation collections (CPython's default is 700).
GC_GEN0_THRESHOLD = 50_000


class _ApiServer(uvicorn.Server):
    """uvicorn would take over SIGTERM/SIGINT; the runtime owns the signals and the shutdown
    order (design.md §6)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Runtime:
    """One Tourmaline instance: every long-lived object, and their start/stop order.

    Built in dependency order by the `_build_*` steps below; nothing here does I/O.
    `security_events` and `certificate_signer` replace the security-event store and the local CA
    (tests pass their own).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        broker: Broker | None = None,
        registry: Registry | None = None,
        security_events: SecurityEventSink | None = None,
        certificate_signer: CertificateSigner | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.engine: AsyncEngine = create_engine(settings.database)
        self.sessionmaker: async_sessionmaker[AsyncSession] = make_sessionmaker(self.engine)
        self.reader_engine = create_reader_engine(settings.database)
        # For services that only read: never queued behind the writer on SQLite.
        self.readers = make_sessionmaker(self.reader_engine or self.engine)
        self.writer = MessageLogWriter(self.sessionmaker, clock=self.clock)
        self.broker: Broker = broker or _broker_for(settings.broker.url)
        self.registry: Registry = registry or _registry_for(settings.broker.url)
        self.schemas = SchemaRegistry(on_warning=ToleranceReporter(self.clock))
        self.router = build_router(self.schemas, settings.ocpp)
        self._build_station_services()
        self._build_command_path()
        self._build_security(certificate_signer)
        self._build_charging_services()
        self.outbound_checks = self._outbound_checks()
        self.inbound = self._inbound_pipeline()
        self.servers = self._build_servers(security_events)
        self._build_console_feed()
        self.ready = False
        self.api: FastAPI = create_api(self._api_deps())
        self._api_server: uvicorn.Server | None = None
        self._api_task: asyncio.Task[None] | None = None

    def _build_station_services(self) -> None:
        """Station records, boot decisions, credentials, device model, gating, webhooks."""
        settings, sessionmaker, clock = self.settings, self.sessionmaker, self.clock
        self.stations = StationService(sessionmaker, clock, self.writer)
        self.boots = BootService(sessionmaker, clock, settings.ocpp)
        self.credentials = CredentialService(sessionmaker, clock)
        self.device_model = DeviceModelService(sessionmaker, clock, self.credentials)
        self.gating = GatingService(
            sessionmaker,
            clock,
            accept_any_report_request_id=settings.ocpp.boot_report_accept_any_request_id,
        )
        self.callbacks = CallbackPoster()
        self.subscriptions = SubscriptionService(sessionmaker, self.callbacks, broker=self.broker)

    def _build_command_path(self) -> None:
        """Connections and the one path for calls to stations (design.md §1.3, §5)."""
        self.connections = ConnectionManager(
            instance_id=self.settings.instance_id,
            registry=self.registry,
            broker=self.broker,
            stations=self.stations,
            writer=self.writer,
            clock=self.clock,
            events=self.subscriptions,
        )
        self.commands = CommandService(
            connections=self.connections,
            broker=self.broker,
            instance_id=self.settings.instance_id,
            call_timeout=self.settings.ocpp.call_timeout,
            on_result=self._on_call_result,
            deliver_callback=self.callbacks.deliver,
            outbound_gate=self._before_send,
            on_unanswered=RemoteRequestLog(self.sessionmaker, self.clock).record_unanswered,
        )
        self.reports = ReportService(
            self.sessionmaker,
            self.clock,
            self.settings.ocpp,
            sender=self.commands,
            apply_report=self.device_model.apply_report,
        )

    def _build_security(self, certificate_signer: CertificateSigner | None) -> None:
        """Issue 5: certificates, security events, network profiles. SignCertificate is signed
        by the local CA of `tls.dir` unless a signer is given; None (no station CA key) answers
        it Rejected (interface.md §11)."""
        self.certificate_signer = certificate_signer or LocalCertificateAuthority.from_settings(
            self.settings.tls
        )
        self.security = SecurityServices.build(
            self.sessionmaker,
            self.clock,
            self.settings,
            sender=self.commands,
            signer=self.certificate_signer,
        )
        self.connections.on_registered.append(self.security.network_profiles.registered)

    def _build_charging_services(self) -> None:
        """Issue 4: ID tokens, local lists, reservations, tariffs, transactions, and the ports
        they offer each other (services/ports.py)."""
        sessionmaker, clock = self.sessionmaker, self.clock
        self.tokens = TokenStore(sessionmaker, clock)
        self.tariffs = TariffService(sessionmaker, clock)
        self.reservations = ReservationService(sessionmaker, clock)
        self.local_lists = LocalListService(sessionmaker, clock, sender=self.commands)
        self.authorization = AuthorizationService(self.readers, clock, tariffs=self.tariffs)
        self.transactions = TransactionService(
            sessionmaker,
            clock,
            self.settings.transactions,
            authorizer=self.authorization,
            tariffs=self.tariffs,
            reservations=self.reservations,
        )
        self.authorization.active_transactions = self.transactions
        self.cost_updates = CostUpdater(
            sessionmaker,
            clock,
            interval=self.settings.transactions.cost_updated_interval,
            local_stations=self.connections.local_station_ids,
            sender=self.commands,
        )

    def _outbound_checks(self) -> list[OutboundCheck]:
        """Run in order before a CSMS call is queued; the first refusal wins. Those that store
        what is about to be sent (a list request, a reservation) come after those that refuse."""
        return [
            self.gating.check_outbound,
            self._track_report,
            self.security.installed.record_outbound,
            self.local_lists.check_outbound,
            self.reservations.check_outbound,
        ]

    def _inbound_pipeline(self) -> InboundPipeline:
        return InboundPipeline(
            router=self.router,
            settings=self.settings,
            clock=self.clock,
            stations=self.stations,
            boots=self.boots,
            reports=self.reports,
            gating=self.gating,
            device_model=self.device_model,
            authorization=self.authorization,
            local_lists=self.local_lists,
            reservations=self.reservations,
            security=self.security,
            transactions=self.transactions,
        )

    def _build_servers(self, security_events: SecurityEventSink | None) -> dict[str, OcppServer]:
        """One server per listener. Refused handshakes and TLS failures are CSMS-side security
        events, stored with the stations' own SecurityEventNotifications."""
        settings = self.settings
        self.security_audit = SecurityAudit(
            self.clock, security_events or self.security.events.report
        )
        self.auth_limiter = FailedAuthLimiter(
            self.clock,
            limit=settings.security.auth_failure_limit,
            window=settings.security.auth_failure_window,
        )
        authenticator = StationAuthenticatorImpl(
            self.stations, self.credentials, audit=self.security_audit, limiter=self.auth_limiter
        )
        return {
            listener.id: OcppServer(
                listener=listener,
                ocpp=settings.ocpp,
                schemas=self.schemas,
                authenticator=authenticator,
                dispatcher=self.inbound,
                hooks=self.connections,
                clock=self.clock,
                tls_failures=self.security_audit.tls_failure,
            )
            for listener in settings.listeners
        }

    def _build_console_feed(self) -> None:
        """Issue 6: live events for /ui pages, fed beside the webhooks."""
        self.live_events = EventFeed(
            instance_id=self.settings.instance_id, broker=self.broker, clock=self.clock
        )
        self.connections.events = ConnectionEventsFanout(
            [self.subscriptions, LiveEventSource(self.live_events)]
        )

    def _api_deps(self) -> ApiDeps:
        return ApiDeps(
            settings=self.settings,
            stations=self.stations,
            boots=self.boots,
            connections=self.connections,
            commands=self.commands,
            ready=self.is_ready,
            schemas=self.schemas,
            subscriptions=self.subscriptions,
            message_log=MessageLogQuery(self.readers),
            device_model=self.device_model,
            batch_limits=self.device_model.get_limit,
            tokens=self.tokens,
            local_lists=self.local_lists,
            reservations=self.reservations,
            security=self.security,
            credentials=self.credentials,
            events=self.live_events,
            transactions=TransactionQuery(self.readers),
            tariffs=self.tariffs,
            remote_requests=RemoteRequestQuery(self.readers),
        )

    async def _on_call_result(
        self, station_id: str, action: str, request: dict[str, Any], response: dict[str, Any]
    ) -> None:
        await self.inbound.handle_result(station_id, action, request, response)

    async def _before_send(
        self, station_id: str, action: str, payload: dict[str, Any]
    ) -> str | None:
        for check in self.outbound_checks:
            try:
                refusal = await check(station_id, action, payload)
            except Exception:
                # A failing check (database down, a bug) refuses this call like any other
                # refusal (interface.md §7.2); it must not become a 500 for the whole request.
                log.exception("pre-send check failed", station_id=station_id, action=action)
                return f"{action} not sent: internal error while preparing it"
            if refusal is not None:
                return refusal
        return None

    async def _track_report(
        self, station_id: str, action: str, payload: dict[str, Any]
    ) -> str | None:
        """A message-API GetBaseReport or GetReport is tracked before the call is queued, so
        its first NotifyReport finds the row (interface.md §4.4)."""
        await self.reports.track_outbound(station_id, action, payload)
        return None

    async def is_ready(self) -> bool:
        return self.ready and await ping(self.engine)

    async def prepare_database(self) -> None:
        """An empty database is always set up; an older schema only with auto_migrate."""
        if await is_empty(self.engine) or self.settings.database.auto_migrate:
            await upgrade_to_head(self.engine)
        elif not await is_at_head(self.engine):
            raise RuntimeError(
                "the database schema is older than this Tourmaline: run `tourmaline db upgrade` "
                "or set TOURMALINE_DATABASE__AUTO_MIGRATE=true"
            )

    async def start(self, *, serve_api: bool = True) -> None:
        self.check_tls()
        await self.prepare_database()
        self.writer.start()
        self.security.start()
        await self.broker.start()
        await self.subscriptions.start()
        await self.live_events.start()
        await self.connections.start()
        self.cost_updates.start()
        if serve_api:
            await self._start_api()
        for server in self.servers.values():
            await server.start()
        self.ready = True
        log.info("tourmaline started", instance=self.settings.instance_id, **self.ports())

    async def _start_api(self) -> None:
        config = uvicorn.Config(
            self.api,
            host=self.settings.api.host,
            port=self.settings.api.port,
            log_config=None,
            access_log=False,
            lifespan="off",
        )
        self._api_server = _ApiServer(config)
        self._api_task = asyncio.create_task(self._api_server.serve(), name="api-server")
        while not self._api_server.started:
            if self._api_task.done():
                await self._api_task
                raise RuntimeError("the REST API server stopped while starting")
            await asyncio.sleep(0.01)

    def ports(self) -> dict[str, int]:
        ports = {f"listener_{key}": server.port for key, server in self.servers.items()}
        if self._api_server is not None and self._api_server.servers:
            ports["api"] = self._api_server.servers[0].sockets[0].getsockname()[1]
        return ports

    def station_url(self, listener_id: str, station_id: str, host: str = "127.0.0.1") -> str:
        """The URL a station uses on this listener: `wss://` on a TLS listener."""
        server = self.servers[listener_id]
        return f"{server.scheme}://{host}:{server.port}/{station_id}"

    def check_tls(self) -> None:
        """Refuse to start with certificates that cannot be used (TlsConfigurationError says
        which file and why), before anything is bound."""
        for server in self.servers.values():
            if server.tls is not None:
                server.tls.prepare()

    def reload_tls(self) -> list[str]:
        """Re-read the certificates of every TLS listener (SIGHUP, design.md §6): new handshakes
        use them, open sockets keep theirs. All or nothing: when one listener's files cannot be
        used, TlsConfigurationError is raised and every listener keeps its certificates."""
        staged = [
            (server.tls, server.tls.prepare())
            for server in self.servers.values()
            if server.tls is not None
        ]
        for tls, context in staged:
            tls.use(context)
        reloaded = [tls.files.listener_id for tls, _ in staged]
        log.info("TLS certificates reloaded", listeners=reloaded)
        return reloaded

    def reload_tls_or_keep(self) -> None:
        """SIGHUP handler: a failed reload is logged and changes nothing."""
        try:
            self.reload_tls()
        except TlsConfigurationError as error:
            log.error("TLS reload failed; the previous certificates stay in use", error=str(error))

    async def stop(self) -> None:
        """SIGTERM path (design.md §6): not ready, close sockets with 1001, flush, release."""
        self.ready = False
        # Open console event streams end first, so the API server's shutdown does not wait.
        await self.live_events.stop()
        await self.cost_updates.stop()
        await self.commands.stop(grace=DRAIN_SECONDS)
        await self.reports.stop()
        for server in self.servers.values():
            await server.close()
        if self._api_server is not None and self._api_task is not None:
            self._api_server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._api_task
        await self.connections.stop()
        await self.security.stop()
        await self.subscriptions.stop()
        await self.callbacks.aclose()
        await self.writer.stop()
        await self.broker.stop()
        if isinstance(self.registry, RedisRegistry):
            await self.registry.aclose()
        await self.engine.dispose()
        if self.reader_engine is not None:
            await self.reader_engine.dispose()


def _tune_garbage_collector() -> None:
    """Keep collector pauses out of the answer latency: the objects built at start-up (schemas,
    models, routes) are moved out of the collector's sight, and young-generation collections run
    less often, so a server holding thousands of connections does not stall every few hundred
    messages to re-scan them."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_GEN0_THRESHOLD, 20, 100)


def _broker_for(url: str) -> Broker:
    if url.startswith(("redis://", "rediss://")):
        return RedisBroker(url)
    if url != "memory://":
        raise ValueError(f"unsupported broker URL {url!r}: use memory:// or redis://")
    return MemoryBroker()


def _registry_for(url: str) -> Registry:
    if url.startswith(("redis://", "rediss://")):
        return RedisRegistry.from_url(url)
    return MemoryRegistry()


def build_runtime(settings: Settings, **kwargs: Any) -> Runtime:
    return Runtime(settings, **kwargs)


async def serve_forever(settings: Settings) -> None:
    """`tourmaline serve`: run until SIGTERM or SIGINT, then drain."""
    configure_logging(settings.log)
    if settings.api.auth == "none":
        log.warning("REST API authentication is off (api.auth = none)")
    runtime = build_runtime(settings)
    await runtime.start()
    _tune_garbage_collector()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, runtime.reload_tls_or_keep)
    await stop.wait()
    log.info("shutting down")
    await runtime.stop()
