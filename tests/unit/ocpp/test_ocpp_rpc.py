"""Frame parsing and encoding (ocpp-rules §2.2, interface.md §3)."""

from __future__ import annotations

import json

import pytest

from tourmaline.ocpp import errors
from tourmaline.ocpp.rpc import (
    Call,
    CallError,
    CallResult,
    FrameInfo,
    decode,
    describe_array,
    encode,
    parse_frame,
    peek_head,
    peek_message_id,
)

ROUND_TRIPS = [
    Call("19223201", "BootNotification", {"reason": "PowerUp"}),
    Call("a", "Heartbeat", {}),
    CallResult("19223201", {"currentTime": "2024-01-01T00:00:00Z", "interval": 300}),
    CallError("x-1", "NotImplemented", "Unknown action", {"hint": ["ü", 1]}),
    CallError("x-2", "GenericError"),
    Call("ünï", "DataTransfer", {"vendorId": "é€😀", "data": [1.5, True, None]}),
]


@pytest.mark.parametrize("frame", ROUND_TRIPS)
def test_encode_then_parse_gives_the_same_frame(frame: Call | CallResult | CallError) -> None:
    assert parse_frame(encode(frame)) == frame


def test_encode_is_compact_and_keeps_non_ascii() -> None:
    text = encode(Call("1", "DataTransfer", {"vendorId": "é"}))
    assert text == '[2,"1","DataTransfer",{"vendorId":"é"}]'
    assert encode(CallError("-1", "RpcFrameworkError", "Invalid OCPP-J frame")) == (
        '[4,"-1","RpcFrameworkError","Invalid OCPP-J frame",{}]'
    )


def test_encode_refuses_nan() -> None:
    with pytest.raises(ValueError):
        encode(CallResult("1", {"x": float("nan")}))


UNREADABLE = [
    "",
    "not json",
    "{}",
    '"text"',
    "42",
    "null",
    "[]",
    "[2]",
    '[2, 17, "Heartbeat", {}]',
    '[2, null, "Heartbeat", {}]',
    '[2, "' + "i" * 37 + '", "Heartbeat", {}]',
    '[2, "\\ud800", "Heartbeat", {}]',
    '[2, "a", "Heartbeat", {"x": NaN}]',
    '[2, "a", "Heartbeat", {"x": Infinity}]',
    "[" * 100_000 + "]" * 100_000,
    "[2, " + "9" * 5000 + "]",
    '[2, "a", "Heartbeat", {}',
    "\x00",
]


@pytest.mark.parametrize("text", UNREADABLE)
def test_unreadable_frames_are_rpc_framework_errors_with_id_minus_one(text: str) -> None:
    with pytest.raises(errors.RpcFrameworkError) as caught:
        parse_frame(text)
    assert caught.value.to_frame() == CallError("-1", "RpcFrameworkError", "Invalid OCPP-J frame")


@pytest.mark.parametrize(
    ("text", "message_id"),
    [
        ('[5, "abc", "Heartbeat", {}]', "abc"),
        ('[1, "abc"]', "abc"),
        ('[true, "abc", "Heartbeat", {}]', "abc"),
        ('[2.0, "abc", "Heartbeat", {}]', "abc"),
        ('["2", "abc", "Heartbeat", {}]', "abc"),
        ('[6, 7, "Heartbeat", {}]', "-1"),
        ("[null]", "-1"),
        ('[{"a": 1}, "abc"]', "abc"),
        ("[" + "9" * 400 + ', "abc"]', "abc"),
    ],
)
def test_unknown_message_types_are_not_supported(text: str, message_id: str) -> None:
    with pytest.raises(errors.MessageTypeNotSupported) as caught:
        parse_frame(text)
    assert caught.value.to_frame().message_id == message_id
    assert caught.value.code == "MessageTypeNotSupported"


@pytest.mark.parametrize(
    "text",
    [
        '[2, "abc", "Heartbeat"]',
        '[2, "abc", "Heartbeat", {}, {}]',
        '[2, "abc", 5, {}]',
        '[2, "abc", null, {}]',
        '[2, "abc", "Heartbeat", []]',
        '[2, "abc", "Heartbeat", null]',
        '[2, "abc", "Heartbeat", "{}"]',
        '[3, "abc"]',
        '[3, "abc", []]',
        '[3, "abc", {}, {}]',
        '[4, "abc", "GenericError", "d"]',
        '[4, "abc", 1, "d", {}]',
        '[4, "abc", "GenericError", null, {}]',
        '[4, "abc", "GenericError", "d", []]',
    ],
)
def test_malformed_frames_with_a_readable_id_keep_it(text: str) -> None:
    with pytest.raises(errors.RpcFrameworkError) as caught:
        parse_frame(text)
    assert caught.value.to_frame().message_id == "abc"


def test_id_of_exactly_36_characters_is_readable() -> None:
    message_id = "f" * 36
    assert parse_frame(json.dumps([2, message_id, "Heartbeat", {}])) == Call(
        message_id, "Heartbeat", {}
    )


def test_decode_then_describe_reports_what_is_readable() -> None:
    assert describe_array(decode('[2, "a", "Heartbeat", 5]')) == FrameInfo(2, "a", "Heartbeat")
    assert describe_array(decode('[3, "a", {}]')) == FrameInfo(3, "a", None)
    assert describe_array(decode('[9, "a", "Heartbeat"]')) == FrameInfo(None, "a", None)
    assert describe_array(decode("[]")) == FrameInfo(None, None, None)
    assert describe_array(decode('[2, "a", "' + "A" * 65 + '", {}]')).action is None


@pytest.mark.parametrize(
    ("text", "head"),
    [
        ('[2,"abc","DataTransfer",{"data":"' + "x" * 1000, (2, "abc")),
        ('  [ 3 , "r-1" , {"a":', (3, "r-1")),
        ('[9,"abc",', (None, "abc")),
        ('[2,"a\\"b",', (None, None)),
        ('[2,17,"X"', (None, None)),
        ("garbage", (None, None)),
        ('[2,"' + "i" * 37 + '"', (None, None)),
    ],
)
def test_peek_reads_only_a_plain_head(text: str, head: tuple[int | None, str | None]) -> None:
    assert peek_head(text) == head
    assert peek_message_id(text) == head[1]
