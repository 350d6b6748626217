"""The console's routes on real services over a real database, driven in-process through
httpx's ASGI transport: the REST app fixtures of tests/api (`deps`, `app`, `client`) with the
services the console needs besides. The only fake is a station's socket
(tests/cluster/fakes.py `FakeLink`), whose calls the test answers."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.conftest import FixedClock
from tests.helpers import CountingHasher
from tourmaline.api.deps import ApiDeps
from tourmaline.cluster.events import EventFeed
from tourmaline.services.credentials import CredentialService
from tourmaline.services.device_model import DeviceModelService
from tourmaline.services.message_log import MessageLogQuery
from tourmaline.services.remote_requests import RemoteRequestQuery
from tourmaline.services.tariffs import TariffService
from tourmaline.services.tokens import TokenStore
from tourmaline.services.transaction_query import TransactionQuery
from tourmaline.settings import Settings

API_KEY = "console-test-key-0123456789"
_CSRF = re.compile(r'"X-CSRF-Token": "([0-9a-f]{64})"')


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite")])
def backend(request: pytest.FixtureRequest) -> str:
    """SQLite only: these tests are about pages and forms; the services they call are tested
    on both databases (tests/unit/services)."""
    name: str = request.param
    return name


@pytest.fixture
def auth() -> str:
    """Parametrise with `@pytest.mark.parametrize("auth", ["api_key"])` for a protected API."""
    return "none"


@pytest.fixture
def settings(auth: str) -> Settings:
    api = {"auth": auth, "api_keys": [API_KEY] if auth == "api_key" else []}
    return Settings(env="test", instance_id="console-test", api=api, log={"level": "WARNING"})


@pytest.fixture
async def deps(
    deps: ApiDeps, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[ApiDeps]:
    """tests/api's services, and the console's: credentials, device model, message log, the
    live event feed, sessions, tariffs and ID tokens."""
    clock = FixedClock()
    credentials = CredentialService(sessionmaker, clock, hasher=CountingHasher())
    device_model = DeviceModelService(sessionmaker, clock, credentials)
    events = EventFeed(instance_id=deps.settings.instance_id)
    await events.start()
    try:
        yield dataclasses.replace(
            deps,
            message_log=MessageLogQuery(sessionmaker),
            device_model=device_model,
            batch_limits=device_model.get_limit,
            credentials=credentials,
            events=events,
            tokens=TokenStore(sessionmaker, clock),
            transactions=TransactionQuery(sessionmaker),
            tariffs=TariffService(sessionmaker, clock),
            remote_requests=RemoteRequestQuery(sessionmaker),
        )
    finally:
        await events.stop()


@dataclass
class Browser:
    """A console user: the client with its cookies, and the CSRF token of its session."""

    client: httpx.AsyncClient
    csrf: str = ""

    async def get(self, path: str, **kwargs: object) -> httpx.Response:
        response = await self.client.get(path, **kwargs)  # type: ignore[arg-type]
        found = _CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    async def post(self, path: str, form: dict[str, str], **kwargs: object) -> httpx.Response:
        if not self.csrf:
            await self.get("/ui/stations")
        data = {"csrf": self.csrf, **form}
        return await self.client.post(path, data=data, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def browser(client: httpx.AsyncClient) -> Browser:
    return Browser(client)


def field_error(text: str, name: str) -> str:
    """The message shown next to form field `name` (fails when there is none)."""
    found = re.search(rf'<small id="{name}-error" class="field-error">([^<]*)</small>', text)
    assert found, f"no error shown for {name}"
    return html.unescape(found.group(1))
