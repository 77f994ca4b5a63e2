"""Concurrent single check-ins share database transactions (the runtime's group commit, whose
own tests show that a group is one transaction), and each is still answered with its own row."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from services.checkin.submission import Submission
from tests.checkin.conftest import CheckinService, new_tenant, nip
from tests.checkin.test_submission import location
from tests.support.group_commit import workers_held

pytestmark = pytest.mark.infra

POSTS = 8


async def test_concurrent_posts_share_one_commit_and_get_their_own_rows(checkin: CheckinService,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    tenants = [new_tenant(), new_tenant()]
    submitters = [(tenants[i % 2], nip(100 + i)) for i in range(POSTS)]
    for tenant in tenants:
        await checkin.seed_employees(tenant, [n for t, n in submitters if t == tenant])

    gc = checkin.acceptance
    groups, jobs = group_sizes(checkin)
    submit = gc.submit
    arrived = 0
    all_queued = asyncio.Event()

    async def counted(item: Submission) -> Any:
        nonlocal arrived
        arrived += 1
        if arrived == POSTS:
            all_queued.set()  # the item is queued in the same step, before anyone else runs
        return await submit(item)

    async with workers_held(gc):  # every post's item waits until all have arrived
        monkeypatch.setattr(gc, "submit", counted)
        posts = [asyncio.create_task(checkin.client.post(
            "/v1/checkins", json=location(), headers={**checkin.employee(t, n), "Idempotency-Key": f"gc-{n}"}))
            for t, n in submitters]
        await all_queued.wait()
    answers = await asyncio.gather(*posts)

    assert [a.status_code for a in answers] == [201] * POSTS, [a.text for a in answers]
    stored = [*await checkin.rows(tenants[0]), *await checkin.rows(tenants[1])]
    assert {a.json()["id"]: a.json()["employee_id"] for a in answers} == {r.id: r.employee_id for r in stored}
    assert [a.json()["employee_id"] for a in answers] == [n for _, n in submitters], "each gets its own row"
    after = group_sizes(checkin)
    assert (after[0] - groups, after[1] - jobs) == (gc.workers + 1, gc.workers + POSTS), \
        "the holders' groups of one, then one group (one commit) for every post"


def group_sizes(checkin: CheckinService) -> tuple[float, float]:
    """(groups committed, jobs in them) so far, from the service's metrics."""
    registry = checkin.rt.metrics.registry
    return (registry.get_sample_value("hadir_group_commit_size_count") or 0.0,
            registry.get_sample_value("hadir_group_commit_size_sum") or 0.0)
