"""Time filters in query strings (`from`, `to`): zoned RFC 3339, strictly (interface.md §0)."""

from __future__ import annotations

from datetime import UTC, datetime

from tourmaline.api.errors import ValidationFailed

__all__ = ["RFC3339_HELP", "parse_instant"]

RFC3339_HELP = "RFC 3339 date-time with a zone, e.g. 2025-03-01T12:00:00Z"


def parse_instant(name: str, value: str | None) -> datetime | None:
    """The instant in UTC; a 400 naming `query.<name>` when it is not a zoned date-time."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None or "T" not in value.upper():
        failure = {
            "path": f"query.{name}",
            "message": f"Expected {RFC3339_HELP}",
            "type": "datetime",
        }
        raise ValidationFailed([failure])
    return parsed.astimezone(UTC)
