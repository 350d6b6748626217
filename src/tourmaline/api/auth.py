"""API-key protection of the REST API (interface.md §0, REST auth `api_key`).

With `api.auth = "api_key"` every request needs `Authorization: Bearer <key>` with one of the
configured keys; `/health*` and `/docs*` (and the OpenAPI document) stay open so probes and the
documentation work. Keys are compared as SHA-256 digests in constant time.

The web console under /ui (ui/session.py) also accepts its session cookie, issued by its login
form for one of the same keys; the cookie counts for /ui only, never for the REST API.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from starlette.types import ASGIApp, Receive, Scope, Send

from tourmaline.api.errors import error_body
from tourmaline.ui.session import ConsoleGate, is_console_path

__all__ = ["ApiKeyMiddleware", "key_matches"]

OPEN_PREFIXES = ("/health", "/docs", "/openapi.json")


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def key_matches(key: str, keys: list[str]) -> bool:
    """Whether `key` is one of `keys`, compared in constant time."""
    presented = _digest(key)
    return any([hmac.compare_digest(presented, _digest(known)) for known in keys])


class ApiKeyMiddleware:
    def __init__(self, app: ASGIApp, *, keys: list[str]) -> None:
        self._app = app
        self._digests = [_digest(key) for key in keys]
        self._console = ConsoleGate(keys)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._is_open(scope) or self._authorized(scope):
            await self._app(scope, receive, send)
            return
        if is_console_path(scope["path"]):
            if self._console.admits(scope):
                await self._app(scope, receive, send)
            else:
                await self._console.refuse(scope, receive, send)
            return
        await _refuse(send)

    @staticmethod
    def _is_open(scope: Scope) -> bool:
        path: str = scope["path"]
        return scope["method"] == "OPTIONS" or path.startswith(OPEN_PREFIXES)

    def _authorized(self, scope: Scope) -> bool:
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key:
            return False
        presented = _digest(key.strip())
        # Every key is compared, so timing does not tell which one almost matched.
        matches = [hmac.compare_digest(presented, digest) for digest in self._digests]
        return any(matches)


async def _refuse(send: Send) -> None:
    body = json.dumps(
        error_body(401, "unauthorized", "A valid API key is required: Authorization: Bearer <key>")
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"www-authenticate", b"Bearer"),
    ]
    await send({"type": "http.response.start", "status": 401, "headers": headers})
    await send({"type": "http.response.body", "body": body})
