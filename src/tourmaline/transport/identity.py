"""The station identity taken from the WebSocket request target (interface.md §2.1)."""

from __future__ import annotations

from urllib.parse import unquote

__all__ = [
    "MAX_STATION_ID_LENGTH",
    "InvalidStationId",
    "check_station_id",
    "station_id_from_path",
]

# OCPP-J Part 4 §3.1.1: a charging station identity is at most 48 characters.
MAX_STATION_ID_LENGTH = 48


class InvalidStationId(ValueError):
    """The request target does not name a usable station identity (HTTP 400)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def station_id_from_path(path: str) -> str:
    """The last path segment, query removed, percent-decoded; any prefix path is allowed."""
    target = path.split("?", 1)[0].split("#", 1)[0]
    raw = target.rsplit("/", 1)[-1]
    try:
        decoded = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise InvalidStationId("station id is not valid UTF-8 after percent-decoding") from None
    _check(decoded)
    return decoded


def check_station_id(station_id: str) -> str:
    """`station_id` itself when a station could connect with it; raises InvalidStationId."""
    _check(station_id)
    return station_id


def _check(station_id: str) -> None:
    if not station_id:
        raise InvalidStationId("station id is missing from the path")
    if len(station_id) > MAX_STATION_ID_LENGTH:
        raise InvalidStationId(f"station id is longer than {MAX_STATION_ID_LENGTH} characters")
    # ':' would break the "<tenantId>:<stationId>" names of interface.md §0; '/' a path segment.
    if ":" in station_id or "/" in station_id:
        raise InvalidStationId("station id must not contain ':' or '/'")
    if any(_is_control(char) for char in station_id):
        raise InvalidStationId("station id must not contain control characters")


def _is_control(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code < 0xA0
