"""Every Prometheus metric of Tourmaline, prefixed `tourmaline_` (design.md §2).

A flat module of metric objects on prometheus_client's default registry, served at `/metrics`.
Helpers add their metrics here instead of creating them next to the code that counts.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

__all__ = [
    "AUTH_FAILURES",
    "AUTH_LOCKOUTS",
    "BOOT_NOTIFICATIONS",
    "CONNECTED_STATIONS",
    "LIVE_EVENTS_DROPPED",
    "MESSAGE_LOG_DROPPED",
    "MESSAGE_LOG_WRITTEN",
    "SECURITY_EVENTS",
    "STATION_REPLACEMENTS",
    "TIMESTAMPS_WITHOUT_ZONE",
    "TLS_HANDSHAKE_FAILURES",
    "TRANSACTION_EVENTS",
    "WRITER_FLUSH_FAILURES",
]

AUTH_FAILURES = Counter(
    "tourmaline_auth_failures",
    "Charger WebSocket handshakes refused by the authenticator (interface.md §2.2 steps 2-5).",
    ["reason"],
)

BOOT_NOTIFICATIONS = Counter(
    "tourmaline_boot_notifications",
    "BootNotification requests answered, by the registration status given (interface.md §4.2).",
    ["status"],
)

CONNECTED_STATIONS = Gauge(
    "tourmaline_connected_stations",
    "Station WebSocket connections registered on this instance (design.md §4 step 2).",
)

STATION_REPLACEMENTS = Counter(
    "tourmaline_station_replacements",
    "Live station connections replaced by a newer one for the same id (interface.md §2.6).",
)

MESSAGE_LOG_WRITTEN = Counter(
    "tourmaline_message_log_written",
    "Frames committed to the message log by the batched writer (design.md §1.6).",
)

MESSAGE_LOG_DROPPED = Counter(
    "tourmaline_message_log_dropped",
    "Message-log frames discarded: buffer_full while the database is unreachable, or rejected "
    "when the database refused the batch for good.",
    ["reason"],
)

WRITER_FLUSH_FAILURES = Counter(
    "tourmaline_writer_flush_failures",
    "Batched-writer flushes that failed; their work is retried at the next flush.",
)

TIMESTAMPS_WITHOUT_ZONE = Counter(
    "tourmaline_timestamps_without_zone",
    "Station date-times without a UTC offset, accepted as UTC (ocpp-rules.md §3.1).",
)

AUTH_LOCKOUTS = Counter(
    "tourmaline_auth_lockouts",
    "Stations whose failed Basic-auth attempts reached security.auth_failure_limit; their next "
    "attempts are refused without a password check for security.auth_failure_window seconds.",
)

SECURITY_EVENTS = Counter(
    "tourmaline_security_events",
    "CSMS-side security events by OCPP type; outcome 'suppressed' counts repeats folded into "
    "the next reported event of the same kind.",
    ["type", "outcome"],
)

TLS_HANDSHAKE_FAILURES = Counter(
    "tourmaline_tls_handshake_failures",
    "TLS handshakes refused on a profile-2/3 listener, by OCPP security event type "
    "(interface.md §2.5).",
    ["listener", "type"],
)

LIVE_EVENTS_DROPPED = Counter(
    "tourmaline_live_events_dropped",
    "Console live events discarded: slow_subscriber (a browser fell behind), outbox_full or "
    "broker_error (not forwarded to the other instances).",
    ["reason"],
)

TRANSACTION_EVENTS = Counter(
    "tourmaline_transaction_events",
    "TransactionEvents answered (repeats included), by eventType (interface.md §10.1).",
    ["event_type"],
)
