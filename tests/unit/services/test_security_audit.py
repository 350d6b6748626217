"""Failed-attempt limiter and security-event folding, on a FakeClock (no database)."""

from __future__ import annotations

from prometheus_client import REGISTRY

from tests.helpers import FakeClock
from tourmaline.services.auth_throttle import FailedAuthLimiter
from tourmaline.services.security_audit import SecurityAudit

Event = tuple[str | None, str, str | None]


def lockouts() -> float:
    return REGISTRY.get_sample_value("tourmaline_auth_lockouts_total") or 0.0


def test_the_limit_th_failure_within_the_window_locks_the_station() -> None:
    clock = FakeClock()
    limiter = FailedAuthLimiter(clock, limit=3, window=60)
    before = lockouts()

    results = [limiter.failed("cp001") for _ in range(3)]

    assert results == [False, False, True]
    assert limiter.locked("cp001")
    assert not limiter.locked("cp002")
    assert lockouts() == before + 1


def test_a_lock_ends_after_one_window_and_counting_starts_again() -> None:
    clock = FakeClock()
    limiter = FailedAuthLimiter(clock, limit=2, window=60)
    limiter.failed("cp001")
    limiter.failed("cp001")

    clock.advance(59)
    assert limiter.locked("cp001")
    clock.advance(1)
    assert not limiter.locked("cp001")
    assert limiter.failed("cp001") is False


def test_failures_spread_over_more_than_a_window_never_lock() -> None:
    clock = FakeClock()
    limiter = FailedAuthLimiter(clock, limit=3, window=60)

    for _ in range(10):
        limiter.failed("cp001")
        limiter.failed("cp001")
        clock.advance(61)

    assert not limiter.locked("cp001")


def test_a_success_forgets_earlier_failures() -> None:
    limiter = FailedAuthLimiter(FakeClock(), limit=2, window=60)
    limiter.failed("cp001")

    limiter.succeeded("cp001")

    assert limiter.failed("cp001") is False


def test_limit_zero_never_locks() -> None:
    limiter = FailedAuthLimiter(FakeClock(), limit=0, window=60)

    assert not any(limiter.failed("cp001") for _ in range(100))
    assert not limiter.locked("cp001")


def test_repeated_events_fold_into_one_per_window() -> None:
    clock, seen = FakeClock(), list[Event]()
    audit = SecurityAudit(clock, lambda *event: seen.append(event), window=60)

    for _ in range(5):
        audit.report("cp001", "FailedToAuthenticateAtCsms", "wrong password")
    clock.advance(60)
    audit.report("cp001", "FailedToAuthenticateAtCsms", "wrong password")

    assert seen == [
        ("cp001", "FailedToAuthenticateAtCsms", "wrong password"),
        ("cp001", "FailedToAuthenticateAtCsms", "wrong password (+4 more in 60 s)"),
    ]


def test_different_kinds_do_not_fold_into_each_other() -> None:
    seen = list[Event]()
    audit = SecurityAudit(FakeClock(), lambda *event: seen.append(event))

    audit.report("cp001", "FailedToAuthenticateAtCsms", "a", kind="cp001:wrong")
    audit.report("cp001", "FailedToAuthenticateAtCsms", "b", kind="cp001:locked")
    audit.report("cp002", "FailedToAuthenticateAtCsms", "c")
    audit.report("cp002", "InvalidChargingStationCertificate", "d")

    assert [event[2] for event in seen] == ["a", "b", "c", "d"]


def test_tech_info_is_cut_to_the_ocpp_limit_and_a_failing_sink_is_contained() -> None:
    seen = list[Event]()

    def sink(station_id: str | None, event_type: str, tech_info: str | None) -> None:
        seen.append((station_id, event_type, tech_info))
        raise RuntimeError("store is down")

    audit = SecurityAudit(FakeClock(), sink)

    audit.tls_failure("InvalidMessages", "x" * 400)

    [(station_id, _, tech_info)] = seen
    assert station_id is None
    assert tech_info == "x" * 255
