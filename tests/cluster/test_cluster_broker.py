"""Broker delivery and cross-instance request/reply, on MemoryBroker and (when configured) Redis."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from tourmaline.cluster.broker import Message
from tourmaline.cluster.rpc import ClusterRpc, RemoteError, Replier, RpcTimeout


def channel() -> str:
    return f"test:{uuid.uuid4().hex}"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)


async def test_subscribers_get_every_json_object_in_order(
    cluster_backend: Any, eventually: Any
) -> None:
    name = channel()
    first, second = Inbox(), Inbox()
    await cluster_backend.broker.subscribe(name, first)
    await cluster_backend.broker.subscribe(name, second)

    for n in range(5):
        await cluster_backend.broker.publish(name, {"n": n})
    await cluster_backend.broker.publish(name, b'{"n": 5}')

    await eventually(lambda: len(first.messages) == 6 and len(second.messages) == 6)
    assert first.messages == [{"n": n} for n in range(6)]
    assert second.messages == first.messages


async def test_bad_messages_and_failing_handlers_do_not_end_a_subscription(
    cluster_backend: Any, eventually: Any
) -> None:
    name = channel()
    seen: list[Message] = []

    async def picky(message: Message) -> None:
        if message.get("boom"):
            raise RuntimeError("handler bug")
        seen.append(message)

    await cluster_backend.broker.subscribe(name, picky)
    await cluster_backend.broker.publish(name, b"not json")
    await cluster_backend.broker.publish(name, b"[1, 2]")
    await cluster_backend.broker.publish(name, {"boom": True})
    await cluster_backend.broker.publish(name, {"ok": 1})

    await eventually(lambda: seen == [{"ok": 1}])


async def test_unsubscribed_handler_gets_nothing_more(
    cluster_backend: Any, eventually: Any
) -> None:
    name = channel()
    gone, staying = Inbox(), Inbox()
    unsubscribe = await cluster_backend.broker.subscribe(name, gone)
    await cluster_backend.broker.subscribe(name, staying)

    await unsubscribe()
    await cluster_backend.broker.publish(name, {"n": 1})
    await cluster_backend.broker.publish(name, {"n": 2})

    await eventually(lambda: len(staying.messages) == 2)
    assert gone.messages == []


async def test_broker_answers_ping(cluster_backend: Any) -> None:
    assert await cluster_backend.broker.ping() is True


@pytest.fixture
async def rpc_pair(cluster_backend: Any) -> Any:
    suffix = uuid.uuid4().hex[:6]
    a = ClusterRpc(cluster_backend.broker, f"a-{suffix}", service="t")
    b = ClusterRpc(cluster_backend.broker, f"b-{suffix}", service="t")
    await a.start()
    await b.start()
    yield a, b, f"b-{suffix}"
    await a.stop()
    await b.stop()


async def test_request_gets_interim_and_final_replies(rpc_pair: Any) -> None:
    a, b, b_id = rpc_pair

    async def double(body: Message, replier: Replier) -> Message:
        await replier.progress({"stage": "working"})
        return {"value": body["value"] * 2}

    b.handle("double", double)
    deadline = asyncio.get_running_loop().time() + 5
    async with a.exchange(b_id, "double", {"value": 21}) as replies:
        interim = await replies.next(deadline)
        final = await replies.next(deadline)

    assert (interim.body, interim.final) == ({"stage": "working"}, False)
    assert (final.body, final.final) == ({"value": 42}, True)
    assert await a.request(b_id, "double", {"value": 2}, deadline=deadline) == {"value": 4}


async def test_remote_failures_come_back_as_errors(rpc_pair: Any) -> None:
    a, b, b_id = rpc_pair

    async def broken(body: Message, replier: Replier) -> Message:
        raise ValueError("no such thing")

    b.handle("broken", broken)
    deadline = asyncio.get_running_loop().time() + 5

    with pytest.raises(RemoteError, match="no such thing"):
        await a.request(b_id, "broken", {}, deadline=deadline)
    with pytest.raises(RemoteError, match="unknown request kind"):
        await a.request(b_id, "missing", {}, deadline=deadline)


async def test_request_to_an_absent_instance_times_out(rpc_pair: Any) -> None:
    a, _, _ = rpc_pair
    deadline = asyncio.get_running_loop().time() + 0.2

    with pytest.raises(RpcTimeout):
        await a.request("nobody-home", "anything", {}, deadline=deadline)


async def test_notifications_get_no_reply(rpc_pair: Any, eventually: Any) -> None:
    a, b, b_id = rpc_pair
    got: list[Message] = []

    async def note(body: Message, replier: Replier) -> Message:
        got.append(body)
        return {"ignored": True}

    b.handle("note", note)
    await a.notify(b_id, "note", {"x": 1})

    await eventually(lambda: got == [{"x": 1}])
