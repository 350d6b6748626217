"""The sans-I/O session, fed with lists of strings (design.md §1.1)."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from tourmaline.ocpp.rpc import Call, CallError, CallResult, encode
from tourmaline.ocpp.session import (
    CallAnswered,
    CallTimedOut,
    DroppedFrame,
    FrameReceived,
    InboundCall,
    OcppSession,
    QueueFull,
    SendCall,
    SendText,
    SessionClosed,
    SessionEvent,
    StrayAnswer,
)


def make_session(**overrides: Any) -> OcppSession:
    counter = itertools.count(1)
    options: dict[str, Any] = {
        "call_timeout": 30.0,
        "queue_size": 2,
        "max_message_size": 1000,
        "id_factory": lambda: f"m{next(counter)}",
    }
    options.update(overrides)
    return OcppSession(**options)


def result(message_id: str, payload: dict[str, Any] | None = None) -> str:
    return json.dumps([3, message_id, payload or {"status": "Accepted"}])


def sent(events: list[SessionEvent]) -> list[str]:
    return [event.call.message_id for event in events if isinstance(event, SendCall)]


def answered(events: list[SessionEvent]) -> list[CallAnswered]:
    return [event for event in events if isinstance(event, CallAnswered)]


def test_a_station_call_is_handed_over_with_its_log_record() -> None:
    session = make_session()
    text = '[2,"c1","Heartbeat",{}]'
    assert session.receive(text, now=0) == [
        FrameReceived(text, 2, "c1", "Heartbeat"),
        InboundCall(Call("c1", "Heartbeat", {})),
    ]


@pytest.mark.parametrize(
    ("text", "reply", "record"),
    [
        ("nope", '[4,"-1","RpcFrameworkError","Invalid OCPP-J frame",{}]', (None, None, None)),
        (
            '[7,"c9","Heartbeat",{}]',
            '[4,"c9","MessageTypeNotSupported","Message type not supported",{}]',
            (None, "c9", None),
        ),
        (
            '[2,"c9","Heartbeat"]',
            '[4,"c9","RpcFrameworkError","CALL must be [2, messageId, action, {payload}]",{}]',
            (2, "c9", "Heartbeat"),
        ),
    ],
)
def test_malformed_frames_get_a_ready_callerror(
    text: str, reply: str, record: tuple[Any, Any, Any]
) -> None:
    events = make_session().receive(text, now=0)
    assert events[0] == FrameReceived(text, *record)
    assert len(events) == 2
    assert isinstance(events[1], SendText)
    assert events[1].text == reply


def test_oversized_frame_gets_format_violation_with_the_peeked_id() -> None:
    session = make_session(max_message_size=100)
    text = '[2,"big-1","DataTransfer",{"vendorId":"' + "x" * 200 + '"}]'
    events = session.receive(text, now=0)
    assert events[0] == FrameReceived(text, 2, "big-1", None)
    assert [event.text for event in events if isinstance(event, SendText)] == [
        '[4,"big-1","FormatViolation","Message too large",{}]'
    ]
    assert len(events) == 2


def test_size_limit_counts_utf8_bytes_not_characters() -> None:
    session = make_session(max_message_size=60)
    text = '[2,"u1","DataTransfer",{"vendorId":"' + "€" * 10 + '"}]'  # 47 chars, 67 bytes
    assert len(text) < 60 < len(text.encode())
    events = session.receive(text, now=0)
    assert isinstance(events[1], SendText)
    assert events[1].frame.code == "FormatViolation"
    small = '[2,"u2","DataTransfer",{"vendorId":"' + "e" * 10 + '"}]'
    assert isinstance(session.receive(small, now=0)[1], InboundCall)


def test_oversized_garbage_uses_id_minus_one() -> None:
    events = make_session(max_message_size=10).receive("x" * 50, now=0)
    assert isinstance(events[1], SendText)
    assert events[1].frame.message_id == "-1"


def test_only_one_outbound_call_at_a_time_in_order() -> None:
    session = make_session()
    first_id, first_events = session.enqueue_call("Reset", {"type": "Immediate"}, now=0)
    second_id, second_events = session.enqueue_call("ClearCache", {}, now=1)
    assert (first_id, second_id) == ("m1", "m2")
    assert len(first_events) == 1
    assert isinstance(first_events[0], SendCall)
    assert first_events[0].call == Call("m1", "Reset", {"type": "Immediate"})
    assert json.loads(first_events[0].text) == [2, "m1", "Reset", {"type": "Immediate"}]
    assert second_events == []
    assert session.queued == 1

    events = session.receive(result("m1"), now=2)
    assert events[0] == FrameReceived(result("m1"), 3, "m1", "Reset")
    assert answered(events) == [
        CallAnswered("m1", "Reset", CallResult("m1", {"status": "Accepted"}), {"type": "Immediate"})
    ]
    assert sent(events) == ["m2"]
    assert session.outstanding_call == Call("m2", "ClearCache", {})

    error = '[4,"m2","NotImplemented","no",{}]'
    events = session.receive(error, now=3)
    assert answered(events)[0].answer == CallError("m2", "NotImplemented", "no", {})
    assert sent(events) == []
    assert session.outstanding_call is None


def test_station_calls_cross_the_outstanding_call() -> None:
    session = make_session()
    session.enqueue_call("GetBaseReport", {"requestId": 1, "reportBase": "FullInventory"}, now=0)
    events = session.receive('[2,"s1","NotifyReport",{}]', now=1)
    assert isinstance(events[1], InboundCall)
    assert session.outstanding_call is not None
    assert answered(session.receive(result("m1"), now=2))[0].action == "GetBaseReport"


def test_queue_full() -> None:
    session = make_session(queue_size=1)
    session.enqueue_call("ClearCache", {}, now=0)
    session.enqueue_call("ClearCache", {}, now=0)
    with pytest.raises(QueueFull):
        session.enqueue_call("ClearCache", {}, now=0)
    assert session.queued == 1


def test_queue_size_zero_allows_only_the_outstanding_call() -> None:
    session = make_session(queue_size=0)
    session.enqueue_call("ClearCache", {}, now=0)
    with pytest.raises(QueueFull):
        session.enqueue_call("ClearCache", {}, now=0)


def test_outstanding_call_times_out_and_the_next_is_sent() -> None:
    session = make_session()
    session.enqueue_call("Reset", {"type": "Immediate"}, now=0, deadline=10)
    session.enqueue_call("ClearCache", {}, now=1, deadline=40)
    assert session.next_deadline() == 10
    assert session.expire(now=9.9) == []
    events = session.expire(now=10)
    assert events[0] == CallTimedOut("m1", "Reset")
    assert sent(events) == ["m2"]
    assert session.next_deadline() == 40


def test_queued_call_times_out_while_waiting() -> None:
    session = make_session()
    session.enqueue_call("Reset", {"type": "Immediate"}, now=0, deadline=100)
    session.enqueue_call("ClearCache", {}, now=0, deadline=5)
    session.enqueue_call("GetLocalListVersion", {}, now=0, deadline=100)
    assert session.next_deadline() == 5
    assert session.expire(now=6) == [CallTimedOut("m2", "ClearCache")]
    assert session.queued == 1
    assert sent(session.receive(result("m1"), now=7)) == ["m3"]


def test_expired_queued_calls_are_skipped_when_the_slot_frees() -> None:
    session = make_session()
    session.enqueue_call("Reset", {"type": "Immediate"}, now=0, deadline=100)
    session.enqueue_call("ClearCache", {}, now=0, deadline=5)
    events = session.receive(result("m1"), now=6)
    assert CallTimedOut("m2", "ClearCache") in events
    assert sent(events) == []
    assert session.next_deadline() is None


def test_default_deadline_is_now_plus_call_timeout() -> None:
    session = make_session(call_timeout=30)
    session.enqueue_call("ClearCache", {}, now=100)
    assert session.next_deadline() == 130


def test_late_and_unknown_answers_are_reported_not_answered() -> None:
    session = make_session()
    session.enqueue_call("Reset", {"type": "Immediate"}, now=0, deadline=1)
    session.expire(now=1)
    late = session.receive(result("m1"), now=2)
    assert late == [
        FrameReceived(result("m1"), 3, "m1", "Reset"),
        StrayAnswer(CallResult("m1", {"status": "Accepted"}), "late"),
    ]
    unknown = session.receive('[4,"zz","GenericError","",{}]', now=3)
    assert unknown == [
        FrameReceived('[4,"zz","GenericError","",{}]', 4, "zz", None),
        StrayAnswer(CallError("zz", "GenericError", "", {}), "unknown"),
    ]


def test_answer_while_the_call_is_still_queued_is_unknown() -> None:
    session = make_session()
    session.enqueue_call("Reset", {"type": "Immediate"}, now=0)
    session.enqueue_call("ClearCache", {}, now=0)
    events = session.receive(result("m2"), now=1)
    assert isinstance(events[1], StrayAnswer)
    assert events[1].reason == "unknown"
    assert session.outstanding_call is not None
    assert session.outstanding_call.message_id == "m1"


def test_malformed_answer_is_never_answered_and_ends_its_call() -> None:
    session = make_session()
    session.enqueue_call("Reset", {"type": "Immediate"}, now=0)
    session.enqueue_call("ClearCache", {}, now=0)
    events = session.receive('[3,"m1",[]]', now=1)
    assert not any(isinstance(event, SendText) for event in events)
    answer = answered(events)[0].answer
    assert isinstance(answer, CallError)
    assert answer.code == "RpcFrameworkError"
    assert answer.details == {"source": "csms"}
    assert sent(events) == ["m2"]
    dropped = session.receive('[3,"other",[]]', now=2)
    assert [type(event) for event in dropped] == [FrameReceived, DroppedFrame]


def test_oversized_answer_is_not_answered() -> None:
    session = make_session(max_message_size=50)
    session.enqueue_call("GetLog", {}, now=0)
    text = '[3,"m1",{"filename":"' + "f" * 100 + '"}]'
    events = session.receive(text, now=1)
    assert not any(isinstance(event, SendText) for event in events)
    answer = answered(events)[0].answer
    assert isinstance(answer, CallError)
    assert (answer.code, answer.description) == ("FormatViolation", "Message too large")


def test_close_fails_everything_and_refuses_new_calls() -> None:
    session = make_session()
    session.enqueue_call("Reset", {"type": "Immediate"}, now=0)
    session.enqueue_call("ClearCache", {}, now=0)
    assert session.close() == ["m1", "m2"]
    assert session.next_deadline() is None
    with pytest.raises(SessionClosed):
        session.enqueue_call("ClearCache", {}, now=0)


def test_respond_encodes_and_a_repeat_is_recalled() -> None:
    session = make_session()
    call = Call("c1", "Authorize", {"idToken": {"idToken": "A", "type": "ISO14443"}})
    answer = CallResult("c1", {"idTokenInfo": {"status": "Accepted"}})
    text = session.respond(call, answer, now=0)
    assert text == encode(answer)
    reordered = Call("c1", "Authorize", {"idToken": {"type": "ISO14443", "idToken": "A"}})
    assert session.recall(reordered, now=10) == text
    assert session.answered_before("c1", now=10)


@pytest.mark.parametrize(
    "repeat",
    [
        Call("c1", "Authorize", {"idToken": {"idToken": "B", "type": "ISO14443"}}),
        Call("c1", "Heartbeat", {}),
        Call("c2", "Authorize", {"idToken": {"idToken": "A", "type": "ISO14443"}}),
    ],
)
def test_same_id_with_other_content_is_not_a_repeat(repeat: Call) -> None:
    session = make_session()
    call = Call("c1", "Authorize", {"idToken": {"idToken": "A", "type": "ISO14443"}})
    session.respond(call, CallResult("c1", {"idTokenInfo": {"status": "Accepted"}}), now=0)
    assert session.recall(repeat, now=1) is None


def test_dedup_window_and_age_are_bounded() -> None:
    session = make_session(dedup_window=2, dedup_max_age=100)
    calls = [Call(f"c{index}", "Heartbeat", {}) for index in range(3)]
    for index, call in enumerate(calls):
        session.respond(call, CallResult(call.message_id, {"currentTime": "x"}), now=index)
    assert session.recall(calls[0], now=3) is None
    assert session.recall(calls[1], now=3) is not None
    assert session.recall(calls[2], now=103) is None
    assert not session.answered_before("c2", now=103)


def test_call_errors_are_not_remembered() -> None:
    session = make_session()
    call = Call("c1", "TransactionEvent", {})
    session.respond(call, CallError("c1", "InternalError", "Internal error"), now=0)
    assert session.recall(call, now=1) is None


def test_dedup_disabled() -> None:
    session = make_session(dedup_window=0)
    call = Call("c1", "Heartbeat", {})
    session.respond(call, CallResult("c1", {"currentTime": "x"}), now=0)
    assert session.recall(call, now=0) is None
