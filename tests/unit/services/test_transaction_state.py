"""The pure rules of services/transaction_state.py: seqNo bookkeeping and superseding."""

from __future__ import annotations

import pytest

from tests.tx_support import at, tx_event
from tourmaline.ocpp.v201.models import TransactionEventRequest
from tourmaline.services.transaction_state import TxState, add_seq_no, apply_event, supersede


@pytest.mark.parametrize(
    ("ranges", "seq_no", "expected"),
    [
        ([], 0, [[0, 0]]),
        ([[0, 3]], 4, [[0, 4]]),
        ([[0, 3]], 7, [[0, 3], [7, 7]]),
        ([[0, 3], [5, 9]], 4, [[0, 9]]),
        ([[2, 3]], 0, [[0, 0], [2, 3]]),
        ([[0, 3]], 2, [[0, 3]]),
    ],
)
def test_seq_nos_are_kept_as_merged_ranges(
    ranges: list[list[int]], seq_no: int, expected: list[list[int]]
) -> None:
    assert add_seq_no(ranges, seq_no) == expected


def state() -> TxState:
    return TxState("cp1", "tx1", created_at=at(0), updated_at=at(0))


def event(*args: object, **fields: object) -> TransactionEventRequest:
    return TransactionEventRequest.model_validate(tx_event(*args, **fields))


def test_applied_seq_nos_are_recognised_and_irregularities_reported() -> None:
    tx = state()

    first = apply_event(tx, event("Started", "tx1", 0), [])
    gap = apply_event(tx, event("Updated", "tx1", 5), [])
    older = apply_event(tx, event("Updated", "tx1", 2), [])

    assert not first.irregular
    assert (gap.seq_gap, older.out_of_order) == (True, True)
    assert [tx.has_seq_no(n) for n in (0, 1, 2, 5)] == [True, False, True, True]
    assert (tx.last_seq_no, tx.event_count) == (5, 3)


def test_supersede_ends_the_stale_transaction_with_a_note() -> None:
    stale, newer = state(), TxState("cp1", "tx2", created_at=at(0), updated_at=at(0))

    supersede(stale, newer, at(300))

    assert (stale.is_active, stale.end_time, stale.stopped_reason) == (False, at(300), "Other")
    assert stale.stopped_note == "superseded by tx2"
    assert not stale.has_ended  # no Ended event yet: the station's own one may still come
