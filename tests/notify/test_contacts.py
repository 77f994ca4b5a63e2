"""Contact details reach notify on their own topic (``directory.contacts.v1``), apart from the
profiles (``directory.updated.v2``), so the two arrive in either order:

- details of someone notify does not know yet are kept, not lost, but reach nobody — no half-person
  (a NIP with an address and no profile) is mailed a personal notice or an announcement — and are
  used as soon as the profile arrives;
- details arriving after the profile are used from then on;
- a tombstone under the employee's key (retention removed the details) clears e-mail and phone; the
  profile stays;
- the tenant record's retention periods are kept (notify's own retention deletes old notices by them).

The service runs as a process on real Kafka and PostgreSQL with a real SMTP server
(:mod:`tests.notify.conftest`); each test has its own tenant, and waits for what notify stored
before it publishes what depends on it, so the order across the two topics is the test's.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from services.contracts.events import DirectoryContact, DirectoryUpdatedV2, PolicyUpdated, TenantRecord
from services.contracts.policy import PolicyContent
from services.contracts.rules.retention import RetentionPeriods, periods_of
from tests.notify.harness import Bus, NotifyService, employee, mails, nip, overdue, profile, settle, tenant_id
from tests.notify.receivers import MailServer
from tests.support.waiting import eventually

pytestmark = pytest.mark.infra

NOTICE = "Laporan belum masuk"


async def stored_contact(notify: NotifyService, tenant: str, who: str) -> tuple[Any, Any] | None:
    rows = await notify.query("SELECT email, phone FROM contacts WHERE tenant = $1 AND nip = $2", tenant, who)
    return (rows[0]["email"], rows[0]["phone"]) if rows else None


async def recipient_count(notify: NotifyService, tenant: str, who: str) -> int:
    rows = await notify.query("SELECT count(*) AS n FROM recipients WHERE tenant = $1 AND nip = $2", tenant, who)
    return int(rows[0]["n"])


async def notice_channels(notify: NotifyService, tenant: str, ce_id: str) -> list[tuple[str, str | None]]:
    """The (channel, address) of the notices planned for one event, once they are finished; one on
    the ``log`` channel reached nobody: it is ``skipped``, with the reason, never ``sent``."""
    rows = await notify.wait_for(tenant, f"the notices of {ce_id}", lambda rows: rows and all(
        r["status"] in {"sent", "failed", "dead", "skipped"} for r in rows), source_event_id=ce_id)
    for r in rows:
        assert (r["status"] == "skipped") == (r["channel"] == "log"), r
        if r["channel"] == "log":
            assert r["last_error"] and "no address" in r["last_error"] and r["sent_at"] is None, r
    return [(r["channel"], r["address"]) for r in rows]


async def test_details_before_the_profile_wait_for_it_and_reach_nobody_meanwhile(
        notify: NotifyService, bus: Bus, mail: MailServer) -> None:
    tenant = tenant_id("contact-first")
    early, known = nip(70), nip(71)
    address, known_address = f"{early}@{tenant}.uji", f"{known}@{tenant}.uji"
    await notify.configure(tenant)
    await bus.directory(tenant, "Asia/Jakarta", {"bkd": None}, [employee(known, "Sari", "bkd", email=known_address)])
    await bus.publish(tenant, DirectoryContact(nip=early, email=address))
    await notify.wait_directory(tenant, 1, contacts=2)
    assert await stored_contact(notify, tenant, early) == (address, None), "kept, not lost"
    assert await recipient_count(notify, tenant, early) == 0, "details alone make no recipient"

    # A personal notice to the NIP: on record (log, skipped: no address), not mailed to an address of
    # someone unknown.
    first = await bus.publish(tenant, overdue(early, "bkd", "lokasi-1"))
    assert await notice_channels(notify, tenant, first) == [("log", None)]
    # An announcement to everyone: the known recipient gets it, the details alone do not.
    letter = await bus.publish(tenant, PolicyUpdated(
        policy_id="se-1", number="800/1-BKD/2026", version=1, title="Penyesuaian sistem kerja ASN",
        valid_from=date.today(), timezone="Asia/Jakarta", content=PolicyContent()))
    assert await notice_channels(notify, tenant, letter) == [("email", known_address)]

    await bus.publish(tenant, DirectoryUpdatedV2(entity="employee", employee=profile(
        employee(early, "Dewi Lestari", "bkd"))))
    await notify.wait_directory(tenant, 2)
    second = await bus.publish(tenant, overdue(early, "bkd", "lokasi-2"))
    assert await notice_channels(notify, tenant, second) == [("email", address)]
    await eventually(mails(mail, address, NOTICE), timeout=20, what="the notice mailed once the profile came")
    await settle()
    assert len(mail.to(address)) == 1, [m.subject for m in mail.to(address)]


async def test_details_after_the_profile_are_used_and_a_tombstone_clears_them(
        notify: NotifyService, bus: Bus, mail: MailServer) -> None:
    tenant = tenant_id("contact-later")
    who = nip(72)
    address = f"{who}@{tenant}.uji"
    await notify.configure(tenant)
    await bus.directory(tenant, "Asia/Makassar", {"bkd": None}, [employee(who, "Wayan", "bkd")])
    await notify.wait_directory(tenant, 1, contacts=0)
    periods = RetentionPeriods(notices_days=45)
    await bus.publish(tenant, DirectoryUpdatedV2(entity="tenant", tenant=TenantRecord(
        id=tenant, name=f"Pemerintah {tenant}", kind="province", timezone="Asia/Makassar", retention=periods)))

    async def retention_kept() -> bool:
        rows = await notify.query("SELECT retention FROM tenants WHERE id = $1", tenant)
        stored = rows[0]["retention"] if rows else None
        return stored is not None and periods_of(json.loads(stored)) == periods

    await eventually(retention_kept, timeout=20, what="the tenant's retention periods in notify")
    before = await bus.publish(tenant, overdue(who, "bkd", "lokasi-1", tz="Asia/Makassar"))
    assert await notice_channels(notify, tenant, before) == [("log", None)]

    await bus.publish(tenant, DirectoryContact(nip=who, email=address, phone="0812-3456-7890"))
    await notify.wait_directory(tenant, 1, contacts=1)
    with_details = await bus.publish(tenant, overdue(who, "bkd", "lokasi-2", tz="Asia/Makassar"))
    assert await notice_channels(notify, tenant, with_details) == [("email", address)]
    await eventually(mails(mail, address, NOTICE), timeout=20, what="the notice mailed")

    # Retention removed the details in policy: a tombstone under <tenant>/<nip>, delivered twice.
    await bus.tombstone(tenant, DirectoryContact, who)
    await bus.tombstone(tenant, DirectoryContact, who)

    async def cleared() -> bool:
        return await stored_contact(notify, tenant, who) is None

    await eventually(cleared, timeout=20, what="the contact details deleted by the tombstone")
    assert await recipient_count(notify, tenant, who) == 1, "the profile stays"
    after = await bus.publish(tenant, overdue(who, "bkd", "lokasi-3", tz="Asia/Makassar"))
    assert await notice_channels(notify, tenant, after) == [("log", None)]
    await settle()
    assert len(mail.to(address)) == 1, "nothing mailed to the removed address"
