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
from tourmaline.cluster.registry import MemoryRegistry, RedisRegistry, Registry
from tourmaline.db.engine import create_engine, make_sessionmaker, ping
from tourmaline.db.migrate import is_at_head, is_empty, upgrade_to_head
from tourmaline.db.writer import MessageLogWriter
from tourmaline.handlers import build_router
from tourmaline.logging import configure_logging
from tourmaline.ocpp.schemas import SchemaRegistry
from tourmaline.services.authenticator import StationAuthenticatorImpl
from tourmaline.services.boot import BootService
from tourmaline.services.callbacks import CallbackPoster
from tourmaline.services.commands import CommandService
from tourmaline.services.connections import ConnectionManager
from tourmaline.services.cost_updates import CostUpdater
from tourmaline.services.credentials import CredentialService
from tourmaline.services.device_model import DeviceModelService
from tourmaline.services.gating import GatingService
from tourmaline.services.inbound import InboundPipeline
from tourmaline.services.message_log import MessageLogQuery
from tourmaline.services.ports import IdTokenAuthorizer, OutboundCheck, ReservationUse
from tourmaline.services.remote_requests import RemoteRequestQuery
from tourmaline.services.reports import ReportService
from tourmaline.services.stations import StationService
from tourmaline.services.subscriptions import SubscriptionService
from tourmaline.services.tariffs import TariffService
from tourmaline.services.tolerance import ToleranceReporter
from tourmaline.services.transaction_query import TransactionQuery
from tourmaline.services.transactions import NoTokenStoreAuthorizer, TransactionService
from tourmaline.settings import Settings
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
    """One Tourmaline instance: every long-lived object, and their start/stop order."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        broker: Broker | None = None,
        registry: Registry | None = None,
        id_token_authorizer: IdTokenAuthorizer | None = None,
        reservations: ReservationUse | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.engine: AsyncEngine = create_engine(settings.database)
        self.sessionmaker: async_sessionmaker[AsyncSession] = make_sessionmaker(self.engine)
        self.writer = MessageLogWriter(self.sessionmaker, clock=self.clock)
        self.broker: Broker = broker or _broker_for(settings.broker.url)
        self.registry: Registry = registry or _registry_for(settings.broker.url)
        self.schemas = SchemaRegistry(on_warning=ToleranceReporter(self.clock))
        self.stations = StationService(self.sessionmaker, self.clock, self.writer)
        self.boots = BootService(self.sessionmaker, self.clock, settings.ocpp)
        self.credentials = CredentialService(self.sessionmaker, self.clock)
        self.device_model = DeviceModelService(self.sessionmaker, self.clock, self.credentials)
        self.router = build_router(self.schemas, settings.ocpp)
        self.tariffs = TariffService(self.sessionmaker, self.clock)
        # TO WIRE (issue 4): `id_token_authorizer` is the ID-token service (interface.md §10.2)
        # and `reservations` the reservation service (§10.4); until then tokens are answered by
        # NoTokenStoreAuthorizer and reservationIds are not consumed.
        self.transactions = TransactionService(
            self.sessionmaker,
            self.clock,
            settings.transactions,
            authorizer=id_token_authorizer or NoTokenStoreAuthorizer(),
            tariffs=self.tariffs,
            reservations=reservations,
        )
        self.gating = GatingService(
            self.sessionmaker,
            self.clock,
            accept_any_report_request_id=settings.ocpp.boot_report_accept_any_request_id,
        )
        self.callbacks = CallbackPoster()
        self.subscriptions = SubscriptionService(
            self.sessionmaker, self.callbacks, broker=self.broker
        )
        self.connections = ConnectionManager(
            instance_id=settings.instance_id,
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
            instance_id=settings.instance_id,
            call_timeout=settings.ocpp.call_timeout,
            on_result=self._on_call_result,
            deliver_callback=self.callbacks.deliver,
            outbound_gate=self._before_send,
        )
        self.reports = ReportService(
            self.sessionmaker,
            self.clock,
            settings.ocpp,
            sender=self.commands,
            apply_report=self.device_model.apply_report,
        )
        # Run in order before a CSMS call is queued; the first refusal wins (services/ports.py).
        self.outbound_checks: list[OutboundCheck] = [
            self.gating.check_outbound,
            self._track_report,
        ]
        self.inbound = InboundPipeline(
            router=self.router,
            settings=settings,
            clock=self.clock,
            stations=self.stations,
            boots=self.boots,
            reports=self.reports,
            gating=self.gating,
            device_model=self.device_model,
            transactions=self.transactions,
        )
        self.cost_updates = CostUpdater(
            self.sessionmaker,
            self.clock,
            interval=settings.transactions.cost_updated_interval,
            local_stations=self.connections.local_station_ids,
            sender=self.commands,
        )
        authenticator = StationAuthenticatorImpl(self.stations, self.credentials)
        self.servers = {
            listener.id: OcppServer(
                listener=listener,
                ocpp=settings.ocpp,
                schemas=self.schemas,
                authenticator=authenticator,
                dispatcher=self.inbound,
                hooks=self.connections,
                clock=self.clock,
            )
            for listener in settings.listeners
        }
        self.ready = False
        self.api: FastAPI = create_api(
            ApiDeps(
                settings=settings,
                stations=self.stations,
                boots=self.boots,
                connections=self.connections,
                commands=self.commands,
                ready=self.is_ready,
                schemas=self.schemas,
                subscriptions=self.subscriptions,
                message_log=MessageLogQuery(self.sessionmaker),
                device_model=self.device_model,
                batch_limits=self.device_model.get_limit,
                transactions=TransactionQuery(self.sessionmaker),
                tariffs=self.tariffs,
                remote_requests=RemoteRequestQuery(self.sessionmaker),
            )
        )
        self._api_server: uvicorn.Server | None = None
        self._api_task: asyncio.Task[None] | None = None

    async def _on_call_result(
        self, station_id: str, action: str, request: dict[str, Any], response: dict[str, Any]
    ) -> None:
        await self.inbound.handle_result(station_id, action, request, response)

    async def _before_send(
        self, station_id: str, action: str, payload: dict[str, Any]
    ) -> str | None:
        for check in self.outbound_checks:
            refusal = await check(station_id, action, payload)
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
        await self.prepare_database()
        self.writer.start()
        await self.broker.start()
        await self.subscriptions.start()
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
        return f"ws://{host}:{self.servers[listener_id].port}/{station_id}"

    async def stop(self) -> None:
        """SIGTERM path (design.md §6): not ready, close sockets with 1001, flush, release."""
        self.ready = False
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
        await self.subscriptions.stop()
        await self.callbacks.aclose()
        await self.writer.stop()
        await self.broker.stop()
        if isinstance(self.registry, RedisRegistry):
            await self.registry.aclose()
        await self.engine.dispose()


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
    await stop.wait()
    log.info("shutting down")
    await runtime.stop()
