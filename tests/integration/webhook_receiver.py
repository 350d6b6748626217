"""A tiny local HTTP receiver for callbackUrl and webhook tests (stdlib asyncio only).

It records every POST body and answers 200, or holds the request open (`hang=True`) to play a
dead endpoint. Tests never contact outside hosts (interface.md §7.3, §9).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any, Self

__all__ = ["WebhookReceiver", "closed_port_url"]


class WebhookReceiver:
    def __init__(self, *, hang: bool = False) -> None:
        self.hang = hang
        self.bodies: list[Any] = []
        self.headers: list[dict[str, str]] = []
        self.started = asyncio.Event()  # a request arrived (its body may still be unread)
        self._arrived = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self._release = asyncio.Event()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hook"

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *_: object) -> None:
        self._release.set()
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Any]:
        """The first `count` bodies, waiting for them to arrive."""
        async with self._arrived:
            await asyncio.wait_for(
                self._arrived.wait_for(lambda: len(self.bodies) >= count), timeout
            )
        return self.bodies[:count]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            await self._one_request(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        self.started.set()
        if self.hang:
            await self._release.wait()
            return
        lines = head.decode("latin-1").split("\r\n")[1:]
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines if line)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        async with self._arrived:
            self.headers.append(headers)
            self.bodies.append(json.loads(body))
            self._arrived.notify_all()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()


async def closed_port_url() -> str:
    """A loopback URL nobody listens on: connections are refused at once."""
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    return f"http://127.0.0.1:{port}/hook"
