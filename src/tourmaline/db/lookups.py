"""WHERE clauses for reading many rows by a composite key in one statement, from an index.

A row-value IN (`(a, b) IN (VALUES (?, ?), ...)`) reads well but SQLite (3.40, Debian 12) answers
it by scanning the whole table, so a group of TransactionEvents or a batch of token lookups would
cost time in proportion to every row ever stored. An OR of equalities is answered by one index
search per key on SQLite ("MULTI-INDEX OR") and by a bitmap OR of index scans on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Boolean, ColumnElement, and_, false, literal_column, or_

__all__ = ["bare_flag", "matches_any"]


def matches_any(
    columns: Sequence[ColumnElement[Any]],
    keys: Iterable[Sequence[Any]],
    *,
    each: ColumnElement[bool] | None = None,
) -> ColumnElement[bool]:
    """Rows whose `columns` equal, in order, one of `keys` (false for no keys); `each` is a
    condition repeated in every term, where an index needs to see it beside the equalities."""
    extra = () if each is None else (each,)
    terms = [
        and_(*extra, *(column == value for column, value in zip(columns, key, strict=True)))
        for key in keys
    ]
    return or_(*terms) if terms else false()


def bare_flag(table_name: str, column_name: str) -> ColumnElement[bool]:
    """A boolean column written as itself (`t.flag`, not `t.flag = 1` as SQLAlchemy renders a
    Boolean on SQLite), so that SQLite can use a partial index declared `WHERE flag`: it only
    does when the query repeats the index's condition term for term."""
    return literal_column(f"{table_name}.{column_name}", Boolean)
