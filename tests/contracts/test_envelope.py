"""CloudEvents binary-mode envelope: headers, key, parsing errors."""

import os
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.contracts.envelope import TOMBSTONE, Envelope, EnvelopeError, event_key, new_event_id


def test_round_trip_through_kafka_headers() -> None:
    env = Envelope(type="hadir.checkin.received.v1", source="/hadir/checkin", tenant="banten",
                   subject="199001012015031001", data=b'{"a":1}', time=datetime(2026, 11, 23, 0, 30, tzinfo=UTC))
    headers = [(k, v.encode()) for k, v in env.headers().items()]
    parsed = Envelope.from_headers(headers, env.data)
    assert parsed == env
    assert env.headers()["ce_time"] == "2026-11-23T00:30:00Z"
    assert env.headers()["ce_specversion"] == "1.0"
    assert env.key == "banten/199001012015031001"


def test_key_is_tenant_plus_subject() -> None:
    assert event_key("kota-serang", "197001012000031002") == "kota-serang/197001012000031002"
    assert event_key("kota-serang", "") == "kota-serang"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ([], "missing CloudEvents header"),
        ([("ce_id", b"1"), ("ce_source", b"/x"), ("ce_type", b"t"), ("ce_specversion", b"0.3"),
          ("ce_tenant", b"t")], "unsupported ce_specversion"),
        ([("ce_id", b"1"), ("ce_source", b"/x"), ("ce_type", b"t"), ("ce_specversion", b"1.0"),
          ("ce_tenant", b"t"), ("ce_time", b"yesterday")], "invalid ce_time"),
        ([("ce_id", b"\xff"), ("ce_source", b"/x")], "not UTF-8"),
    ],
)
def test_bad_headers_are_rejected_with_a_reason(headers: list, message: str) -> None:
    with pytest.raises(EnvelopeError, match=message):
        Envelope.from_headers(headers, b"{}")


def test_event_ids_are_random_version_4_uuids_and_unique() -> None:
    ids = [new_event_id() for _ in range(5000)]
    ids.append(Envelope(type="t", source="s", tenant="x", subject="y", data=b"{}").id)
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_a_forked_child_does_not_reuse_the_parents_drawn_ids() -> None:
    new_event_id()  # the parent has ids drawn ahead
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.write(write, ",".join(new_event_id() for _ in range(5)).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    childs = set(os.read(read, 4096).decode().split(","))
    os.close(read)
    assert len(childs) == 5 and not childs & {new_event_id() for _ in range(300)}


def test_a_ce_time_utc_cannot_hold_is_an_invalid_cloudevent_and_headers_never_raise() -> None:
    """9999-12-31T23:59:59-01:00 is in the year 10000 in UTC: refused as a poison record with a
    reason, never an OverflowError; an envelope built in code with such a time still has headers."""
    headers = {"ce_id": "x", "ce_source": "/s", "ce_type": "t", "ce_specversion": "1.0", "ce_tenant": "a",
               "ce_time": "9999-12-31T23:59:59-01:00"}
    with pytest.raises(EnvelopeError, match="ce_time"):
        Envelope.from_headers(headers, b"{}")
    far = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-1)))
    assert Envelope(type="t", source="/s", tenant="a", subject="", data=b"{}", time=far).headers()["ce_time"] \
        == "9999-12-31T23:59:59-01:00"


def test_a_null_value_is_a_tombstone_and_an_empty_one_is_refused() -> None:
    """A tombstone keeps its CloudEvents headers and goes out with a null value; an empty value
    that is not null is neither an event nor a tombstone."""
    event = Envelope(type="t", source="/s", tenant="banten", subject="199001012015031001", data=b"{}")
    headers = [(k, v.encode()) for k, v in event.headers().items()]
    tombstone = Envelope.from_headers(headers, None)
    assert tombstone.tombstone and tombstone.data == TOMBSTONE and tombstone.value is None
    assert (tombstone.id, tombstone.type, tombstone.key) == (event.id, event.type, event.key)
    assert not event.tombstone and event.value == b"{}"
    with pytest.raises(EnvelopeError, match="empty"):
        Envelope.from_headers(headers, b"")
