"""The operator's ID tokens: create/replace, read, list, delete, restrictions (interface.md §8.2
`/data/evdriver/authorization*`). The verdict on a presented token is services/authorization.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.clock import Clock
from tourmaline.db.models import Authorization
from tourmaline.services.stations import dialect_insert
from tourmaline.services.token_format import token_key
from tourmaline.services.token_models import (
    AuthorizationView,
    AuthorizationWrite,
    RestrictionsWrite,
)

__all__ = ["TokenFilters", "TokenStore"]


@dataclass(frozen=True, slots=True)
class TokenFilters:
    id_token: str | None = None
    type: str | None = None
    status: str | None = None
    search: str | None = None
    limit: int = 100
    offset: int = 0


def _one(id_token: str, token_type: str) -> Select[Authorization]:
    return select(Authorization).where(
        Authorization.token_key == token_key(id_token), Authorization.type == token_type
    )


def _listed(filters: TokenFilters) -> Select[Authorization]:
    stmt = select(Authorization).order_by(Authorization.id)
    if filters.id_token is not None:
        stmt = stmt.where(Authorization.token_key == token_key(filters.id_token))
    if filters.type is not None:
        stmt = stmt.where(Authorization.type == filters.type)
    if filters.status is not None:
        stmt = stmt.where(Authorization.status == filters.status)
    if filters.search:
        # A literal substring: LIKE wildcards in the search text match themselves.
        pattern = filters.search.casefold().replace("\\", "\\\\").replace("%", "\\%")
        pattern = pattern.replace("_", "\\_")
        stmt = stmt.where(Authorization.token_key.like(f"%{pattern}%", escape="\\"))
    return stmt.offset(filters.offset).limit(filters.limit)


class TokenStore:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock

    async def put(self, write: AuthorizationWrite) -> AuthorizationView:
        """Create the token or replace its authorization data; restrictions are kept."""
        token = write.id_token
        now = self._clock.now()
        async with self._sessionmaker.begin() as session:
            row = await self._row_for(session, token.id_token, token.type.value, now)
            info = write.id_token_info
            row.id_token = token.id_token
            row.additional_info = token.wire().get("additionalInfo")
            row.status = info.status.value
            row.cache_expiry_date_time = info.cache_expiry_date_time
            row.charging_priority = info.charging_priority
            row.language1 = info.language1
            row.language2 = info.language2
            row.group_id_token = info.group_id_token.wire() if info.group_id_token else None
            row.personal_message = (
                info.personal_message.model_dump(by_alias=True, exclude_none=True, mode="json")
                if info.personal_message
                else None
            )
            if write.concurrent_transaction is not None:
                row.concurrent_transaction = write.concurrent_transaction
            row.updated_at = now
            await session.flush()
            return AuthorizationView.of(row)

    async def _row_for(
        self, session: AsyncSession, id_token: str, token_type: str, now: datetime
    ) -> Authorization:
        """The token's row, inserted first if missing without racing a concurrent PUT."""
        insert = dialect_insert(session, Authorization).values(
            id_token=id_token,
            token_key=token_key(id_token),
            type=token_type,
            status="Accepted",
            concurrent_transaction=False,
            created_at=now,
            updated_at=now,
        )
        await session.execute(insert.on_conflict_do_nothing(index_elements=["token_key", "type"]))
        row = await session.scalar(
            _one(id_token, token_type).execution_options(populate_existing=True)
        )
        assert row is not None
        return row

    async def get(self, id_token: str, token_type: str) -> AuthorizationView | None:
        async with self._sessionmaker() as session:
            row = await session.scalar(_one(id_token, token_type))
            return None if row is None else AuthorizationView.of(row)

    async def find(self, filters: TokenFilters) -> list[AuthorizationView]:
        async with self._sessionmaker() as session:
            return [AuthorizationView.of(row) for row in await session.scalars(_listed(filters))]

    async def delete(self, id_token: str, token_type: str) -> AuthorizationView | None:
        async with self._sessionmaker.begin() as session:
            row = await session.scalar(_one(id_token, token_type))
            if row is None:
                return None
            view = AuthorizationView.of(row)
            await session.execute(delete(Authorization).where(Authorization.id == row.id))
            return view

    async def put_restrictions(
        self, id_token: str, token_type: str, write: RestrictionsWrite
    ) -> AuthorizationView | None:
        async with self._sessionmaker.begin() as session:
            row = await session.scalar(_one(id_token, token_type))
            if row is None:
                return None
            row.allowed_connector_types = write.allowed_connector_types
            row.disallowed_evse_id_prefixes = write.disallowed_evse_id_prefixes
            row.updated_at = self._clock.now()
            await session.flush()
            return AuthorizationView.of(row)
