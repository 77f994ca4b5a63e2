"""Pure rules of the check-in service: capture-time window, which policy's limit applies,
request fingerprints and which batch item speaks for a key, the tenant's zone and days,
bilingual field messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from services.checkin.domain.capture import check_capture_time, late_limit_hours, screen
from services.checkin.domain.days import day_bounds, tenant_zone
from services.checkin.domain.idempotency import Candidate, fingerprint, first_per_key
from services.checkin.schemas import BatchItemIn, CheckinIn
from services.runtime import errors

NOW = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)  # 12:00 WIB


@dataclass
class Terms:
    version: int
    valid_from: date
    valid_until: date | None
    effective_at: datetime
    late_submission_limit_hours: int


def test_no_policy_known_means_72_hours() -> None:
    assert late_limit_hours([], NOW, "Asia/Jakarta") == 72


def test_the_newest_version_in_force_at_capture_decides() -> None:
    v1 = Terms(1, date(2026, 3, 1), None, datetime(2026, 2, 28, tzinfo=UTC), 24)
    v2 = Terms(2, date(2026, 3, 1), None, datetime(2026, 3, 5, tzinfo=UTC), 48)
    v3_later = Terms(3, date(2026, 3, 1), None, NOW + timedelta(hours=1), 6)  # issued after the capture
    assert late_limit_hours([v1, v2, v3_later], NOW, "Asia/Jakarta") == 48
    assert late_limit_hours([v1, v3_later], NOW, "Asia/Jakarta") == 24


def test_a_version_not_covering_the_capture_day_does_not_apply() -> None:
    ended = Terms(1, date(2026, 2, 1), date(2026, 2, 28), datetime(2026, 1, 30, tzinfo=UTC), 12)
    assert late_limit_hours([ended], NOW, "Asia/Jakarta") == 72


def test_capture_before_any_version_took_effect_falls_back_to_the_first_covering_one() -> None:
    first = Terms(1, date(2026, 3, 1), None, NOW + timedelta(days=1), 30)
    second = Terms(2, date(2026, 3, 1), None, NOW + timedelta(days=2), 40)
    assert late_limit_hours([second, first], NOW, "Asia/Jakarta") == 30


def test_the_capture_day_is_the_tenants_local_day() -> None:
    # 2026-03-31 16:30 UTC is already 1 April in Jayapura (UTC+9) but still 31 March in Jakarta.
    april = Terms(1, date(2026, 4, 1), None, datetime(2026, 3, 1, tzinfo=UTC), 10)
    captured = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)
    assert late_limit_hours([april], captured, "Asia/Jayapura") == 10
    assert late_limit_hours([april], captured, "Asia/Jakarta") == 72


def test_naive_effective_times_from_sqlite_count_as_utc() -> None:
    naive = Terms(1, date(2026, 3, 1), None, datetime(2026, 3, 1), 20)  # noqa: DTZ001
    assert late_limit_hours([naive], NOW, "Asia/Jakarta") == 20


def test_capture_time_window() -> None:
    assert check_capture_time(NOW + timedelta(minutes=5), NOW, 72) is None
    future = check_capture_time(NOW + timedelta(minutes=5, seconds=1), NOW, 72)
    assert future is not None and (future.field, future.type) == ("captured_at", "captured_in_future")
    assert check_capture_time(NOW - timedelta(hours=24), NOW, 24) is None
    late = check_capture_time(NOW - timedelta(hours=24, seconds=1), NOW, 24)
    assert late is not None and late.type == "submitted_too_late" and "24 jam" in late.msg and "24 h" in late.msg


def test_extreme_capture_times_are_rejected_not_crashing() -> None:
    ancient = datetime.fromisoformat("0001-01-01T00:00:00+14:00")
    assert late_limit_hours([], ancient, "Asia/Jayapura") == 72
    assert check_capture_time(ancient, NOW, 72).type == "submitted_too_late"  # type: ignore[union-attr]
    far = datetime.fromisoformat("9999-12-31T23:59:59-14:00")
    assert check_capture_time(far, NOW, 72).type == "captured_in_future"  # type: ignore[union-attr]


BODY = {"kind": "location", "captured_at": "2026-03-10T12:00:00+07:00",
        "location": {"latitude": -6.12, "longitude": 106.15, "accuracy_m": 10}}


def test_fingerprint_ignores_the_key_and_spelled_out_defaults() -> None:
    single = CheckinIn.model_validate(BODY)
    item = BatchItemIn.model_validate({**BODY, "idempotency_key": "k-1"})
    explicit = CheckinIn.model_validate({**BODY, "location": {**BODY["location"], "mock_location": False}})
    assert fingerprint(single) == fingerprint(item) == fingerprint(explicit)
    moved = CheckinIn.model_validate({**BODY, "location": {**BODY["location"], "latitude": -6.13}})
    assert fingerprint(moved) != fingerprint(single)


def test_the_first_item_with_a_key_speaks_for_it() -> None:
    body = CheckinIn.model_validate(BODY)
    a, b, a_again = (Candidate(i, k, body, fingerprint(body)) for i, k in enumerate(["a", "b", "a"]))
    assert list(first_per_key([a, b, a_again]).values()) == [a, b]


def test_screening_keeps_the_acceptable_in_order_and_names_the_others_by_key() -> None:
    def at(key: str, captured: datetime) -> Candidate:
        body = CheckinIn.model_validate({**BODY, "captured_at": captured.isoformat()})
        return Candidate(0, key, body, fingerprint(body))

    ok, late, ok2 = at("ok", NOW), at("late", NOW - timedelta(hours=73)), at("ok2", NOW - timedelta(hours=1))
    fresh, refused = screen([ok, late, ok2], [], "Asia/Jakarta", NOW)
    assert fresh == [ok, ok2] and list(refused) == ["late"] and refused["late"].type == "submitted_too_late"


@dataclass
class Zoned:
    timezone: str


def test_the_tenants_zone_is_the_directorys_else_its_letters_else_jakarta() -> None:
    assert tenant_zone("Asia/Jayapura", [Zoned("Asia/Makassar")]) == "Asia/Jayapura"
    assert tenant_zone(None, [Zoned("Asia/Makassar"), Zoned("Asia/Jayapura")]) == "Asia/Makassar"
    assert tenant_zone(None, []) == "Asia/Jakarta"


def test_a_local_day_in_utc_and_a_day_utc_cannot_hold() -> None:
    assert day_bounds(date(2026, 3, 10), "Asia/Jakarta") == (datetime(2026, 3, 9, 17, tzinfo=UTC),
                                                             datetime(2026, 3, 10, 17, tzinfo=UTC))
    with pytest.raises(OverflowError):
        day_bounds(date(1, 1, 1), "Asia/Jayapura")


@pytest.mark.parametrize(("error", "fragments"), [
    ({"type": "string_too_long", "ctx": {"max_length": 5000}}, ["maksimal 5000", "at most 5000"]),
    ({"type": "less_than_equal", "ctx": {"le": 90.0}}, ["paling banyak 90", "at most 90"]),
    ({"type": "greater_than_equal", "ctx": {"ge": -180.0}}, ["paling sedikit -180", "at least -180"]),
    ({"type": "timezone_aware"}, ["zona waktu", "UTC offset"]),
    ({"type": "missing"}, ["Wajib diisi", "required"]),
    ({"type": "enum", "ctx": {"expected": "'a' or 'b'"}}, ["pilihan: 'a' or 'b'", "expected 'a' or 'b'"]),
    ({"type": "something_new", "msg": "Input is odd"}, ["Input is odd"]),
])
def test_validation_messages_in_both_languages(error: dict, fragments: list[str]) -> None:
    message = errors.validation_message(error)
    assert message.id and message.en and all(f in message.id or f in message.en for f in fragments), message


def test_field_errors_name_the_field_in_loc_and_message() -> None:
    [error] = errors.field_errors([{"type": "less_than_equal", "loc": ("body", "location", "latitude"),
                                    "ctx": {"le": 90}}])
    assert error.loc == ["body", "location", "latitude"]
    assert error.msg.startswith("location.latitude: ")
