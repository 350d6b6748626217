"""Typed settings, read from (highest first) init arguments, `TOURMALINE_*` environment variables,
`.env`, a TOML file (`tourmaline.toml` or `TOURMALINE_CONFIG`) and the defaults below.

Nested groups use `__` in environment names: `TOURMALINE_DATABASE__URL`, `TOURMALINE_LOG__FORMAT`.
Listener lists are set in the TOML file (`[[listeners]]`) or as JSON in `TOURMALINE_LISTENERS`.
Nothing here is read at import time; `load_settings()` builds a fresh object each call.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

__all__ = [
    "ApiSettings",
    "BrokerSettings",
    "DatabaseSettings",
    "ListenerSettings",
    "LogSettings",
    "OcppSettings",
    "Settings",
    "TransactionSettings",
    "default_listeners",
    "load_settings",
]

SecurityProfile = Literal[0, 1, 2, 3]
BootStatus = Literal["Accepted", "Pending", "Rejected"]


class ListenerSettings(BaseModel):
    """One charger-facing WebSocket server (interface.md §1)."""

    id: str
    host: str = "0.0.0.0"
    port: int = Field(ge=0, le=65535)
    security_profile: SecurityProfile = 0
    allow_unknown_stations: bool = False
    ping_interval: float = Field(default=60.0, gt=0)
    tls_cert_chain: Path | None = None
    tls_key: Path | None = None
    station_ca_bundle: Path | None = None


def default_listeners() -> list[ListenerSettings]:
    return [
        ListenerSettings(id="0", port=8081, security_profile=0, allow_unknown_stations=True),
        ListenerSettings(id="1", port=8082, security_profile=1, allow_unknown_stations=False),
    ]


class ApiSettings(BaseModel):
    host: str = "0.0.0.0"
    port: int = Field(default=8080, ge=0, le=65535)
    auth: Literal["none", "api_key"] = "none"
    # With auth = "api_key": the accepted keys (e.g. TOURMALINE_API__API_KEYS='["…"]').
    api_keys: list[SecretStr] = Field(default_factory=list)
    cors_origins: list[str] = Field(default_factory=lambda: ["*"])

    @model_validator(mode="after")
    def _keys_for_api_key_mode(self) -> ApiSettings:
        if self.auth == "api_key" and not any(k.get_secret_value() for k in self.api_keys):
            raise ValueError("api.auth = 'api_key' needs at least one key in api.api_keys")
        return self


class DatabaseSettings(BaseModel):
    url: str = "sqlite+aiosqlite:///tourmaline.db"
    # An empty database is always migrated by `serve`; this also upgrades an older schema.
    auto_migrate: bool = False
    echo: bool = False


class BrokerSettings(BaseModel):
    url: str = "memory://"
    # Several instances on one SQLite file would fight over its single writer; allow it only
    # when asked (for example one instance with Redis for an external registry).
    allow_sqlite: bool = False


class OcppSettings(BaseModel):
    """Protocol and boot defaults (interface.md §3, §4.1)."""

    heartbeat_interval: int = Field(default=60, ge=1)
    boot_retry_interval: int = Field(default=15, ge=1)
    unknown_charger_status: BootStatus = "Accepted"
    get_base_report_on_pending: bool = True
    auto_accept: bool = True
    report_inactivity_timeout: float = Field(default=30.0, gt=0)
    # interface.md §4.4: count NotifyReport parts with an unknown requestId towards the station's
    # single open boot report (for test tools that always answer with requestId 0).
    boot_report_accept_any_request_id: bool = False
    call_timeout: float = Field(default=30.0, gt=0)
    outbound_queue_size: int = Field(default=32, ge=1)
    # Frames above the soft limit get a CALLERROR and the socket stays open; above the hard
    # limit the WebSocket layer closes with 1009 (RFC 6455 "message too big").
    max_message_size: int = Field(default=512 * 1024, ge=1024)
    hard_max_message_size: int = Field(default=8 * 1024 * 1024, ge=1024)
    compression: bool = True
    validate_responses: bool = True
    dedup_window: int = Field(default=1000, ge=0)
    dedup_max_age: float = Field(default=24 * 3600.0, gt=0)

    @model_validator(mode="after")
    def _hard_limit_above_soft(self) -> OcppSettings:
        if self.hard_max_message_size < self.max_message_size:
            raise ValueError("hard_max_message_size must be at least max_message_size")
        return self


class TransactionSettings(BaseModel):
    """Charging sessions and their cost (interface.md §10.1, §10.6)."""

    # Seconds between CostUpdated calls for each Accepted active transaction of a station
    # connected to this instance; 0 turns the periodic CostUpdated off.
    cost_updated_interval: float = Field(default=60.0, ge=0)
    # interface.md §10.1: also answer `totalCost` on Updated events (always on Ended).
    cost_on_meter_values: bool = False
    # Most TransactionEvents and MeterValues committed together (services/batching.py).
    max_batch: int = Field(default=200, ge=1)


class LogSettings(BaseModel):
    level: str = "INFO"
    format: Literal["console", "json"] = "console"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TOURMALINE_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="forbid",
        toml_file="tourmaline.toml",
    )

    env: Literal["development", "test", "production"] = "development"
    instance_id: str = Field(default_factory=socket.gethostname)
    api: ApiSettings = Field(default_factory=ApiSettings)
    listeners: list[ListenerSettings] = Field(default_factory=default_listeners)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    broker: BrokerSettings = Field(default_factory=BrokerSettings)
    ocpp: OcppSettings = Field(default_factory=OcppSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    transactions: TransactionSettings = Field(default_factory=TransactionSettings)

    @model_validator(mode="after")
    def _check(self) -> Settings:
        ids = [listener.id for listener in self.listeners]
        if len(ids) != len(set(ids)):
            raise ValueError(f"listener ids must be unique, got {ids}")
        sqlite = self.database.url.startswith("sqlite")
        if sqlite and self.broker.url != "memory://" and not self.broker.allow_sqlite:
            raise ValueError(
                "a shared broker means several instances, which need PostgreSQL: set "
                "database.url to a postgresql+asyncpg:// URL (or broker.allow_sqlite = true)"
            )
        if self.env == "production" and self.api.auth == "none":
            raise ValueError("api.auth 'none' is refused when env=production; use api_key")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = os.environ.get("TOURMALINE_CONFIG", "tourmaline.toml")
        toml = TomlConfigSettingsSource(settings_cls, toml_file=toml_path)
        return (init_settings, env_settings, dotenv_settings, toml, file_secret_settings)


def load_settings(**overrides: object) -> Settings:
    """Build settings from every source; keyword arguments win over all of them."""
    return Settings(**overrides)  # type: ignore[arg-type]
