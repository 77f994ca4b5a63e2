"""The pure parts of notify: signatures, quiet hours, backoff, templates, phone numbers, filters,
the texts of decisions on absences, corrections and reviews, and the BKD's monthly count."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest

from services.contracts.rules.absence import ABSENCE_NAMES, Span
from services.notify import targets
from services.notify.channels.base import http_outcome
from services.notify.channels.whatsapp import normalise_phone
from services.notify.domain import decisions, masking, signing, webhooks
from services.notify.domain.addresses import UnsafeTarget
from services.notify.domain.escalation import missed_days, month_of, period_key, reaches
from services.notify.domain.quiet import QuietHours
from services.notify.domain.retry import backoff, next_attempt
from services.notify.domain.texts import Formatter
from services.notify.messages import KINDS, render
from tests.notify.receivers import BadSignature, verify_standard_webhook


def test_signature_matches_the_standard_webhooks_reference_vector() -> None:
    # The reference libraries' test vector.
    signature = signing.sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                             b'{"test": 2432232314}')
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_rotation_signs_with_every_secret_and_each_verifies() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    assert old.startswith("whsec_") and len(signing.secret_bytes(old)) == 32 and old != new
    body = b'{"type":"report.overdue"}'
    now = int(datetime.now(UTC).timestamp())
    headers = signing.headers([new, old], "b5c1c6a4-1", now, body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        verify_standard_webhook(secret, headers, body)
    with pytest.raises(BadSignature):
        verify_standard_webhook(signing.new_secret(), headers, body)


@pytest.mark.parametrize(("start", "end", "local", "quiet"), [
    (time(21), time(6), time(22, 30), True),
    (time(21), time(6), time(5, 59), True),
    (time(21), time(6), time(6), False),
    (time(21), time(6), time(12), False),
    (time(13), time(15), time(14), True),
    (time(13), time(15), time(15), False),
    (time(8), time(8), time(8), False),
])
def test_quiet_hours_contain(start: time, end: time, local: time, quiet: bool) -> None:
    assert QuietHours(start, end, "Asia/Jakarta").contains(local) is quiet


def test_quiet_hours_release_is_the_next_local_end_in_each_zone() -> None:
    # 23:00 WIT on 24 Nov is 14:00 UTC; quiet 21:00-06:00 ends 06:00 WIT on 25 Nov = 21:00 UTC on 24 Nov.
    instant = datetime(2025, 11, 24, 14, 0, tzinfo=UTC)
    assert QuietHours(time(21), time(6), "Asia/Jayapura").release(instant) == datetime(2025, 11, 24, 21, 0, tzinfo=UTC)
    # The same instant is 22:00 WITA: quiet until 06:00 WITA = 22:00 UTC.
    assert QuietHours(time(21), time(6), "Asia/Makassar").release(instant) == datetime(2025, 11, 24, 22, 0, tzinfo=UTC)
    # An hour earlier it is 20:00 WIB: not quiet in Jakarta.
    assert QuietHours(time(21), time(6), "Asia/Jakarta").release(instant - timedelta(hours=1)) is None
    # After midnight the end is the same local day.
    early = datetime(2025, 11, 24, 20, 30, tzinfo=UTC)  # 03:30 WIB on the 25th
    assert QuietHours(time(21), time(6), "Asia/Jakarta").release(early) == datetime(2025, 11, 24, 23, 0, tzinfo=UTC)


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(7)
    for attempt in range(1, 12):
        ceiling = min(60.0, 2.0 * 2 ** (attempt - 1))
        samples = [backoff(attempt, 2.0, 60.0, rng) for _ in range(200)]
        assert all(ceiling / 2 <= s <= ceiling for s in samples)
        assert len({round(s, 6) for s in samples}) > 100  # jittered, not a fixed schedule


def test_next_attempt_respects_retry_after_and_the_horizon() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    when = next_attempt(start, 1, base=1, cap=60, first_attempt_at=start, horizon=3600, retry_after=30)
    assert when is not None and when - start >= timedelta(seconds=30)
    assert next_attempt(start + timedelta(seconds=3590), 9, base=30, cap=600, first_attempt_at=start,
                        horizon=3600) is None


@pytest.mark.parametrize(("status", "result"), [
    (200, "ok"), (204, "ok"), (301, "failed"), (400, "failed"), (404, "failed"), (408, "retry"), (429, "retry"),
    (500, "retry"), (503, "retry"),
])
def test_http_answers_are_classified(status: int, result: str) -> None:
    assert http_outcome(status, "", "12").result == result


def test_retry_after_is_read() -> None:
    assert http_outcome(429, "slow down", "12").retry_after == 12


@pytest.mark.parametrize(("raw", "expected"), [
    ("0812-3456-7890", "6281234567890"), ("+62 812 3456 7890", "6281234567890"), ("81234567890", "6281234567890"),
    ("6281234567890", "6281234567890"), ("12", None),
])
def test_indonesian_phone_numbers_for_whatsapp(raw: str, expected: str | None) -> None:
    assert normalise_phone(raw) == expected


def test_webhook_filters() -> None:
    assert webhooks.matches(["report.*"], "report.escalated")
    assert webhooks.matches(["*"], "roster.published")
    assert not webhooks.matches(["report.overdue"], "report.due_soon")
    assert webhooks.valid_filter("checkin.*") and not webhooks.valid_filter("nothing.*")
    assert not webhooks.valid_filter("report.overdue.v1")


INTERNAL_URLS = ("http://127.0.0.1:8080/x", "http://10.1.2.3/x", "http://169.254.169.254/latest/meta-data",
                 "http://[::1]/x", "http://2130706433/x", "http://0177.0.0.1/x", "http://0x7f.1/x", "http://127.1/x",
                 "http://[::ffff:127.0.0.1]/x", "http://[::ffff:a9fe:a9fe]/x", "http://0.0.0.0/x", "http://[::]/x",
                 "http://224.0.0.1/x", "http://100.64.0.1/x", "http://[fe80::1]/x", "http://[fc00::1]/x",
                 "http://[64:ff9b::7f00:1]/x", "http://[2002:7f00:1::]/x", "http://240.0.0.1/x",
                 "http://mixed.example/x")


async def fake_dns(host: str, port: int) -> list[str]:
    return {"mixed.example": ["93.184.216.34", "127.0.0.1"], "public.example": ["93.184.216.34"]}[host]


@pytest.mark.parametrize("url", INTERNAL_URLS)
async def test_webhook_targets_inside_the_network_are_refused(url: str) -> None:
    with pytest.raises(UnsafeTarget):
        await targets.vet(url, fake_dns, allow_private=False)


async def test_a_webhook_target_is_resolved_once_and_pinned_to_its_checked_address() -> None:
    assert (await targets.vet("https://public.example/x", fake_dns, allow_private=False)).address == "93.184.216.34"
    assert (await targets.vet("http://127.0.0.1:8080/x", fake_dns, allow_private=True)).address == "127.0.0.1"
    with pytest.raises(UnsafeTarget):
        await targets.vet("ftp://example.go.id/x", fake_dns, allow_private=True)
    url, headers, extensions = targets.pinned(targets.Target("https://Public.example:8443/h?t=1", "public.example",
                                                             "2606:4700::1111"))
    assert str(url) == "https://[2606:4700::1111]:8443/h?t=1"
    assert headers == {"host": "public.example:8443"} and extensions == {"sni_hostname": "public.example"}


@pytest.mark.parametrize(("url", "shown"), [
    ("https://user:pw@hooks.example.go.id:8443/h/abc?token=s3cret#f", "https://hooks.example.go.id:8443/***"),
    ("https://hooks.example.go.id/T0KEN/x", "https://hooks.example.go.id/***"),
    ("https://hooks.example.go.id/?token=s3cret", "https://hooks.example.go.id/***"),
    ("http://[2001:db8::1]:81/", "http://[2001:db8::1]:81/"),
    ("not a url", "***"),
])
def test_a_webhook_url_keeps_only_scheme_host_and_port_for_readers_other_than_the_admin(url: str,
                                                                                       shown: str) -> None:
    assert masking.mask_url(url) == shown
    assert masking.visible("webhook", url, "{}", full=False) == (shown, None)
    assert masking.visible("webhook", url, "{}", full=True) == (url, "{}")
    assert masking.visible("email", "a@b.go.id", "hi", full=False) == ("a@b.go.id", "hi")


DEADLINE = datetime(2025, 11, 24, 1, 45, tzinfo=UTC)  # 08:45 WIB, 09:45 WITA, 10:45 WIT


@pytest.mark.parametrize(("zone", "shown"), [("Asia/Jakarta", "08:45 WIB"), ("Asia/Makassar", "09:45 WITA"),
                                             ("Asia/Jayapura", "10:45 WIT")])
def test_times_in_the_tenant_zone(zone: str, shown: str) -> None:
    subject, body = render("overdue", "id", zone, name="Budi", window_name="Lokasi pagi",
                           local_date=date(2025, 11, 24), deadline=DEADLINE)
    assert "Senin, 24 November 2025" in subject
    assert f"belum kami terima sampai batas waktu pukul {shown}" in body


def test_english_by_preference() -> None:
    subject, body = render("due_soon", "en", "Asia/Makassar", name="Budi", window_name="Afternoon location",
                           local_date=date(2025, 11, 24), deadline=DEADLINE)
    assert subject == "Reminder: Afternoon location closes at 09:45 WITA"
    assert "Monday, 24 November 2025" in body and "Dear Budi" in body


def test_roster_day_reminder_reads_besok() -> None:
    subject, body = render("roster_day", "id", "Asia/Jakarta", name="Budi", day=date(2025, 11, 25), mode="wfo")
    assert subject == "Besok Anda bekerja di kantor (Selasa, 25 November 2025)"
    assert body.startswith("Yth. Budi,") and "bekerja di kantor (WFO)" in body


def test_every_template_exists_in_both_languages() -> None:
    from services.notify.messages import TEMPLATES

    for kind in KINDS:
        for language in ("id", "en"):
            assert (TEMPLATES / language / f"{kind}.txt.j2").is_file(), (language, kind)


DECISION_CONTEXT = {
    "absence_kind": "cuti", "start": date(2026, 12, 3), "end": date(2026, 12, 5), "status": "approved",
    "note": "Catatan kepala", "cancelled_from": date(2026, 12, 4), "employee_name": "Budi", "employee_nip": "1" * 18,
    "unit_name": "Dinas Perhubungan", "local_date": date(2026, 12, 2), "window_name": "Lokasi pagi",
    "contested": "late", "checkin_kind": "activity_report", "count": 3, "threshold": 3,
    "month": date(2026, 12, 1),
}


@pytest.mark.parametrize("kind", [*decisions.KINDS, "escalation_bkd"])
def test_every_decision_notice_reads_in_bahasa_indonesia_and_english(kind: str) -> None:
    texts = {language: render(kind, language, "Asia/Jakarta", name="Sari", **DECISION_CONTEXT)
             for language in ("id", "en")}
    assert texts["id"][1].startswith("Yth. Sari,") and texts["en"][1].startswith("Dear Sari,")
    assert texts["id"][0] != texts["en"][0]
    assert "Desember 2026" in texts["id"][0] + texts["id"][1]
    assert "December 2026" in texts["en"][0] + texts["en"][1]


@pytest.mark.parametrize(("start", "end", "indonesian", "english"), [
    (date(2026, 12, 3), date(2026, 12, 3), "3 Desember 2026", "3 December 2026"),
    (date(2026, 12, 3), date(2026, 12, 5), "3–5 Desember 2026", "3–5 December 2026"),
    (date(2026, 11, 28), date(2026, 12, 2), "28 November – 2 Desember 2026", "28 November – 2 December 2026"),
    (date(2026, 12, 30), date(2027, 1, 2), "30 Desember 2026 – 2 Januari 2027", "30 December 2026 – 2 January 2027"),
])
def test_a_span_of_days_reads_short(start: date, end: date, indonesian: str, english: str) -> None:
    assert Formatter("id", "Asia/Jakarta").span(start, end) == indonesian
    assert Formatter("en", "Asia/Jakarta").span(start, end) == english


def test_absence_kinds_are_named_by_the_shared_table() -> None:
    for kind, (indonesian, english) in ABSENCE_NAMES.items():
        assert Formatter("id", "Asia/Jakarta").absence(kind.value) == indonesian
        assert Formatter("en", "Asia/Jakarta").absence(kind.value) == english


@pytest.mark.parametrize(("days", "excused", "missed"), [
    ([date(2026, 12, 1), date(2026, 12, 1), date(2026, 12, 2)], [], 2),  # distinct days
    ([date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)], [Span(date(2026, 12, 2), date(2026, 12, 9))], 1),
])
def test_missed_days_count_distinct_days_no_absence_excuses(days: list[date], excused: list[Span],
                                                           missed: int) -> None:
    assert missed_days(days, excused) == missed


def test_the_month_of_a_day() -> None:
    assert month_of(date(2026, 12, 17)) == (date(2026, 12, 1), date(2026, 12, 31))
    assert month_of(date(2028, 2, 29)) == (date(2028, 2, 1), date(2028, 2, 29))
    assert period_key("month", date(2026, 12, 17)) == "month:2026-12"
    assert not reaches(2, 3) and reaches(3, 3) and not reaches(9, 0)


def test_an_occurrence_names_the_request_and_its_revision_within_the_column() -> None:
    key = decisions.occurrence("7d4f3a52-8a8f-4a51-9b0e-1f2d3c4b5a69", 12)
    assert key == "r12:7d4f3a528a8f4a519b0e1f2d3c4b5a69" and len(key) <= 40
