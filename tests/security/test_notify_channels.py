"""Notify without SMTP or WhatsApp (the running suite configures neither): a notice to a person is
recorded ``skipped`` with the reason ``channel not configured``, never ``sent``; ``/readyz`` stays
200 and lists the unconfigured channels under ``warnings``; ``/metrics`` counts the skipped
notices by channel and reason and says which channels are configured."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.security.conftest import Tenants
from tests.support.tokens import Tokens
from tools.suite import Suite


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_unconfigured_channels_are_skipped_reported_and_counted(
        security_suite: Suite, tenants: Tenants, security_tokens: Tokens) -> None:
    a = tenants.a  # seeded with overdue notices (to its employees, and to its webhook)
    notify = security_suite["notify"].url
    async with httpx.AsyncClient(timeout=30) as http:
        rows = (await http.get(f"{notify}/v1/notifications", headers=security_tokens.admin(a.tenant))).json()["items"]
        people = [r for r in rows if r["channel"] != "webhook"]
        assert people and {(r["channel"], r["status"], r["last_error"], r["sent_at"]) for r in people} == {
            ("log", "skipped", "channel not configured (email, whatsapp)", None)}, people
        assert {r["status"] for r in rows if r["channel"] == "webhook"} == {"sent"}

        ready = await http.get(f"{notify}/readyz")
        assert ready.status_code == 200, ready.text
        body = ready.json()
        assert body["status"] == "ok" and "email, whatsapp" in body["warnings"]["channels"], body
        assert "warnings" not in (await http.get(f"{security_suite['policy'].url}/readyz")).json()

        metrics = samples((await http.get(f"{notify}/metrics")).text)
    for channel in ("email", "whatsapp"):
        counted = metrics[("hadir_notify_skipped_total", (("channel", channel), ("reason", "channel not configured")))]
        assert counted >= len(people), metrics
        assert metrics[("hadir_notify_channel_configured", (("channel", channel),))] == 0
    assert metrics[("hadir_notify_channel_configured", (("channel", "webhook"),))] == 1
