"""TLS for the profile-2 and profile-3 listeners (interface.md §2.2 step 0, §2.5; ocpp-rules.md
§4.2; OCPP 2.0.1 A00).

* TLS 1.2 is the minimum (TC_A_06); TLS 1.3 suites keep OpenSSL's defaults.
* The TLS 1.2 list is explicit: OpenSSL 3 leaves the two static-RSA GCM suites out of Python's
  defaults, and OCPP requires all four of TLS_ECDHE_ECDSA_WITH_AES_{128,256}_GCM_* and
  TLS_RSA_WITH_AES_{128,256}_GCM_* (TC_A_04). The ECDSA suites need an EC certificate and the
  RSA ones an RSA certificate, so both are loaded into one context.
* Security level 2 makes OpenSSL refuse the keys A00 forbids (RSA below 2048 bits, EC below
  224) on client certificates too; server certificates are checked at load with a clear error.
* Profile 3 requires a client certificate that chains to the station CA bundle; every
  certificate in the bundle is a trust anchor (partial chains allowed), so a bundle holding only
  the station-signing sub-CA trusts exactly what that sub-CA issued.

Reload (design.md §6, SIGHUP): asyncio creates each connection's SSL object from the context
the server was started with, so that context stays; its SNI callback, which OpenSSL runs for
every ClientHello (with or without a server name), moves the new handshake onto the most
recently loaded context. Sockets already open keep the certificates they were made with.

Failed handshakes never reach the WebSocket layer (asyncio drops them); the SSL object class
installed here reports each one, classified as an OCPP security event type, to a sink.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from tourmaline.metrics import TLS_HANDSHAKE_FAILURES
from tourmaline.ocpp.key_strength import key_strength_problem
from tourmaline.ocpp.security_events import (
    CSMS_FAILED_TO_AUTHENTICATE,
    INVALID_CHARGING_STATION_CERTIFICATE,
    INVALID_MESSAGES,
    INVALID_TLS_CIPHER_SUITE,
    INVALID_TLS_VERSION,
)
from tourmaline.settings import ListenerSettings

__all__ = [
    "OCPP_TLS12_CIPHERS",
    "ListenerTls",
    "TlsConfigurationError",
    "TlsFailureSink",
    "TlsFiles",
    "build_context",
    "classify_handshake_failure",
]

log = structlog.get_logger(__name__)

OCPP_TLS12_CIPHERS = ":".join(
    [
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "AES128-GCM-SHA256",
        "AES256-GCM-SHA384",
        "@SECLEVEL=2",
    ]
)

TlsFailureSink = Callable[[str, str], None]
"""sink(OCPP security event type, techInfo) for a refused TLS handshake; must not block."""

_PEER_GONE = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)
_VERSION_REASONS = {"UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION", "WRONG_SSL_VERSION"}
_CIPHER_REASONS = {"NO_SHARED_CIPHER", "NO_CIPHERS_AVAILABLE", "NO_SHARED_SIGNATURE_ALGORITHMS"}


class TlsConfigurationError(Exception):
    """A certificate, key or CA bundle of a TLS listener cannot be used; says which and why."""


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """The PEM files of one TLS listener."""

    listener_id: str
    certificates: tuple[tuple[Path, Path], ...]
    station_ca_bundle: Path | None = None

    @classmethod
    def of(cls, listener: ListenerSettings) -> TlsFiles:
        pairs = (
            (listener.tls_cert_chain, listener.tls_key),
            (listener.tls_ec_cert_chain, listener.tls_ec_key),
        )
        certificates = tuple((c, k) for c, k in pairs if c is not None and k is not None)
        ca = listener.station_ca_bundle if listener.security_profile == 3 else None
        return cls(listener.id, certificates, ca)


def build_context(files: TlsFiles) -> ssl.SSLContext:
    """A complete server context for `files`; raises TlsConfigurationError."""
    if not files.certificates:
        raise TlsConfigurationError(f"listener {files.listener_id}: no server certificate")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(OCPP_TLS12_CIPHERS)
    context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE | ssl.OP_NO_RENEGOTIATION
    _load_server_certificates(context, files)
    if files.station_ca_bundle is not None:
        _require_client_certificates(context, files.listener_id, files.station_ca_bundle)
    return context


def _load_server_certificates(context: ssl.SSLContext, files: TlsFiles) -> None:
    key_types = set()
    for certificate, key in files.certificates:
        key_types.add(_checked_key_type(files.listener_id, certificate))
        try:
            context.load_cert_chain(certificate, key)
        except (OSError, ssl.SSLError) as error:
            raise TlsConfigurationError(
                f"listener {files.listener_id}: cannot use {certificate} with key {key}: {error}"
            ) from error
    if len(key_types) < len(files.certificates):
        raise TlsConfigurationError(
            f"listener {files.listener_id}: the two server certificates must have different key "
            "types (one RSA, one EC)"
        )
    if len(key_types) == 1:
        log.warning(
            "only one server key type: half of the OCPP TLS 1.2 cipher suites are unavailable",
            listener=files.listener_id,
            key_type=key_types.pop(),
        )


def _checked_key_type(listener_id: str, path: Path) -> str:
    try:
        certificate = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError) as error:
        raise TlsConfigurationError(
            f"listener {listener_id}: cannot read a PEM certificate from {path}: {error}"
        ) from error
    public_key = certificate.public_key()
    problem = key_strength_problem(public_key)
    if problem is not None:
        raise TlsConfigurationError(f"listener {listener_id}: {path}: {problem}")
    if certificate.not_valid_after_utc < datetime.now(UTC):
        log.warning("server certificate has expired", listener=listener_id, path=str(path))
    return "RSA" if isinstance(public_key, rsa.RSAPublicKey) else "EC"


def _require_client_certificates(context: ssl.SSLContext, listener_id: str, bundle: Path) -> None:
    context.verify_mode = ssl.CERT_REQUIRED
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    # No session tickets: a resumed session skips certificate verification, so a station could
    # keep connecting with a certificate that has expired or that a reloaded bundle no longer
    # trusts. TLS 1.3 resumes only with tickets; TLS 1.2 session-id resumption cannot be turned
    # off from Python and stays bounded by OpenSSL's 300-second session lifetime.
    context.num_tickets = 0
    context.options |= ssl.OP_NO_TICKET
    try:
        context.load_verify_locations(cafile=bundle)
    except (OSError, ssl.SSLError) as error:
        raise TlsConfigurationError(
            f"listener {listener_id}: cannot read the station CA bundle {bundle}: {error}"
        ) from error
    if not context.get_ca_certs():
        raise TlsConfigurationError(f"listener {listener_id}: {bundle} holds no CA certificate")


def classify_handshake_failure(error: ssl.SSLError) -> tuple[str, str] | None:
    """(OCPP security event type, description) of a failed server handshake; None when the peer
    simply went away (nothing to report)."""
    if isinstance(error, _PEER_GONE):
        return None
    reason = error.reason or type(error).__name__
    if isinstance(error, ssl.SSLCertVerificationError):
        return INVALID_CHARGING_STATION_CERTIFICATE, f"client certificate: {error.verify_message}"
    if reason == "PEER_DID_NOT_RETURN_A_CERTIFICATE":
        return INVALID_CHARGING_STATION_CERTIFICATE, "no client certificate"
    if reason in _VERSION_REASONS:
        return INVALID_TLS_VERSION, f"TLS version below 1.2 ({reason})"
    if reason in _CIPHER_REASONS:
        return INVALID_TLS_CIPHER_SUITE, f"no OCPP cipher suite in common ({reason})"
    if "ALERT" in reason and ("CERTIFICATE" in reason or "UNKNOWN_CA" in reason):
        return CSMS_FAILED_TO_AUTHENTICATE, f"station refused the CSMS certificate ({reason})"
    return INVALID_MESSAGES, f"TLS handshake failed ({reason})"


class ListenerTls:
    """The SSL context of one TLS listener, its reload, and its handshake-failure reports."""

    def __init__(self, files: TlsFiles, on_failure: TlsFailureSink | None = None) -> None:
        self.files = files
        self._on_failure = on_failure
        self._current: ssl.SSLContext | None = None

    def load(self) -> ssl.SSLContext:
        """The context to start the server with (raises TlsConfigurationError)."""
        context = build_context(self.files)
        context.sslobject_class = _reporting_ssl_object(self._handshake_failed)
        context.sni_callback = self._use_current
        self._current = context
        return context

    def prepare(self) -> ssl.SSLContext:
        """A context from the files as they are now; `use` it to serve new handshakes."""
        return build_context(self.files)

    def use(self, context: ssl.SSLContext) -> None:
        self._current = context

    def _use_current(
        self, ssl_object: ssl.SSLObject, server_name: str | None, context: ssl.SSLContext
    ) -> None:
        current = self._current
        if current is not None and current is not context:
            ssl_object.context = current

    def _handshake_failed(self, error: ssl.SSLError) -> None:
        verdict = classify_handshake_failure(error)
        if verdict is None:
            return
        event_type, description = verdict
        TLS_HANDSHAKE_FAILURES.labels(listener=self.files.listener_id, type=event_type).inc()
        log.info(
            "TLS handshake refused",
            listener=self.files.listener_id,
            event_type=event_type,
            detail=description,
        )
        if self._on_failure is not None:
            self._on_failure(event_type, f"listener {self.files.listener_id}: {description}")


def _reporting_ssl_object(report: Callable[[ssl.SSLError], None]) -> type[ssl.SSLObject]:
    class ReportingSSLObject(ssl.SSLObject):
        """An SSLObject that tells `report` why its handshake failed."""

        def do_handshake(self) -> None:
            try:
                super().do_handshake()
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                raise
            except ssl.SSLError as error:
                _report_safely(report, error)
                raise

    return ReportingSSLObject


def _report_safely(report: Callable[[ssl.SSLError], None], error: ssl.SSLError) -> None:
    # A failing report must not change how the handshake ends.
    try:
        report(error)
    except Exception:
        log.exception("reporting a TLS handshake failure failed")
