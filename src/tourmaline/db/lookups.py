"""WHERE clauses for reading many rows by a composite key in one statement, from an index.

A row-value IN (`(a, b) IN (VALUES (?, ?), ...)`) reads well but SQLite (3.40, Debian 12) answers
it by scanning the whole table, so a group of TransactionEvents or a batch of token lookups would
cost time in proportion to every row ever stored. An OR of equalities is answered by one index
search per key on SQLite ("MULTI-INDEX OR") and by a bitmap OR of index scans on PostgreSQL.

Building such a clause costs more than running it (about 1 ms for 28 keys), so each is built
once per number of key slots, a power of two: the keys fill the slots and the last key repeats
in the ones left over, which matches no row twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Boolean, ColumnElement, and_, bindparam, literal_column, or_

__all__ = ["KeyLookup", "bare_flag"]


@dataclass(frozen=True, eq=False)  # compared and cached by identity: columns overload ==
class KeyLookup:
    """Rows whose `columns` equal, in order, one of several keys; `each` is a condition
    repeated in every term, where an index needs to see it beside the equalities. `name`
    prefixes the bound parameters, unique within a statement. Meant as module constants."""

    name: str
    columns: tuple[ColumnElement[Any], ...]
    each: ColumnElement[bool] | None = None

    @staticmethod
    def slots(count: int) -> int:
        """The size of the clause that holds `count` keys (at least one)."""
        return 1 << max(count - 1, 0).bit_length()

    def clause(self, slots: int) -> ColumnElement[bool]:
        """The OR of `slots` terms, to execute with `params` of as many keys or fewer."""
        return _clause(self, slots)

    def params(self, keys: Sequence[Sequence[Any]]) -> dict[str, Any]:
        """Values for `clause(slots(len(keys)))`; `keys` must not be empty."""
        filled = [*keys, *[keys[-1]] * (self.slots(len(keys)) - len(keys))]
        return {
            self._param(slot, position): value
            for slot, key in enumerate(filled)
            for position, value in enumerate(key)
        }

    def matching(self, keys: Sequence[Sequence[Any]]) -> tuple[ColumnElement[bool], dict[str, Any]]:
        """The clause for `keys` (not empty) and the parameters to execute it with."""
        return self.clause(self.slots(len(keys))), self.params(keys)

    def _param(self, slot: int, position: int) -> str:
        return f"{self.name}_{slot}_{position}"


@cache
def _clause(lookup: KeyLookup, slots: int) -> ColumnElement[bool]:
    extra = () if lookup.each is None else (lookup.each,)
    terms = [
        and_(
            *extra,
            *(
                column == bindparam(lookup._param(slot, position), type_=column.type)
                for position, column in enumerate(lookup.columns)
            ),
        )
        for slot in range(slots)
    ]
    return or_(*terms)


def bare_flag(table_name: str, column_name: str) -> ColumnElement[bool]:
    """A boolean column written as itself (`t.flag`, not `t.flag = 1` as SQLAlchemy renders a
    Boolean on SQLite), so that SQLite can use a partial index declared `WHERE flag`: it only
    does when the query repeats the index's condition term for term."""
    return literal_column(f"{table_name}.{column_name}", Boolean)
