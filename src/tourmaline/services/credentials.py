"""Basic-auth credentials of stations (interface.md §2.4, §6): generation, hashing, verification.

Hashing is argon2id (argon2-cffi) with the OWASP minimum parameters (19 MiB, 2 passes, 1 lane):
about 20 ms per hash or verify on a 2-core test machine, run in a worker thread so the event loop
keeps serving. A successful verification is remembered for `cache_ttl` seconds as an HMAC of the
presented password under a per-process random key, tied to the stored hash it was checked
against: a reconnect storm then costs one small SELECT per handshake instead of one argon2 run,
and a password changed on another instance invalidates the entry because the stored hash differs.
Failures are never cached.

Stored values in CitrineOS's `PBKDF2:<iterations>:<keylen>:<digest>:<salt>:<hex>` form (imported
databases) are verified as CitrineOS computes them (the salt's hex text is the salt) and replaced
by an argon2id hash on the first success.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass

import structlog
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tourmaline.clock import Clock
from tourmaline.db.models import StationCredential

__all__ = [
    "PASSWORD_ALPHABET",
    "PASSWORD_PATTERN",
    "CredentialService",
    "UnreadableCredentialError",
    "default_hasher",
    "generate_password",
    "validate_password",
]

log = structlog.get_logger(__name__)

# OCPP passwordString (interface.md §6): 16-40 characters of this 71-character set.
PASSWORD_ALPHABET = string.ascii_lowercase + string.ascii_uppercase + string.digits + "*-_=:+|@."
PASSWORD_PATTERN = re.compile(r"[a-zA-Z0-9*\-_=:+|@.]{16,40}")
GENERATED_LENGTH = 40
LEGACY_PREFIX = "PBKDF2:"
ARGON2_PREFIX = "$argon2"
# A stored value must not be able to make one handshake burn seconds of CPU.
LEGACY_MAX_ITERATIONS = 1_000_000


class UnreadableCredentialError(Exception):
    """The stored credential is in no known format (the handshake answers HTTP 500)."""


def default_hasher() -> PasswordHasher:
    # OWASP password storage cheat sheet minimum for argon2id: m=19 MiB, t=2, p=1.
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def generate_password() -> str:
    """40 characters drawn uniformly from the 71-character set; `secrets.choice` draws by
    rejection sampling, so no character is more likely than another (no modulo bias)."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(GENERATED_LENGTH))


def validate_password(password: str) -> None:
    if PASSWORD_PATTERN.fullmatch(password) is None:
        raise ValueError("password must be 16-40 characters of a-z A-Z 0-9 * - _ = : + | @ .")


@dataclass(frozen=True, slots=True)
class _CacheEntry:
    stored_hash: str
    digest: bytes
    expires_at: float


class CredentialService:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        cache_ttl: float = 600.0,
        *,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._cache_ttl = cache_ttl
        self._hasher = hasher or default_hasher()
        self._cache_key = secrets.token_bytes(32)
        self._cache: dict[str, _CacheEntry] = {}

    @staticmethod
    def generate_password() -> str:
        return generate_password()

    async def set_password(
        self, station_id: str, password: str, *, keep_previous: bool = False
    ) -> None:
        """Store a new credential; the station must exist. `keep_previous` keeps the old one
        valid until the station has authenticated once with the new one (a RebootRequired
        password change, interface.md §6)."""
        validate_password(password)
        new_hash = await asyncio.to_thread(self._hasher.hash, password)
        async with self._sessionmaker.begin() as session:
            row = await session.get(StationCredential, station_id, with_for_update=True)
            if row is None:
                session.add(self._new_row(station_id, new_hash))
            else:
                row.previous_password_hash = row.password_hash if keep_previous else None
                row.password_hash = new_hash
                row.updated_at = self._clock.now()
        self._cache.pop(station_id, None)
        log.info("station credential set", station_id=station_id, keep_previous=keep_previous)

    async def has_password(self, station_id: str) -> bool:
        async with self._sessionmaker() as session:
            return await session.get(StationCredential, station_id) is not None

    async def delete(self, station_id: str) -> None:
        async with self._sessionmaker.begin() as session:
            row = await session.get(StationCredential, station_id)
            if row is not None:
                await session.delete(row)
        self._cache.pop(station_id, None)

    async def verify(self, station_id: str, password: str) -> bool:
        """True when `password` is the station's credential. Raises UnreadableCredentialError
        when the stored value cannot be interpreted."""
        async with self._sessionmaker() as session:
            row = await session.get(StationCredential, station_id)
            if row is None:
                return False
            current, previous = row.password_hash, row.previous_password_hash
        if self._cache_hit(station_id, current, password):
            return True
        if await self._matches(current, password):
            stored = await self._after_success(station_id, current, password, previous)
            self._remember(station_id, stored, password)
            return True
        return previous is not None and await self._matches(previous, password)

    async def verify_cached(self, station_id: str, password: str) -> bool:
        """True only when `password` matches a remembered successful verification against the
        credential stored now; never pays for a hash (used while a station is locked after
        failed attempts, services/auth_throttle.py)."""
        async with self._sessionmaker() as session:
            row = await session.get(StationCredential, station_id)
            current = None if row is None else row.password_hash
        return current is not None and self._cache_hit(station_id, current, password)

    def _new_row(self, station_id: str, password_hash: str) -> StationCredential:
        return StationCredential(
            station_id=station_id, password_hash=password_hash, updated_at=self._clock.now()
        )

    def _digest(self, password: str) -> bytes:
        return hmac.digest(self._cache_key, password.encode(), "sha256")

    def _cache_hit(self, station_id: str, stored_hash: str, password: str) -> bool:
        entry = self._cache.get(station_id)
        if entry is None:
            return False
        if entry.expires_at <= self._clock.monotonic() or entry.stored_hash != stored_hash:
            self._cache.pop(station_id, None)
            return False
        return hmac.compare_digest(entry.digest, self._digest(password))

    def _remember(self, station_id: str, stored_hash: str, password: str) -> None:
        expires_at = self._clock.monotonic() + self._cache_ttl
        self._cache[station_id] = _CacheEntry(stored_hash, self._digest(password), expires_at)

    async def _matches(self, stored: str, password: str) -> bool:
        if stored.startswith(ARGON2_PREFIX):
            return await asyncio.to_thread(self._argon2_matches, stored, password)
        if stored.startswith(LEGACY_PREFIX):
            return await asyncio.to_thread(_legacy_matches, stored, password)
        raise UnreadableCredentialError("stored credential is in no known format")

    def _argon2_matches(self, stored: str, password: str) -> bool:
        try:
            return bool(self._hasher.verify(stored, password))
        except VerifyMismatchError:
            return False
        except (InvalidHashError, VerificationError) as exc:
            raise UnreadableCredentialError("stored argon2 credential is unreadable") from exc

    async def _after_success(
        self, station_id: str, current: str, password: str, previous: str | None
    ) -> str:
        """Upgrade a legacy or outdated hash and retire the previous credential; returns the
        hash now stored."""
        upgrade = not current.startswith(ARGON2_PREFIX) or self._hasher.check_needs_rehash(current)
        if not upgrade and previous is None:
            return current
        new_hash = await asyncio.to_thread(self._hasher.hash, password) if upgrade else current
        async with self._sessionmaker.begin() as session:
            row = await session.get(StationCredential, station_id, with_for_update=True)
            if row is None or row.password_hash != current:
                return row.password_hash if row is not None else current
            row.password_hash = new_hash
            row.previous_password_hash = None
            row.updated_at = self._clock.now()
        if upgrade:
            log.info("station credential rehashed", station_id=station_id)
        return new_hash


def _legacy_matches(stored: str, password: str) -> bool:
    """CitrineOS `Pbkdf2.isHashMatch`: pbkdf2(password, salt text, iterations, keylen, digest),
    compared here in constant time (CitrineOS compares hex strings with `===`)."""
    parts = stored.split(":")
    if len(parts) != 6:
        raise UnreadableCredentialError("legacy PBKDF2 credential has the wrong shape")
    _, iterations_text, keylen_text, digest, salt, expected_hex = parts
    try:
        iterations, keylen = int(iterations_text), int(keylen_text)
        if not (0 < iterations <= LEGACY_MAX_ITERATIONS and 0 < keylen <= 1024):
            raise ValueError("legacy PBKDF2 parameters out of range")
        expected = bytes.fromhex(expected_hex)
        computed = hashlib.pbkdf2_hmac(digest, password.encode(), salt.encode(), iterations, keylen)
    except ValueError as exc:
        raise UnreadableCredentialError("legacy PBKDF2 credential is unreadable") from exc
    return hmac.compare_digest(computed, expected)
