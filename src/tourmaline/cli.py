"""The `tourmaline` command: serve, db, station, config, certs."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from tourmaline.cli_certs import certs_app
from tourmaline.logging import configure_logging
from tourmaline.settings import LogSettings, Settings, load_settings

__all__ = ["app"]

T = TypeVar("T")

app = typer.Typer(no_args_is_help=True, help="Tourmaline, an OCPP 2.0.1 CSMS.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema migrations.")
station_app = typer.Typer(no_args_is_help=True, help="Charging-station records and passwords.")
config_app = typer.Typer(no_args_is_help=True, help="Effective configuration.")
sim_app = typer.Typer(no_args_is_help=True, help="Simulated charging stations (loopback only).")
app.add_typer(db_app, name="db")
app.add_typer(station_app, name="station")
app.add_typer(config_app, name="config")
app.add_typer(sim_app, name="sim")
app.add_typer(certs_app, name="certs")

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="TOML settings file (default tourmaline.toml)."),
]
DatabaseOption = Annotated[
    str | None, typer.Option("--database-url", help="SQLAlchemy URL; default a SQLite file here.")
]


def _settings(config: Path | None, database_url: str | None = None) -> Settings:
    # Terminal commands print their own results; library chatter stays below WARNING.
    configure_logging(LogSettings(level="WARNING"))
    if config is not None:
        if not config.is_file():
            raise typer.BadParameter(f"no such file: {config}", param_hint="--config")
        os.environ["TOURMALINE_CONFIG"] = str(config)
    settings = load_settings()
    if database_url:
        settings.database = settings.database.model_copy(update={"url": database_url})
    return settings


def run_event_loop(main: Coroutine[Any, Any, None]) -> None:
    """uvloop when it is installed (it comes with uvicorn[standard]): a faster event loop for
    thousands of sockets; the standard loop otherwise."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


def _run(factory: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(factory())  # type: ignore[arg-type]


@app.command()
def serve(
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    host: Annotated[str | None, typer.Option(help="Bind address for every port.")] = None,
    api_port: Annotated[int | None, typer.Option(help="REST API port [8080].")] = None,
    ws_port: Annotated[int | None, typer.Option(help="Profile-0 WebSocket port [8081].")] = None,
    auth_port: Annotated[int | None, typer.Option(help="Profile-1 WebSocket port [8082].")] = None,
    tls_port: Annotated[
        int | None, typer.Option(help="Profile-2 (TLS) WebSocket port [8443], with certificates.")
    ] = None,
    mtls_port: Annotated[
        int | None, typer.Option(help="Profile-3 (mutual TLS) WebSocket port [8444].")
    ] = None,
    log_level: Annotated[str | None, typer.Option(help="DEBUG, INFO, WARNING…")] = None,
    log_format: Annotated[str | None, typer.Option(help="console or json")] = None,
    instance_id: Annotated[str | None, typer.Option(help="Name of this instance.")] = None,
) -> None:
    """Start the REST API and every configured WebSocket listener in one process."""
    from tourmaline.runtime import serve_forever
    from tourmaline.transport.tls import TlsConfigurationError

    settings = _settings(config, database_url)
    settings = _apply_serve_options(
        settings,
        host,
        api_port,
        {"0": ws_port, "1": auth_port, "2": tls_port, "3": mtls_port},
        log_level,
        log_format,
        instance_id,
    )
    try:
        run_event_loop(serve_forever(settings))
    except TlsConfigurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _apply_serve_options(
    settings: Settings,
    host: str | None,
    api_port: int | None,
    listener_ports: dict[str, int | None],
    log_level: str | None,
    log_format: str | None,
    instance_id: str | None,
) -> Settings:
    api: dict[str, Any] = {"host": host, "port": api_port}
    settings.api = settings.api.model_copy(update={k: v for k, v in api.items() if v is not None})
    listeners = []
    for listener in settings.listeners:
        update: dict[str, Any] = {"host": host, "port": listener_ports.get(listener.id)}
        listeners.append(listener.model_copy(update={k: v for k, v in update.items() if v}))
    settings.listeners = listeners
    log: dict[str, Any] = {"level": log_level, "format": log_format}
    settings.log = settings.log.model_copy(update={k: v for k, v in log.items() if v})
    if instance_id:
        settings.instance_id = instance_id
    return Settings.model_validate(settings.model_dump())


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None, database_url: DatabaseOption = None) -> None:
    """Apply every migration up to the newest schema."""
    from tourmaline.db.migrate import upgrade_to_head

    settings = _settings(config, database_url)
    _run(lambda: upgrade_to_head(settings.database.url))
    typer.echo("database is at the newest schema")


@db_app.command("current")
def db_current(config: ConfigOption = None, database_url: DatabaseOption = None) -> None:
    """Print the schema revision of the database."""
    from tourmaline.db.migrate import current_revision

    settings = _settings(config, database_url)
    typer.echo(_run(lambda: current_revision(settings.database.url)) or "(empty database)")


@station_app.command("add")
def station_add(
    station_id: str,
    password: Annotated[
        str | None, typer.Option(help="Basic-auth password (16-40 chars of OCPP passwordString).")
    ] = None,
    generate_password: Annotated[
        bool, typer.Option("--generate-password", help="Create a random 40-character password.")
    ] = False,
    min_security_profile: Annotated[int, typer.Option(min=0, max=3)] = 0,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Create (or update) a charging-station record, optionally with its password."""
    from tourmaline.admin import add_station

    if password and generate_password:
        raise typer.BadParameter("give --password or --generate-password, not both")
    settings = _settings(config, database_url)
    try:
        shown = _run(
            lambda: add_station(
                settings, station_id, password, generate_password, min_security_profile
            )
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"station {station_id} saved")
    if shown:
        typer.echo(f"password (shown once): {shown}")


@station_app.command("set-password")
def station_set_password(
    station_id: str,
    password: Annotated[str | None, typer.Option(help="Omit to generate one.")] = None,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Replace a station's Basic-auth password (the charger must already have it)."""
    from tourmaline.admin import set_station_password

    settings = _settings(config, database_url)
    try:
        shown = _run(lambda: set_station_password(settings, station_id, password))
    except (ValueError, LookupError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"password of {station_id} replaced")
    if shown:
        typer.echo(f"password (shown once): {shown}")


@station_app.command("list")
def station_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """List the known charging stations."""
    from tourmaline.admin import list_stations

    settings = _settings(config, database_url)
    rows = _run(lambda: list_stations(settings))
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    typer.echo(f"{'ID':<30} {'ONLINE':<7} {'STATUS':<9} {'VENDOR':<16} MODEL")
    for row in rows:
        typer.echo(
            f"{row['id']:<30} {'yes' if row['isOnline'] else 'no':<7} "
            f"{row['registrationStatus'] or '-':<9} {row['chargePointVendor'] or '-':<16} "
            f"{row['chargePointModel'] or '-'}"
        )


@station_app.command("remove")
def station_remove(
    station_id: str, config: ConfigOption = None, database_url: DatabaseOption = None
) -> None:
    """Delete a station with its boot record, password and device model."""
    from tourmaline.admin import remove_station

    settings = _settings(config, database_url)
    if not _run(lambda: remove_station(settings, station_id)):
        typer.echo(f"error: no station {station_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"station {station_id} removed")


@config_app.command("show")
def config_show(
    redact: Annotated[bool, typer.Option("--redact/--no-redact")] = True,
    config: ConfigOption = None,
) -> None:
    """Print the effective settings as JSON."""
    settings = _settings(config)
    data = settings.model_dump(mode="json")
    if redact:
        data["database"]["url"] = _redact_url(data["database"]["url"])
        data["broker"]["url"] = _redact_url(data["broker"]["url"])
    typer.echo(json.dumps(data, indent=2))


def _redact_url(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


@sim_app.command(
    "load",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def sim_load(ctx: typer.Context) -> None:
    """N simulated stations boot and send Heartbeats (`tourmaline sim load --help`)."""
    from tourmaline.sim.load import main

    raise typer.Exit(main(ctx.args))
