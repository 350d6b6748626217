"""Case-insensitive "contains" search over text columns, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, or_

__all__ = ["contains_any"]

_ESCAPE = "\\"


def _escape_like(text: str) -> str:
    # The user's text is matched literally: % and _ are not wildcards here.
    for special in (_ESCAPE, "%", "_"):
        text = text.replace(special, _ESCAPE + special)
    return text


def contains_any(columns: tuple[Any, ...], text: str) -> ColumnElement[bool]:
    """True for rows where any of `columns` contains `text`, ignoring case."""
    pattern = f"%{_escape_like(text.lower())}%"
    return or_(*(func.lower(column).like(pattern, escape=_ESCAPE) for column in columns))
