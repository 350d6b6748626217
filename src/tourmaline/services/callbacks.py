"""One HTTP POST to a callbackUrl or a webhook (interface.md §7.3, §9).

Delivery is one attempt with a 10 s timeout; failures are logged and swallowed, so a dead or
slow receiver can never fail or delay an API answer or OCPP processing. Callers run `post` in a
supervised task of their own (CommandService, SubscriptionService): nothing here waits for them.
"""

from __future__ import annotations

from typing import Any

import httpx
import structlog

__all__ = ["DELIVERY_TIMEOUT", "CallbackPoster"]

log = structlog.get_logger(__name__)

DELIVERY_TIMEOUT = 10.0


class CallbackPoster:
    """Posts JSON bodies; owns its `httpx.AsyncClient` unless one is given."""

    def __init__(
        self, client: httpx.AsyncClient | None = None, *, timeout: float = DELIVERY_TIMEOUT
    ) -> None:
        self._owns_client = client is None
        # No redirects: a callback answer never needs one, and following them lengthens the attempt.
        self._client = client or httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def post(self, url: str, body: Any) -> bool:
        """POST `body` as JSON; True when the receiver answered 2xx. Never raises."""
        try:
            response = await self._client.post(url, json=body)
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            log.warning("callback delivery failed", url=_safe(url), error=type(error).__name__)
            return False
        except Exception:
            log.exception("callback delivery failed unexpectedly", url=_safe(url))
            return False
        if not response.is_success:
            log.warning("callback refused", url=_safe(url), status=response.status_code)
            return False
        return True

    async def deliver(self, url: str, body: Any) -> None:
        """CommandService's `deliver_callback` hook."""
        await self.post(url, body)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()


def _safe(url: str) -> str:
    """The URL without user info: callback URLs may carry credentials of the receiver."""
    try:
        parsed = httpx.URL(url)
    except Exception:
        return "<invalid url>"
    return str(parsed.copy_with(username=None, password=None)) if parsed.userinfo else url
