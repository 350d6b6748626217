"""`tourmaline certs`: the local PKI from a terminal (issue 5; README "Security profiles")."""

from __future__ import annotations

import enum
import socket
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["certs_app"]

certs_app = typer.Typer(
    no_args_is_help=True,
    help="Local PKI: root CA, CSMS server certificates, station certificates.",
)

DirOption = Annotated[Path, typer.Option("--dir", help="PKI directory (what tls.dir points at).")]
DEFAULT_DIR = Path("pki")


class KeyTypeChoice(enum.StrEnum):
    ec = "ec"
    rsa = "rsa"


def _default_server_names() -> list[str]:
    names = [socket.getfqdn(), "localhost", "127.0.0.1"]
    return list(dict.fromkeys(name for name in names if name))


@certs_app.command("init")
def certs_init(
    directory: DirOption = DEFAULT_DIR,
    server_name: Annotated[
        list[str] | None,
        typer.Option(
            "--server-name",
            help="Host name or IP address stations use for the CSMS (repeatable; the first is "
            "the certificate CN). Default: this machine's FQDN, localhost, 127.0.0.1.",
        ),
    ] = None,
    organization: Annotated[str, typer.Option(help="Organization (O) in every subject.")] = (
        "Tourmaline"
    ),
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace an existing PKI (every station must then get new certificates).",
        ),
    ] = False,
) -> None:
    """Create a root CA, the CSMS server certificates (RSA and EC) and a station-signing CA."""
    from tourmaline.services.pki import PkiExistsError, init_pki
    from tourmaline.settings import PKI_FILES

    names = server_name or _default_server_names()
    try:
        pki = init_pki(directory, names, organization=organization, force=force)
    except (PkiExistsError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    where = pki.path.resolve()
    typer.echo(f"PKI written to {where} (server names: {', '.join(names)})")
    typer.echo(f"  CSMS root certificate, install on stations: {where / PKI_FILES.root_cert}")
    typer.echo(f"  station CA (signs station certificates):    {where / PKI_FILES.station_ca_cert}")
    typer.echo("Enable wss:// on 8443 (profile 2) and 8444 (profile 3) with either of:")
    typer.echo(f"  export TOURMALINE_TLS__DIR={where}")
    typer.echo(f'  tourmaline.toml:  [tls]  dir = "{where}"')


@certs_app.command("issue-station")
def certs_issue_station(
    station_id: str,
    directory: DirOption = DEFAULT_DIR,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output directory [<dir>/stations].")
    ] = None,
    days: Annotated[int, typer.Option(min=1, help="Validity in days.")] = 365,
    key_type: Annotated[KeyTypeChoice, typer.Option("--key-type")] = KeyTypeChoice.ec,
    force: Annotated[bool, typer.Option("--force", help="Replace existing files.")] = False,
) -> None:
    """Issue a client certificate (subject CN = the station id) for a lab or test charger."""
    from tourmaline.services.pki import LocalCertificateAuthority, write_station_files
    from tourmaline.settings import PKI_FILES

    if not (directory / PKI_FILES.station_ca_key).is_file():
        typer.echo(
            f"error: no station CA in {directory}; run `tourmaline certs init` first", err=True
        )
        raise typer.Exit(2)
    target = out or directory / PKI_FILES.stations_dir
    existing = [target / f"{station_id}.{ext}" for ext in ("pem", "key")]
    if not force and any(path.exists() for path in existing):
        typer.echo(f"error: {existing[0]} exists; --force replaces it", err=True)
        raise typer.Exit(2)
    try:
        authority = LocalCertificateAuthority.load(directory, days=days)
        issued = authority.issue_station(station_id, key_type=key_type.value)
        certificate, key = write_station_files(issued, target, station_id)
    except (OSError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"certificate chain: {certificate.resolve()}")
    typer.echo(f"private key:       {key.resolve()}")
    typer.echo(
        f"Profile 3: connect to wss://<host>:8444/{station_id} with this certificate and key, "
        f"trusting {(directory / PKI_FILES.root_cert).resolve()}"
    )
