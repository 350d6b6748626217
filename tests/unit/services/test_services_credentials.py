"""Station credentials: argon2id storage, the verification cache, legacy CitrineOS hashes."""

from __future__ import annotations

import hashlib
import secrets

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import CountingHasher, FakeClock
from tourmaline.db.models import StationCredential
from tourmaline.services.credentials import (
    PASSWORD_ALPHABET,
    CredentialService,
    UnreadableCredentialError,
    generate_password,
)
from tourmaline.services.stations import StationService, StationWrite

PASSWORD = "correct-horse-battery:staple"
OTHER = "another-password-entirely"


@pytest.fixture
async def station(stations: StationService) -> str:
    await stations.upsert("cp001", StationWrite())
    return "cp001"


async def stored_hash(sessionmaker: async_sessionmaker[AsyncSession], station_id: str) -> str:
    async with sessionmaker() as session:
        row = await session.get(StationCredential, station_id)
        assert row is not None
        return row.password_hash


async def store_raw(
    sessionmaker: async_sessionmaker[AsyncSession], station_id: str, value: str, clock: FakeClock
) -> None:
    async with sessionmaker.begin() as session:
        session.add(
            StationCredential(station_id=station_id, password_hash=value, updated_at=clock.now())
        )


def citrineos_pbkdf2(password: str) -> str:
    """What CitrineOS v1.8.3 `Pbkdf2.getSaltedHash` stores: the salt's hex TEXT is the salt."""
    salt = secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt.encode(), 1000, 64)
    return f"PBKDF2:1000:64:sha512:{salt}:{digest.hex()}"


def test_generated_password_has_40_characters_of_the_71_character_set() -> None:
    passwords = [generate_password() for _ in range(50)]

    assert len(PASSWORD_ALPHABET) == len(set(PASSWORD_ALPHABET)) == 71
    assert all(len(password) == 40 for password in passwords)
    assert set("".join(passwords)) <= set(PASSWORD_ALPHABET)
    assert len(set(passwords)) == 50


def test_generated_passwords_use_the_whole_alphabet() -> None:
    seen = set("".join(generate_password() for _ in range(200)))

    # 8,000 draws: a character missing would mean a broken draw, not bad luck (p < 1e-40).
    assert seen == set(PASSWORD_ALPHABET)


async def test_set_password_stores_an_argon2id_hash_not_the_password(
    credentials: CredentialService, sessionmaker: async_sessionmaker[AsyncSession], station: str
) -> None:
    await credentials.set_password(station, PASSWORD)

    stored = await stored_hash(sessionmaker, station)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert await credentials.has_password(station)


@pytest.mark.parametrize("bad", ["short", "x" * 41, "has space in it!!", "ünïcödé-password-x"])
async def test_set_password_refuses_passwords_outside_the_ocpp_pattern(
    credentials: CredentialService, station: str, bad: str
) -> None:
    with pytest.raises(ValueError, match="16-40 characters"):
        await credentials.set_password(station, bad)
    assert not await credentials.has_password(station)


async def test_verify_accepts_the_right_password_only(
    credentials: CredentialService, station: str
) -> None:
    await credentials.set_password(station, PASSWORD)

    assert await credentials.verify(station, PASSWORD)
    assert not await credentials.verify(station, OTHER)
    assert not await credentials.verify("cp-unknown", PASSWORD)


async def test_a_cached_success_avoids_argon2_and_failures_are_never_cached(
    credentials: CredentialService, hasher: CountingHasher, station: str
) -> None:
    await credentials.set_password(station, PASSWORD)

    assert await credentials.verify(station, PASSWORD)
    assert await credentials.verify(station, PASSWORD)
    assert hasher.verifications == 1
    assert not await credentials.verify(station, OTHER)
    assert not await credentials.verify(station, OTHER)
    assert hasher.verifications == 3


async def test_the_cache_expires_after_its_ttl(
    credentials: CredentialService, hasher: CountingHasher, clock: FakeClock, station: str
) -> None:
    await credentials.set_password(station, PASSWORD)
    await credentials.verify(station, PASSWORD)

    clock.advance(599)
    assert await credentials.verify(station, PASSWORD)
    assert hasher.verifications == 1
    clock.advance(2)
    assert await credentials.verify(station, PASSWORD)
    assert hasher.verifications == 2


async def test_setting_a_password_clears_the_cache(
    credentials: CredentialService, station: str
) -> None:
    await credentials.set_password(station, PASSWORD)
    assert await credentials.verify(station, PASSWORD)

    await credentials.set_password(station, OTHER)

    assert not await credentials.verify(station, PASSWORD)
    assert await credentials.verify(station, OTHER)


async def test_a_change_made_by_another_instance_invalidates_this_cache(
    credentials: CredentialService,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    station: str,
) -> None:
    other_instance = CredentialService(sessionmaker, clock)
    await credentials.set_password(station, PASSWORD)
    assert await credentials.verify(station, PASSWORD)

    await other_instance.set_password(station, OTHER)

    assert not await credentials.verify(station, PASSWORD)


async def test_the_previous_password_stays_valid_until_the_new_one_is_used(
    credentials: CredentialService, station: str
) -> None:
    await credentials.set_password(station, PASSWORD)
    await credentials.set_password(station, OTHER, keep_previous=True)

    assert await credentials.verify(station, PASSWORD)
    assert await credentials.verify(station, OTHER)
    assert not await credentials.verify(station, PASSWORD)


async def test_a_legacy_citrineos_hash_is_verified_and_rehashed(
    credentials: CredentialService,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    station: str,
) -> None:
    await store_raw(sessionmaker, station, citrineos_pbkdf2(PASSWORD), clock)

    assert not await credentials.verify(station, OTHER)
    assert (await stored_hash(sessionmaker, station)).startswith("PBKDF2:")
    assert await credentials.verify(station, PASSWORD)

    assert (await stored_hash(sessionmaker, station)).startswith("$argon2id$")
    fresh = CredentialService(sessionmaker, clock)
    assert await fresh.verify(station, PASSWORD)
    assert not await fresh.verify(station, OTHER)


@pytest.mark.parametrize(
    "stored",
    [
        "plaintext-password-123",
        "PBKDF2:1000:64:sha512:only-five-parts",
        "PBKDF2:many:64:sha512:abcd:00ff",
        "PBKDF2:1000:64:nohash:abcd:00ff",
        "PBKDF2:99999999:64:sha512:abcd:00ff",
        "$argon2id$garbage",
    ],
)
async def test_an_unreadable_stored_value_raises(
    credentials: CredentialService,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    station: str,
    stored: str,
) -> None:
    await store_raw(sessionmaker, station, stored, clock)

    with pytest.raises(UnreadableCredentialError):
        await credentials.verify(station, PASSWORD)
