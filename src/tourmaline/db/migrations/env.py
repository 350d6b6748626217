"""Alembic environment. `tourmaline.db.migrate` passes an open connection; the `alembic` command
line (developers, via the repository's alembic.ini) gets an async engine from the URL instead."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from tourmaline.db.base import UTCDateTime
from tourmaline.db.engine import create_engine
from tourmaline.db.models import Base
from tourmaline.settings import DatabaseSettings, load_settings

target_metadata = Base.metadata


def _render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Migrations must not import application types that may change later; the decorator only
    # converts values in Python, the column itself is a plain timezone-aware DateTime.
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    return context.config.get_main_option("sqlalchemy.url") or load_settings().database.url


async def _run_with_own_engine() -> None:
    engine = create_engine(DatabaseSettings(url=_url()))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_configure_and_run)
    finally:
        await engine.dispose()


def _run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _run() -> None:
    given: Connection | None = context.config.attributes.get("connection")
    if context.is_offline_mode():
        _run_offline()
    elif given is not None:
        _configure_and_run(given)
    else:
        asyncio.run(_run_with_own_engine())


_run()
