"""Two instances sharing a broker and a registry: commands to a station held elsewhere, eviction,
the epoch-checked release race and reconnect storms across instances (design.md §5)."""

from __future__ import annotations

import asyncio
from typing import Any

from tourmaline.services import commands as commands_module
from tourmaline.services.connections import ADMIN_DISCONNECT_REASON, REPLACED_REASON
from tourmaline.transport.ports import CallTimeout

REPLACED = (1000, REPLACED_REASON)


async def test_command_reaches_a_station_on_the_other_instance(
    instances: Any, eventually: Any
) -> None:
    a, b = await instances("a"), await instances("b")
    link = await b.connect("cp1")

    queued = await a.commands.send(
        "cp1", "Reset", {"type": "Immediate"}, callback_url="http://hook/x"
    )
    call = await link.next_call()

    assert (queued.success, queued.message_id) == (True, call.message_id)
    assert (call.action, call.payload) == ("Reset", {"type": "Immediate"})
    call.respond({"status": "Accepted"})
    # The answer is handled once, where the socket is.
    await eventually(lambda: len(b.results) == 1 and len(b.callbacks) == 1)
    assert b.results == [("cp1", "Reset", {"type": "Immediate"}, {"status": "Accepted"})]
    assert b.callbacks == [("http://hook/x", {"status": "Accepted"})]
    assert a.results == [] and a.callbacks == []


async def test_waiting_command_gets_the_remote_answer(instances: Any) -> None:
    a, b = await instances("a"), await instances("b")
    link = await b.connect("cp1")

    pending = asyncio.create_task(a.commands.send("cp1", "Reset", {"type": "OnIdle"}, wait=True))
    call = await link.next_call()
    call.respond({"status": "Scheduled"})
    result = await pending

    assert (result.success, result.payload) == (True, {"status": "Scheduled"})
    assert result.message_id == call.message_id


async def test_remote_call_error_and_timeout_keep_their_shape(instances: Any) -> None:
    a, b = await instances("a"), await instances("b")
    link = await b.connect("cp1")

    erroring = asyncio.create_task(a.commands.send("cp1", "Reset", {"type": "OnIdle"}, wait=True))
    (await link.next_call()).respond_error("NotSupported", "nope")
    link.submitted.clear()
    timing_out = asyncio.create_task(
        a.commands.send("cp1", "Reset", {"type": "OnIdle"}, wait=True, timeout=3)
    )
    second = await link.next_call()
    second.fail(CallTimeout())

    error, timeout = await erroring, await timing_out
    assert (error.success, error.payload) == (
        False,
        {"errorCode": "NotSupported", "errorDescription": "nope", "errorDetails": {"k": "v"}},
    )
    assert (timeout.success, timeout.payload, timeout.timed_out) == (
        False,
        "Timed out after 3 s",
        True,
    )
    assert timeout.message_id == second.message_id
    # Reported once, by the owner that saw the outcome.
    assert [(sid, why.outcome) for sid, _, why in b.unanswered] == [
        ("cp1", "CallError"),
        ("cp1", "Timeout"),
    ]
    assert a.unanswered == []


async def test_station_connected_nowhere(instances: Any) -> None:
    a, _ = await instances("a"), await instances("b")

    result = await a.commands.send("ghost", "Reset", {"type": "Immediate"}, wait=True)

    assert result.success is False
    assert result.payload == "No connection found for identifier: 1:ghost"
    assert await a.connections.is_connected("ghost") is False
    assert [(sid, why.outcome) for sid, _, why in a.unanswered] == [("ghost", "NotSent")]


async def test_owner_that_does_not_answer_gives_a_timeout(instances: Any, monkeypatch: Any) -> None:
    a, b = await instances("a"), await instances("b")
    await b.connect("cp1")
    await b.stop()
    monkeypatch.setattr(commands_module, "QUEUED_REPLY_TIMEOUT", 0.2)

    result = await a.commands.send("cp1", "Reset", {"type": "Immediate"})

    assert (result.success, result.timed_out) == (False, True)


async def test_connecting_elsewhere_evicts_the_older_socket(
    instances: Any, eventually: Any
) -> None:
    a, b = await instances("a"), await instances("b")
    old = await a.connect("cp1")

    new = await b.connect("cp1")

    assert await old.wait_closed() == REPLACED
    assert new.closed_with is None
    await eventually(lambda: a.connections.local("cp1") is None)
    assert b.connections.local("cp1") is new
    assert await a.connections.is_connected("cp1")


async def test_late_close_of_the_evicted_socket_changes_nothing(
    instances: Any, online: Any
) -> None:
    a, b = await instances("a"), await instances("b")
    old = await a.connect("cp1")
    new = await b.connect("cp1")
    await old.wait_closed()

    # The transport reports the old socket's close only now.
    await a.connections.closed(old, 1000, REPLACED_REASON)

    assert await b.connections.is_connected("cp1")
    assert b.connections.local("cp1") is new
    assert await online("cp1", b, a)


async def test_old_owner_closing_before_the_eviction_lands_cannot_release(
    instances: Any, online: Any
) -> None:
    a, b = await instances("a"), await instances("b")
    old = await a.connect("cp1")
    await b.connect("cp1")

    # Races the evict message: A still believes it holds cp1 and releases with its old epoch.
    await a.connections.closed(old, 1006, "")

    assert await a.connections.is_connected("cp1")
    assert await online("cp1", b, a)


async def test_reconnect_storm_across_instances_serves_the_last(
    instances: Any, eventually: Any, online: Any
) -> None:
    a, b = await instances("a"), await instances("b")
    links = []
    for round_ in range(6):
        here = (a, b)[round_ % 2]
        links.append((here, await here.connect("cp1")))
    # Close handlers of every earlier socket run late and in reverse order.
    for owner, link in reversed(links[:-1]):
        await owner.connections.closed(link, 1006, "")

    last_owner, last = links[-1]
    assert last.closed_with is None
    assert last_owner.connections.local("cp1") is last
    other = a if last_owner is b else b
    await eventually(lambda: other.connections.local("cp1") is None)
    assert await online("cp1", last_owner, other)
    result = asyncio.create_task(a.commands.send("cp1", "Reset", {"type": "OnIdle"}, wait=True))
    (await last.next_call()).respond({"status": "Accepted"})
    assert (await result).success is True


async def test_admin_disconnect_reaches_the_other_instance(instances: Any, online: Any) -> None:
    a, b = await instances("a"), await instances("b")
    link = await b.connect("cp1")

    assert await a.connections.disconnect("cp1") is True

    assert link.closed_with == (1000, ADMIN_DISCONNECT_REASON)
    assert await a.connections.is_connected("cp1") is False
    assert await online("cp1", a, b) is False
    assert await a.connections.disconnect("cp1") is False


async def test_refresh_closes_a_socket_whose_registration_was_taken(
    instances: Any, cluster_backend: Any, online: Any
) -> None:
    a = await instances("a")
    link = await a.connect("cp1")
    # Another instance claimed cp1 but its evict message was lost.
    await cluster_backend.registry.claim("cp1", "elsewhere")

    await a.connections.refresh_all()

    assert await link.wait_closed() == REPLACED
    assert a.connections.local("cp1") is None
    # The new owner's connection is online; this instance must not say otherwise.
    assert await online("cp1", a)


async def test_claim_racing_our_own_is_noticed_after_registering(
    instances: Any, cluster_backend: Any
) -> None:
    a = await instances("a")
    registry = cluster_backend.registry
    real_claim = registry.claim

    async def claim_then_lose(station_id: str, instance_id: str) -> Any:
        # A concurrent claim elsewhere lands right after ours; its evict finds nothing yet.
        mine = await real_claim(station_id, instance_id)
        await real_claim(station_id, "elsewhere")
        return mine

    registry.claim = claim_then_lose
    try:
        link = await a.connect("cp1")
    finally:
        registry.claim = real_claim

    assert await link.wait_closed() == REPLACED
    assert a.connections.local("cp1") is None
