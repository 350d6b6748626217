"""The packaged Alembic migrations against real databases: SQLite always, PostgreSQL when
TOURMALINE_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Connection, Integer, MetaData, inspect, text

from tourmaline.db.engine import create_engine
from tourmaline.db.migrate import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    downgrade_to,
    head_revision,
    is_at_head,
    is_empty,
    upgrade_to_head,
)
from tourmaline.db.models import Base
from tourmaline.settings import DatabaseSettings

APP_TABLES = {
    "boots",
    "certificate_operations",
    "certificate_signing_requests",
    "charging_stations",
    "connectors",
    "device_attribute_statuses",
    "device_components",
    "device_variable_attributes",
    "device_variable_characteristics",
    "device_variables",
    "installed_certificates",
    "message_log",
    "network_profiles",
    "report_requests",
    "security_events",
    "station_credentials",
    "station_request_counters",
    "status_notifications",
    "subscriptions",
    "authorizations",
    "local_list_entries",
    "local_list_requests",
    "local_list_versions",
    "reservations",
    "transactions",
    "transaction_events",
    "meter_values",
    "tariffs",
    "remote_requests",
}


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _drift(connection: Connection, metadata: MetaData = Base.metadata) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _metadata_with_a_new_column() -> MetaData:
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["charging_stations"].append_column(Column("new_thing", Integer))
    return changed


async def test_an_empty_database_is_reported_empty_and_unmigrated(database_url: str) -> None:
    assert await is_empty(database_url)
    assert await current_revision(database_url) is None
    assert not await is_at_head(database_url)


async def test_upgrade_from_empty_creates_every_table_and_reaches_head(database_url: str) -> None:
    await upgrade_to_head(database_url)

    assert await is_at_head(database_url)
    assert await current_revision(database_url) == head_revision()
    assert not await is_empty(database_url)
    engine = create_engine(DatabaseSettings(url=database_url))
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) == APP_TABLES | {"alembic_version"}
    finally:
        await engine.dispose()


async def test_upgrade_twice_is_harmless(database_url: str) -> None:
    engine = create_engine(DatabaseSettings(url=database_url))
    try:
        await upgrade_to_head(engine)
        await upgrade_to_head(engine)
        assert await is_at_head(engine)
    finally:
        await engine.dispose()


async def test_models_and_migrations_do_not_drift(database_url: str) -> None:
    engine = create_engine(DatabaseSettings(url=database_url))
    try:
        await upgrade_to_head(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_drift) == []
            # The comparison is live: a model change without a migration is reported.
            changed = _metadata_with_a_new_column()
            assert await connection.run_sync(_drift, changed) != []
    finally:
        await engine.dispose()


async def test_downgrade_to_base_removes_every_table_and_upgrade_works_again(
    database_url: str,
) -> None:
    engine = create_engine(DatabaseSettings(url=database_url))
    try:
        await upgrade_to_head(engine)
        await downgrade_to(engine, "base")
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) & APP_TABLES == set()
            versions = await connection.execute(text("SELECT count(*) FROM alembic_version"))
            assert versions.scalar_one() == 0
        assert await current_revision(engine) is None

        await upgrade_to_head(engine)
        assert await is_at_head(engine)
    finally:
        await engine.dispose()


async def test_remote_requests_stored_before_outcomes_read_as_answered(database_url: str) -> None:
    engine = create_engine(DatabaseSettings(url=database_url))
    insert = text(
        "INSERT INTO remote_requests (station_id, action, status, request, response, answered_at)"
        " VALUES ('cp1', 'ClearCache', 'Accepted', '{}', '{\"status\": \"Accepted\"}',"
        " CURRENT_TIMESTAMP)"
    )
    try:
        await upgrade_to_head(engine)
        await downgrade_to(engine, "2026_11_27_console")
        async with engine.begin() as connection:
            await connection.execute(insert)
        await upgrade_to_head(engine)
        async with engine.connect() as connection:
            row = await connection.execute(
                text("SELECT outcome, status, error_code, reason FROM remote_requests")
            )
            assert row.one() == ("Answered", "Accepted", None, None)
    finally:
        await engine.dispose()


def test_revisions_form_one_line_with_dated_file_names() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())

    assert len(scripts.get_heads()) == 1
    files = sorted(path.name for path in (MIGRATIONS_DIR / "versions").glob("*.py"))
    assert files
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}_[a-z0-9_]+\.py", name) for name in files)
    assert "2026-11-23_initial.py" in files


def test_migration_scripts_ship_inside_the_package() -> None:
    import tourmaline

    package_dir = Path(tourmaline.__file__).resolve().parent
    assert MIGRATIONS_DIR.is_relative_to(package_dir)
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "script.py.mako").is_file()
