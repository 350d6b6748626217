"""services.callbacks.CallbackPoster: one attempt, never raises (interface.md §7.3)."""

from __future__ import annotations

from tests.integration.webhook_receiver import WebhookReceiver, closed_port_url
from tourmaline.services.callbacks import CallbackPoster


async def test_posts_json_and_reports_success() -> None:
    poster = CallbackPoster()
    try:
        async with WebhookReceiver() as receiver:
            assert await poster.post(receiver.url, {"status": "Accepted"}) is True
            assert receiver.bodies == [{"status": "Accepted"}]
    finally:
        await poster.aclose()


async def test_failures_are_swallowed() -> None:
    poster = CallbackPoster(timeout=0.5)
    try:
        assert await poster.post(await closed_port_url(), {}) is False
        assert await poster.post("not a url", {}) is False
        async with WebhookReceiver(hang=True) as hanging:
            assert await poster.post(hanging.url, {}) is False
    finally:
        await poster.aclose()
