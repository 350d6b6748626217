"""Console sessions: the login cookie and the CSRF token of the web console.

With `api.auth = "api_key"` an operator signs in with one of the API keys. The cookie then holds
when it was issued, a random nonce and an HMAC of both under a key derived from that API key:
never the key itself. Any instance with the same keys accepts it, removing the key from the
configuration ends its sessions, and it expires after `SESSION_LIFETIME`. With auth `none` the
same cookie, signed with an empty key, only carries the nonce the CSRF token is derived from.

CSRF: the cookie is SameSite=Strict, and every console POST must also carry the session's token
(hidden form field, or the `X-CSRF-Token` header htmx sends), which a page on another site can
neither read nor compute.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

__all__ = [
    "CONSOLE_PREFIX",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "LOGIN_PATH",
    "SESSION_COOKIE",
    "SESSION_LIFETIME",
    "ConsoleGate",
    "ConsoleSession",
    "SessionSigner",
    "is_console_path",
    "parse_session",
]

CONSOLE_PREFIX = "/ui"
LOGIN_PATH = "/ui/login"
STATIC_PREFIX = "/ui/static/"
SESSION_COOKIE = "tourmaline_console"
SESSION_LIFETIME = 12 * 3600
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
_VERSION = "v1"
_NONCE_BYTES = 16
_PAYLOAD = struct.Struct(">Q16s")
# Cookies issued by an instance whose clock runs a little ahead are still accepted.
_CLOCK_SKEW = 60


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signing_key(api_key: str) -> bytes:
    return hashlib.sha256(b"tourmaline-console\x00" + api_key.encode()).digest()


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    issued_at: int
    nonce: bytes

    @property
    def csrf_token(self) -> str:
        return hmac.new(self.nonce, b"csrf", hashlib.sha256).hexdigest()

    def accepts(self, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token.encode(), self.csrf_token.encode())


def parse_session(text: str | None) -> ConsoleSession | None:
    """The session in a cookie of the right shape, its signature NOT checked (the middleware
    does that where sessions mean authentication)."""
    parts = (text or "").split(".")
    if len(parts) != 3 or parts[0] != _VERSION:
        return None
    try:
        issued_at, nonce = _PAYLOAD.unpack(_unb64(parts[1]))
    except (ValueError, struct.error):
        return None
    return ConsoleSession(issued_at, nonce)


class SessionSigner:
    def __init__(self, api_keys: Sequence[str]) -> None:
        self._keys = [_signing_key(key) for key in api_keys] or [_signing_key("")]

    @staticmethod
    def issue(api_key: str = "", now: float | None = None) -> tuple[ConsoleSession, str]:
        session = ConsoleSession(int(time.time() if now is None else now), secrets.token_bytes(16))
        payload = _PAYLOAD.pack(session.issued_at, session.nonce)
        mac = hmac.digest(_signing_key(api_key), payload, "sha256")
        return session, f"{_VERSION}.{_b64(payload)}.{_b64(mac)}"

    def verify(self, text: str | None, now: float | None = None) -> ConsoleSession | None:
        """The session if the cookie is signed with one of the keys and not expired."""
        session = parse_session(text)
        if session is None or text is None:
            return None
        age = (time.time() if now is None else now) - session.issued_at
        if not -_CLOCK_SKEW <= age <= SESSION_LIFETIME:
            return None
        try:
            mac = _unb64(text.rsplit(".", 1)[1])
        except ValueError:
            return None
        payload = _PAYLOAD.pack(session.issued_at, session.nonce)
        # Every key is compared, so timing does not tell which one almost matched.
        matches = [hmac.compare_digest(hmac.digest(k, payload, "sha256"), mac) for k in self._keys]
        return session if any(matches) else None


def is_console_path(path: str) -> bool:
    return path == CONSOLE_PREFIX or path.startswith(CONSOLE_PREFIX + "/")


class ConsoleGate:
    """The console's part of API-key protection (api/auth.py): the login page and the static
    assets are open, everything else under /ui needs a valid session cookie."""

    def __init__(self, api_keys: Sequence[str]) -> None:
        self._signer = SessionSigner(api_keys)

    def admits(self, scope: Scope) -> bool:
        path: str = scope["path"]
        if path == LOGIN_PATH or path.startswith(STATIC_PREFIX):
            return True
        cookie = Request(scope).cookies.get(SESSION_COOKIE)
        return self._signer.verify(cookie) is not None

    @staticmethod
    async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
        """A page is sent to the login form (and back afterwards); anything else gets 401."""
        if scope["method"] in ("GET", "HEAD"):
            target = scope["path"]
            if scope.get("query_string"):
                target += "?" + scope["query_string"].decode("latin-1")
            location = f"{LOGIN_PATH}?next={quote(target, safe='')}"
            headers = [(b"location", location.encode("latin-1")), (b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 303, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        body = b"Sign in to the console first: /ui/login"
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": body})
