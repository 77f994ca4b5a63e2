"""The month-end evaluation: made once on the last day after its windows closed, frozen
with its weights; the SQL scoring equals the documented formula."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.contracts.policy import Sector
from services.reporting import api, monthly
from services.reporting.domain import scoring
from services.reporting.store import Expectation, MonthlyClosure
from services.runtime import sql
from tests.reporting.conftest import K, apply, at, count, nip, seed, verdict
from tests.support.tokens import Tokens

LAST = date(2026, 3, 31)
A, B = nip(1), nip(2)


async def test_the_month_is_evaluated_once_on_its_last_day_and_stays_frozen(reporting) -> None:  # type: ignore[no-untyped-def]
    rt, scheduler = reporting.rt, reporting.scheduler
    await seed(rt, "serang", employees=[(A, "bkd"), (B, "bkd")], sectors={"bkd": Sector.NON_ESSENTIAL},
               effective_at=at(0, 0, 0, LAST - timedelta(days=1)))
    for day in (LAST - timedelta(days=1), LAST):
        await apply(rt, "serang",
                    verdict(A, "apel", "on_time", captured=at(7, 5, 0, day), kind=K.ATTENDANCE, day=day),
                    verdict(A, "lokasi", "late", captured=at(9, 30, 0, day), late_minutes=30, day=day))
    assert await scheduler.scan(at(7, 0, 0, LAST)) > 0  # yesterday closes; today is still running
    assert await count(rt, MonthlyClosure.__table__) == 0
    await scheduler.scan(at(9, 15, 11, LAST))  # the last window of the last day has closed
    async with rt.sessions() as session:
        [closure] = (await session.scalars(select(MonthlyClosure))).all()
    assert (closure.month, closure.employees, closure.weights) == (date(2026, 3, 1), 2, scoring.Weights().model_dump())

    app = FastAPI()
    app.state.runtime = rt
    for router in api.ROUTERS:
        app.include_router(router)
    tokens = Tokens(Path(rt.settings.jwt_jwks_file).with_name("private.pem"))
    admin = tokens.admin("serang")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r") as client:
        body = (await client.get("/v1/reports/monthly", headers=admin, params={"month": "2026-03"})).json()
        assert body["final"] is True
        scores = {e["nip"]: e["score"] for e in body["employees"]}
        # A: 2 on time + 2 x 30 minutes late (0.75 - 0.5 * 30/120 = 0.625) over 4; B: nothing in
        assert scores == {A: round(100 * (2 + 2 * 0.625) / 4, 1), B: 0.0}
        stricter = {"late_max": 0.5, "late_min": 0.0, "late_decay_minutes": 60}
        r = await client.put("/v1/reports/score-weights", headers=admin, json=stricter)
        assert r.status_code == 200, r.text
        again = (await client.get("/v1/reports/monthly", headers=admin, params={"month": "2026-03"})).json()
        assert {e["nip"]: e["score"] for e in again["employees"]} == scores  # frozen with its weights
        assert again["weights"]["late_max"] == 0.75
        weights = (await client.get("/v1/reports/score-weights", headers=admin)).json()
        assert (weights["source"], weights["weights"]["late_max"]) == ("tenant", 0.5)
        bad = await client.put("/v1/reports/score-weights", headers=admin, json={"late_min": 0.9, "late_max": 0.5})
        assert bad.status_code == 422
        audit = (await client.get("/v1/reports/audit", headers=admin)).json()["items"]
        assert [a["action"] for a in audit] == ["ubah_bobot_skor"]

    # The next scans, also in the next month, evaluate nothing again.
    await scheduler.scan(at(9, 30, 0, LAST))
    await scheduler.scan(at(10, 0, 0, LAST + timedelta(days=1)))
    assert await count(rt, MonthlyClosure.__table__) == 1


async def test_a_month_that_ended_while_nothing_ran_is_evaluated_afterwards(reporting) -> None:  # type: ignore[no-untyped-def]
    rt = reporting.rt
    await seed(rt, "lebak", employees=[(A, "bkd")], sectors={"bkd": Sector.NON_ESSENTIAL},
               effective_at=at(0, 0, 0, LAST - timedelta(days=1)))
    await reporting.scheduler.scan(at(8, 0, 0, LAST + timedelta(days=2)))
    async with rt.sessions() as session:
        months = (await session.scalars(select(MonthlyClosure.month))).all()
    assert months == [date(2026, 3, 1)]


@pytest.mark.parametrize("seed_value", [1, 2, 3])
async def test_sql_scoring_equals_the_python_formula(reporting, seed_value: int) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(seed_value)
    weights = scoring.Weights(late_max=rng.uniform(0.5, 1), late_min=rng.uniform(0, 0.4),
                              late_decay_minutes=rng.randint(1, 240), outside_geofence_penalty=rng.uniform(0, 1),
                              suspicious_penalty=rng.uniform(0, 1), missing=rng.uniform(0, 0.2))
    rows, expected = [], {}
    for person in range(20):
        credits, excused = [], 0
        for d in range(rng.randint(1, 10)):
            status = rng.choice(["on_time", "late", "missing", "excused"])
            minutes = rng.randint(1, 400) if status == "late" else 0
            outside, suspicious = rng.random() < 0.3, rng.random() < 0.3
            rows.append({"tenant": "t", "day": date(2026, 3, 1 + d), "window_id": "w", "nip": nip(person),
                         "unit_id": "u", "sector": "non_essential", "status": status, "late_minutes": minutes,
                         "outside_geofence": outside, "suspicious": suspicious, "checkin_at": None,
                         "overdue": status == "missing", "deadline": at(9, 0)})
            credits.append(scoring.credit(status, minutes, outside, suspicious, weights))
            excused += status == "excused"
        # an excused row earns nothing and is not in N
        expected[nip(person)] = scoring.score(sum(credits), len(credits) - excused)
    async with reporting.rt.sessions() as session, session.begin():
        await sql.insert_rows(session, Expectation.__table__, rows)
    async with reporting.rt.sessions() as session:
        got = {r.nip: r.score for r in await monthly.live_scores(session, "t", date(2026, 3, 1), weights)}
    assert got == expected


def test_predicates_and_weights() -> None:
    assert [scoring.predicate(v) for v in (100, 90, 89.9, 75, 60, 40, 39.9, None)] == [
        "Sangat Baik", "Sangat Baik", "Baik", "Baik", "Butuh Perbaikan", "Kurang", "Sangat Kurang", None]
    w = scoring.Weights()
    assert scoring.credit("late", 1, False, False, w) == pytest.approx(0.75 - 0.5 / 120)
    assert scoring.credit("late", 500, False, False, w) == 0.25
    assert scoring.credit("on_time", 0, True, True, w) == 0.0
    assert scoring.score(0, 0) is None
    with pytest.raises(ValueError):
        scoring.Weights(late_min=0.9, late_max=0.1)
