"""The discipline score of the month-end evaluation ("evaluasi setiap tanggal 31").

For one employee and one month, over the N expected check-ins of closed windows
(one per window per working day the employee was expected; a window *excused* — by an
approved absence, or by an approved correction of a missing check-in
(:mod:`.decisions`) — is not expected and is not in N: it neither earns nor loses),
each check-in *i* earns a credit between 0 and 1::

    base_i   = W_on_time                                      if on time
             = L_max − (L_max − L_min) · min(m_i, D) / D      if late by m_i minutes
             = W_missing                                      if missing
    credit_i = max(0, base_i − P_out · [outside geofence_i] − P_sus · [suspicious_i])

    score    = round(100 · Σ credit_i / N, 1)                 (no score when N = 0)

(so an employee on sick leave for 2 of 20 days, on time in every other window, scores 100),

so a check-in a few minutes late keeps most of its credit and one hours late keeps
``L_min``; a check-in from outside the geofence or flagged suspicious loses a
penalty, never going below zero. Defaults (``Weights``): W_on_time 1, L_max 0.75,
L_min 0.25, D 120 minutes, W_missing 0, P_out 0.5, P_sus 0.5. The service's
defaults come from ``HADIR_REPORTING_SCORE_WEIGHTS`` (JSON, any subset of the
fields, :func:`services.reporting.monthly.default_weights`); a tenant's personnel
agency may set its own (``PUT /v1/reports/score-weights``). A finished month keeps
the weights it was scored with. The month's scores are summed in SQL by
:func:`services.reporting.monthly.credit_sql`, which states :func:`credit` as an
expression (a test holds the two equal).

Predicate (the five levels of the civil-service performance rating):
≥ 90 *Sangat Baik*, ≥ 75 *Baik*, ≥ 60 *Butuh Perbaikan*, ≥ 40 *Kurang*, else
*Sangat Kurang*.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

EXCUSED = "excused"
"""A ledger row not expected (not in N); its credit is 0 and it is not counted."""
PREDICATES = ((90.0, "Sangat Baik"), (75.0, "Baik"), (60.0, "Butuh Perbaikan"), (40.0, "Kurang"))
LOWEST = "Sangat Kurang"


class Weights(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    on_time: float = Field(default=1.0, ge=0, le=1, description="credit of a check-in on time (0-1)", examples=[1.0])
    late_max: float = Field(default=0.75, ge=0, le=1, description="credit of a check-in just late", examples=[0.75])
    late_min: float = Field(default=0.25, ge=0, le=1, description="credit of a check-in very late", examples=[0.25])
    late_decay_minutes: int = Field(default=120, ge=1, le=24 * 60, examples=[120],
                                    description="minutes late over which the credit falls from `late_max` to "
                                                "`late_min`")
    missing: float = Field(default=0.0, ge=0, le=1, description="credit of a missing check-in", examples=[0.0])
    outside_geofence_penalty: float = Field(default=0.5, ge=0, le=1, examples=[0.5],
                                            description="subtracted from the credit of a check-in outside the "
                                                        "geofence (never below 0)")
    suspicious_penalty: float = Field(default=0.5, ge=0, le=1, examples=[0.5],
                                      description="subtracted from the credit of a suspicious check-in (never below 0)")

    @model_validator(mode="after")
    def _order(self) -> Weights:
        if self.late_min > self.late_max:
            raise ValueError("late_min must not exceed late_max")
        return self


def late_credit(minutes: int, w: Weights) -> float:
    m = min(max(minutes, 0), w.late_decay_minutes)
    return w.late_max - (w.late_max - w.late_min) * m / w.late_decay_minutes


def credit(status: str, late_minutes: int, outside: bool, suspicious: bool, w: Weights) -> float:
    """The credit of one ledger row (module docstring); an excused one earns nothing and is not in N."""
    if status == EXCUSED:
        return 0.0
    if status == "on_time":
        base = w.on_time
    elif status == "late":
        base = late_credit(late_minutes, w)
    else:
        base = w.missing
    return max(0.0, base - w.outside_geofence_penalty * outside - w.suspicious_penalty * suspicious)


def score(total_credit: float, expected: int) -> float | None:
    return round(100.0 * total_credit / expected, 1) if expected else None


def predicate(value: float | None) -> str | None:
    if value is None:
        return None
    for threshold, name in PREDICATES:
        if value >= threshold:
            return name
    return LOWEST
