"""Settings refuse combinations that cannot work, with a message saying what to change."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tourmaline.settings import Settings, load_settings


def test_defaults_are_the_single_machine_set_up() -> None:
    settings = Settings()
    assert settings.database.url.startswith("sqlite+aiosqlite://")
    assert settings.broker.url == "memory://"
    assert [(item.port, item.security_profile) for item in settings.listeners] == [
        (8081, 0),
        (8082, 1),
    ]


def test_redis_broker_with_sqlite_is_refused() -> None:
    with pytest.raises(ValidationError, match="need PostgreSQL"):
        Settings(broker={"url": "redis://127.0.0.1:6379/0"})


def test_redis_broker_with_sqlite_when_explicitly_allowed() -> None:
    settings = Settings(broker={"url": "redis://127.0.0.1:6379/0", "allow_sqlite": True})
    assert settings.broker.allow_sqlite


def test_redis_broker_with_postgresql_is_fine() -> None:
    settings = Settings(
        broker={"url": "redis://127.0.0.1:6379/0"},
        database={"url": "postgresql+asyncpg://postgres@127.0.0.1/test"},
    )
    assert settings.broker.url.startswith("redis://")


def test_duplicate_listener_ids_are_refused() -> None:
    with pytest.raises(ValidationError, match="listener ids must be unique"):
        Settings(listeners=[{"id": "0", "port": 1}, {"id": "0", "port": 2}])


def test_environment_variables_use_double_underscores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOURMALINE_DATABASE__URL", "sqlite+aiosqlite:///elsewhere.db")
    monkeypatch.setenv("TOURMALINE_OCPP__HEARTBEAT_INTERVAL", "300")
    settings = load_settings()
    assert settings.database.url == "sqlite+aiosqlite:///elsewhere.db"
    assert settings.ocpp.heartbeat_interval == 300
