"""ID tokens an operator issued and their authorization data (interface.md §8.2, §10.2).

One row per token: idToken + type is unique, compared case-insensitively (OCPP 2.0.1 Part 2
IdTokenType: "IdToken is case insensitive") through `token_key`. The IdTokenInfo fields are
columns so the Authorize answer needs one indexed read; nested OCPP structures (additionalInfo,
groupIdToken, personalMessage) are kept in wire form.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from tourmaline.db.base import Base, TimestampsMixin, UTCDateTime

__all__ = ["ID_TOKEN_LENGTH", "TOKEN_KEY_LENGTH", "TOKEN_TYPE_LENGTH", "Authorization"]

# OCPP 2.0.1 IdTokenType.idToken is identifierString(36).
ID_TOKEN_LENGTH = 36
# Case folding may lengthen a text (at most threefold per character).
TOKEN_KEY_LENGTH = 3 * ID_TOKEN_LENGTH
TOKEN_TYPE_LENGTH = 20


class Authorization(TimestampsMixin, Base):
    __tablename__ = "authorizations"
    __table_args__ = (UniqueConstraint("token_key", "type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id_token: Mapped[str] = mapped_column(String(ID_TOKEN_LENGTH))
    token_key: Mapped[str] = mapped_column(String(TOKEN_KEY_LENGTH))
    type: Mapped[str] = mapped_column(String(TOKEN_TYPE_LENGTH))
    additional_info: Mapped[list[Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    cache_expiry_date_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    charging_priority: Mapped[int | None] = mapped_column(Integer)
    language1: Mapped[str | None] = mapped_column(String(8))
    language2: Mapped[str | None] = mapped_column(String(8))
    group_id_token: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    personal_message: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Restrictions (PUT /data/evdriver/authorizationRestrictions); NULL = no restriction.
    allowed_connector_types: Mapped[list[Any] | None] = mapped_column(JSON)
    disallowed_evse_id_prefixes: Mapped[list[Any] | None] = mapped_column(JSON)
    # Whether the token may hold several transactions at once (ConcurrentTx otherwise).
    concurrent_transaction: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
