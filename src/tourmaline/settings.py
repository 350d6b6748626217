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
from typing import Literal, NamedTuple

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

__all__ = [
    "PKI_FILES",
    "ApiSettings",
    "BrokerSettings",
    "CertificateSettings",
    "DatabaseSettings",
    "ListenerSettings",
    "LogSettings",
    "OcppSettings",
    "SecuritySettings",
    "Settings",
    "TlsSettings",
    "TransactionSettings",
    "default_listeners",
    "load_settings",
    "tls_listeners",
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
    # A second server certificate with the other key type (ECDSA next to RSA): the ECDHE-ECDSA
    # suites need an EC certificate, the static-RSA ones an RSA certificate (ocpp-rules.md §4.2).
    tls_ec_cert_chain: Path | None = None
    tls_ec_key: Path | None = None

    @model_validator(mode="after")
    def _tls_pairs(self) -> ListenerSettings:
        for cert, key in (
            (self.tls_cert_chain, self.tls_key),
            (self.tls_ec_cert_chain, self.tls_ec_key),
        ):
            if (cert is None) != (key is None):
                raise ValueError(
                    f"listener {self.id}: a server certificate needs its key and vice versa"
                )
        return self

    @property
    def has_server_certificate(self) -> bool:
        return self.tls_cert_chain is not None or self.tls_ec_cert_chain is not None


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


# A provider factory: `package.module:attribute`.
_PROVIDER_PATH = r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$"


class CertificateSettings(BaseModel):
    """Certificate messages (interface.md §11 blocks A and M). The providers answer the
    station's GetCertificateStatus and Get15118EVCertificate; each is `package.module:factory`,
    the factory receiving these Settings. None: answered `Failed` without any network access."""

    status_provider: str | None = Field(default=None, pattern=_PROVIDER_PATH)
    ev_certificate_provider: str | None = Field(default=None, pattern=_PROVIDER_PATH)
    # Seconds a provider may take before the station is answered `Failed`.
    provider_timeout: float = Field(default=10.0, gt=0)


class TransactionSettings(BaseModel):
    """Charging sessions and their cost (interface.md §10.1, §10.6)."""

    # Seconds between CostUpdated calls for each Accepted active transaction of a station
    # connected to this instance; 0 turns the periodic CostUpdated off.
    cost_updated_interval: float = Field(default=60.0, ge=0)
    # interface.md §10.1: also answer `totalCost` on Updated events (always on Ended).
    cost_on_meter_values: bool = False
    # Most TransactionEvents and MeterValues committed together (services/batching.py).
    max_batch: int = Field(default=200, ge=1)
    # Seconds a group waits for more events when it follows another one straight away (under
    # load only): larger groups cost less CPU per event (benchmarks/README.md).
    group_linger: float = Field(default=0.005, ge=0, le=0.1)


class LogSettings(BaseModel):
    level: str = "INFO"
    format: Literal["console", "json"] = "console"


class PkiFileNames(NamedTuple):
    """The files `tourmaline certs init` writes into its directory; `tls.dir` reads them."""

    root_cert: str = "root-ca.pem"
    root_key: str = "root-ca.key"
    station_ca_cert: str = "station-ca.pem"
    station_ca_key: str = "station-ca.key"
    server_cert: str = "csms-rsa.pem"
    server_key: str = "csms-rsa.key"
    server_ec_cert: str = "csms-ec.pem"
    server_ec_key: str = "csms-ec.key"
    stations_dir: str = "stations"


PKI_FILES = PkiFileNames()

# TlsSettings field → (ListenerSettings field, file name in a `certs init` directory)
_TLS_FIELDS = {
    "server_cert": ("tls_cert_chain", PKI_FILES.server_cert),
    "server_key": ("tls_key", PKI_FILES.server_key),
    "server_ec_cert": ("tls_ec_cert_chain", PKI_FILES.server_ec_cert),
    "server_ec_key": ("tls_ec_key", PKI_FILES.server_ec_key),
}


class TlsSettings(BaseModel):
    """Certificates of the TLS listeners (interface.md §1, §2.5), used by every profile-2/3
    listener that names none of its own. `dir` points at a `tourmaline certs init` directory
    and fills each path below that is not set."""

    dir: Path | None = None
    server_cert: Path | None = None
    server_key: Path | None = None
    server_ec_cert: Path | None = None
    server_ec_key: Path | None = None
    station_ca_bundle: Path | None = None

    @model_validator(mode="after")
    def _paths_from_dir(self) -> TlsSettings:
        if self.dir is not None:
            for field, (_, file_name) in _TLS_FIELDS.items():
                if getattr(self, field) is None:
                    setattr(self, field, self.dir / file_name)
            if self.station_ca_bundle is None:
                self.station_ca_bundle = self.dir / PKI_FILES.station_ca_cert
        for cert, key in (("server_cert", "server_key"), ("server_ec_cert", "server_ec_key")):
            if (getattr(self, cert) is None) != (getattr(self, key) is None):
                raise ValueError(f"tls.{cert} and tls.{key} must be set together")
        return self

    @property
    def has_server_certificate(self) -> bool:
        return self.server_cert is not None or self.server_ec_cert is not None


class SecuritySettings(BaseModel):
    """CSMS-side protection of the charger handshake (interface.md §2.4)."""

    # After this many failed Basic-auth attempts for one station within auth_failure_window
    # seconds, its next attempts are refused for auth_failure_window seconds without a password
    # check (0 turns the limit off).
    auth_failure_limit: int = Field(default=10, ge=0)
    auth_failure_window: float = Field(default=60.0, gt=0)


def tls_listeners(tls: TlsSettings) -> list[ListenerSettings]:
    """The default TLS listeners: profile 2 on 8443 when a server certificate is configured,
    profile 3 on 8444 when the station CA bundle is too (interface.md §1)."""
    if not tls.has_server_certificate:
        return []
    listeners = [ListenerSettings(id="2", port=8443, security_profile=2)]
    if tls.station_ca_bundle is not None:
        listeners.append(ListenerSettings(id="3", port=8444, security_profile=3))
    return listeners


def _with_tls_defaults(listener: ListenerSettings, tls: TlsSettings) -> ListenerSettings:
    """Fill a TLS listener's certificate paths from the `tls` group and refuse listeners that
    cannot work."""
    profile = listener.security_profile
    if profile < 2:
        if listener.has_server_certificate or listener.station_ca_bundle is not None:
            raise ValueError(
                f"listener {listener.id}: TLS files are only used by profile 2 and 3 listeners"
            )
        return listener
    update: dict[str, Path | None] = {}
    if not listener.has_server_certificate:
        update = {name: getattr(tls, field) for field, (name, _) in _TLS_FIELDS.items()}
    if profile == 3 and listener.station_ca_bundle is None:
        update["station_ca_bundle"] = tls.station_ca_bundle
    resolved = listener.model_copy(update=update)
    _check_tls_listener(resolved)
    return resolved


def _check_tls_listener(listener: ListenerSettings) -> None:
    what = f"listener {listener.id} (security profile {listener.security_profile})"
    if not listener.has_server_certificate:
        raise ValueError(
            f"{what} needs a server certificate and key: set tls.dir to a `tourmaline certs "
            "init` directory, or tls.server_cert and tls.server_key"
        )
    if listener.security_profile == 3 and listener.station_ca_bundle is None:
        raise ValueError(f"{what} needs tls.station_ca_bundle (the CA that signs stations)")
    if listener.security_profile == 2 and listener.station_ca_bundle is not None:
        raise ValueError(f"{what}: station_ca_bundle is only used by profile 3 listeners")


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
    tls: TlsSettings = Field(default_factory=TlsSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    certificates: CertificateSettings = Field(default_factory=CertificateSettings)
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

    @model_validator(mode="after")
    def _tls_for_listeners(self) -> Settings:
        # The default listener list gains 8443/8444 once certificates are configured; an
        # explicit list is taken as written (design.md §12).
        listeners = self.listeners
        if "listeners" not in self.model_fields_set:
            listeners = [*listeners, *tls_listeners(self.tls)]
        self.listeners = [_with_tls_defaults(listener, self.tls) for listener in listeners]
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
